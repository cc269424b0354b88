#!/usr/bin/env bash
# Runs every test. The Go tests load native engines; the behaviour table runs once per variant
# (the process can hold one sanitizer runtime, so each variant is its own `go test` run).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
# Symbols on, so Go frames in sanitizer reports are named.
export GOFLAGS="${GOFLAGS:-} -ldflags=-s=false"
echo "== go vet"
$GO vet ./...
# Each boundary's behaviour table in C against its engines' asan (and tsan) builds, and every
# seeded mutant caught by it.
echo "== behaviour tests (native/<b>/test against each engine and mutant)"
scripts/behaviour.sh
# libFuzzer mode's end-to-end proof needs clang-19, which a fresh machine lacks.
if command -v clang-19 >/dev/null 2>&1; then
  export SEAM_LIBFUZZER_TEST=1
else
  echo "libfuzzer mode: clang-19 not installed, its end-to-end test is skipped (scripts/install-clang.sh installs it)"
fi
echo "== go test (asan variant: behaviour table, corpus replay, seeded-bug proofs)"
SEAM_VARIANT=asan $GO test -count=1 -timeout 20m ./...
echo "== go test -fuzz FuzzParse (the report parser never panics on any log; 10s)"
$GO test -count=1 -run '^$' -fuzz '^FuzzParse$' -fuzztime 10s ./report
for v in debug release; do
  echo "== go test ./native/pricing/engine ./boundary (variant $v)"
  SEAM_VARIANT=$v $GO test -count=1 -timeout 5m ./native/pricing/engine/ ./boundary/
done
