# hypercerts — the two commands: `make demo` and `make test`.
GO ?= go
export GOFLAGS ?= -mod=mod

.PHONY: demo test bench generate build vet

demo:
	$(GO) run . --demo

test:
	gofmt -l . | (! grep .) || (echo "gofmt: fichiers à formater ci-dessus" && exit 1)
	$(GO) vet ./...
	$(GO) test -race -timeout 40m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x ./...

generate:
	$(GO) generate ./...

build:
	CGO_ENABLED=0 $(GO) build -o hypercerts .
