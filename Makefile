# hypercerts — the two commands: `make demo` and `make test`.
GO ?= go
export GOFLAGS ?= -mod=mod

.PHONY: demo test bench generate build vet

demo:
	$(GO) run . --demo

test:
	gofmt -l . | (! grep .) || (echo "gofmt: fichiers à formater ci-dessus" && exit 1)
	$(GO) vet ./...
	# staticcheck is pinned in go.mod (tool directive): no manual install, same version everywhere.
	$(GO) tool staticcheck ./...
	$(GO) test -race -timeout 40m ./...

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
