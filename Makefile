# ragd: the two commands are `make run` and `make test`; both start with `make setup`.
GO      ?= go
BIN     := bin/ragd
PKGS    := ./...
# make run DATA=dir ADDR=host:port; unset, ragd's own defaults apply, and
# with them RAGD_DATA and RAGD_ADDR (./ragd-data, localhost:8080).
DATA    ?=
ADDR    ?=
# The version ragd version reports; releases are tagged vX.Y.Z.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

# Go 1.26's SIMD experiment (simd/archsimd) gives the dense scan AVX2
# kernels, chosen at start-up when the CPU has AVX2 and FMA; without it, or
# on other CPUs, portable code runs (retrieval/internal/vecmath/dot_simd.go).
export GOEXPERIMENT ?= simd

# FUZZTIME is how long make test fuzzes each parser and the chunker: a
# count of inputs (a few seconds each here), not a duration, because Go
# 1.26's fuzzing coordinator can fail a duration run at its deadline with
# "context deadline exceeded" and no failing input (golang/go#75804).
FUZZTIME ?= 40000x
FUZZ     := retrieval/parse:FuzzText retrieval/parse:FuzzMarkdown retrieval/parse:FuzzHTML \
	retrieval/parse:FuzzJSONL retrieval/parse:FuzzJSONLRecord \
	retrieval/chunk:FuzzSentences retrieval/chunk:FuzzSplit

.PHONY: setup run test build lint fuzz bench eval clean

## setup: install what is not a Go module (model weights, npm test tools, chromium). Idempotent.
setup:
	@bash scripts/setup.sh

## build: compile ragd into bin/ragd.
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/ragd

## run: ingest the seed articles and serve the API and chat page
## (DATA=dir and ADDR=host:port override RAGD_DATA and RAGD_ADDR).
run: setup build
	$(BIN) ingest $(if $(DATA),--data $(DATA)) testdata/articles
	$(BIN) serve $(if $(DATA),--data $(DATA)) $(if $(ADDR),--addr $(ADDR))

## lint: formatting, and vet with and without the SIMD experiment.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOEXPERIMENT= $(GO) vet $(PKGS)

## test: every test, with the race detector; the retrieval packages again
## with the portable kernels; a short fuzzing run of every parser and the
## chunker (their seed corpora also run as plain tests).
test: setup lint
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	GOEXPERIMENT= $(GO) test -count=1 ./retrieval/...
	@$(MAKE) --no-print-directory fuzz

## fuzz: fuzz each target of FUZZ for FUZZTIME (make fuzz FUZZTIME=2000000x for longer).
fuzz:
	@for t in $(FUZZ); do \
		echo "fuzz $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*} >/tmp/ragd-fuzz.$$$$.log 2>&1 \
			|| { cat /tmp/ragd-fuzz.$$$$.log; rm -f /tmp/ragd-fuzz.$$$$.log; exit 1; }; \
		rm -f /tmp/ragd-fuzz.$$$$.log; \
	done

## bench: the benchmarks (ingest rate, search latency, ask latency).
bench: setup
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
