# ragd: the two commands are `make run` and `make test`; both start with `make setup`.
GO      ?= go
BIN     := bin/ragd
DATA    ?= ./ragd-data
ADDR    ?= localhost:8080
PKGS    := ./...

.PHONY: setup run test build lint bench eval clean

## setup: install what is not a Go module (model weights, npm test tools, chromium). Idempotent.
setup:
	@bash scripts/setup.sh

## build: compile ragd into bin/ragd.
build:
	$(GO) build -o $(BIN) ./cmd/ragd

## run: ingest the seed articles and serve the API and chat page on $(ADDR).
run: setup build
	$(BIN) ingest --data $(DATA) testdata/articles
	$(BIN) serve --data $(DATA) --addr $(ADDR)

## lint: formatting, vet and the package dependency direction.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## test: every test, with the race detector.
test: setup lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## bench: the benchmarks (ingest rate, search latency, ask latency).
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
