# ragd: the two commands are `make run` and `make test`; both start with `make setup`.
GO      ?= go
BIN     := bin/ragd
DATA    ?= ./ragd-data
ADDR    ?= localhost:8080
PKGS    := ./...

# Go 1.26's SIMD experiment (simd/archsimd) gives the dense scan AVX2
# kernels, chosen at start-up when the CPU has AVX2 and FMA; without it, or
# on other CPUs, portable code runs (retrieval/internal/vecmath/dot_simd.go).
export GOEXPERIMENT ?= simd

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

## lint: formatting, and vet with and without the SIMD experiment.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOEXPERIMENT= $(GO) vet $(PKGS)

## test: every test, with the race detector; the retrieval packages again
## with the portable kernels.
test: setup lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	GOEXPERIMENT= $(GO) test -count=1 ./retrieval/...

## bench: the benchmarks (ingest rate, search latency, ask latency).
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
