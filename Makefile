# seam — make targets wrap scripts/ and the seam CLI. Start with `make nightly` or `make test`.
SHELL := /bin/bash
GO ?= go
BUDGET ?= 3m
OUT ?= out/nightly
CORPUS ?= corpus
SEAM := build/bin/seam

.PHONY: all native seam test test-quick nightly bench clean abi

all: native seam

# Every engine and seeded-bug mutant in every variant (incremental; prints what it builds).
native:
	@scripts/build-native.sh

# The seam binary. -s=false -w=false keeps symbols so Go frames in reports are named.
# Beside it, seam-fuzz.test: the go test -fuzz worker binary, which seam runs when it is
# installed outside this checkout (copy both to install).
seam:
	@mkdir -p build/bin
	@$(GO) build -ldflags='-s=false -w=false' -o $(SEAM) ./cmd/seam
	@$(GO) test -c -fuzz=. -ldflags='-s=false -w=false' -o build/bin/seam-fuzz.test ./fuzz

abi: native seam
	@$(SEAM) abi -variant debug && $(SEAM) abi -variant asan && $(SEAM) abi -variant release

# All tests: builds what they need, then the Go test suite (which loads the asan variant of both
# engines, replays the corpus, and runs the quick seeded-bug proofs).
test: native seam
	@scripts/test.sh

# The main job with a short default budget; BUDGET=8h for a real night. CORPUS=DIR fuzzes into
# (and imports to) another corpus, e.g. a scratch one when pointing SEAM_ENGINES at a mutant.
nightly: native seam
	@$(SEAM) nightly -budget $(BUDGET) -out $(OUT) -corpus $(CORPUS)

bench: native seam
	@scripts/bench.sh

clean:
	rm -rf build out
