# hypercerts — the two commands: `make demo` and `make test`.
GO ?= go
export GOFLAGS ?= -mod=mod

.PHONY: demo test test-fmt test-static test-unit bench generate build vet

demo:
	$(GO) run . --demo

# make test = gofmt, go vet, staticcheck and the race-detector tests. The checks and the
# tests run side by side (-O: each one's output comes whole when it ends): the tests
# wait a good part of their time (fsync, timers, the tools they start), which the
# checks fill. See docs/testing.md for what each choice saves.
test: test-fmt
	$(MAKE) --no-print-directory -j2 -O test-static test-unit

test-fmt:
	gofmt -l . | (! grep .) || (echo "gofmt: fichiers à formater ci-dessus" && exit 1)

# vet, then staticcheck (pinned in go.mod as a tool: same version everywhere) on the
# packages vet compiled: one after the other, or both would compile them. CGO_ENABLED=0
# as for the binary the tests build (internal/testenv): these compiled packages serve
# that build too (cgo changes net, hence every package above it).
test-static:
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) tool staticcheck ./...

# -vet=off: go vet ./... runs every vet check above (go test's are a subset).
# -ldflags=-w: no DWARF in the ~50 test binaries (a third of each link); stack traces
# and race reports keep their file:line (they read the symbol table, not DWARF).
test-unit:
	$(GO) test -race -vet=off -ldflags=-w -timeout 40m ./...

bench:
	# Micro-benchmarks run long enough to be steady; the end-to-end ones (minutes each) once.
	$(GO) test -run '^$$' -bench . -benchmem ./render ./store ./domain ./export ./connectors/mail ./ui/...
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./bench ./e2e ./connectors/digiposte ./connectors/apogee/sim ./connectors/apogee ./connectors/hubee

generate:
	$(GO) generate ./...

# Static linux/amd64 binary with its version, commit and date (`hypercerts version`).
# VERSION defaults to `git describe`; override: make build VERSION=v1.2.0
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath \
		-ldflags "-s -w -X hypercerts/version.Version=$(VERSION) -X hypercerts/version.Commit=$(COMMIT) -X hypercerts/version.Date=$(DATE)" \
		-o hypercerts .
