#!/usr/bin/env bash
# Time to find each seeded bug with `seam fuzz` from nothing: an empty corpus (-corpus, not the
# regression corpus) and no fuzzer state from earlier runs (-state). Every fuzzing mutant of a
# boundary against its contract's derived targets, all targets sharing the budget; one line per
# mutant.
#   scripts/time-to-find.sh [BUDGET [MUTANT...]]   default 60s per mutant, every mutant of pricing
#   CONTRACT=native/tally/contract.yaml scripts/time-to-find.sh 2m
#                                                   another boundary
#   MODE=libfuzzer scripts/time-to-find.sh ...      the same with seam fuzz -mode libfuzzer
#   VARIANT=cov scripts/time-to-find.sh ...         go test mode with the coverage bridge
#   SEAM=PATH                                       another seam binary (default build/bin/seam)
# Each mutant fuzzes into its own corpus, build/time-to-find/<mode>/contract/<boundary>/<mutant>/corpus/
# (so one mutant's finding is never "known" to the next); copy entries into corpus/ to keep them.
set -uo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-60s}
shift || true
only=" $* "
SEAM=${SEAM:-build/bin/seam}
MODE=${MODE:-gotest}
VARIANT=${VARIANT:-asan}
OUT=build/time-to-find/$MODE
[ "$VARIANT" = asan ] || OUT=$OUT-$VARIANT
mkdir -p "$OUT"
CONTRACT=${CONTRACT:-native/pricing/contract.yaml}
# Every fuzzing mutant of the contract's boundary (native/<b>/mutants/*.patch but
# those its build.conf keeps out of the fuzzer variant: stress, thread and layout mutants)
# against the contract's engines, the mutant in place of the engine its name starts with, all
# derived targets sharing the budget. FOUND-AFTER is wall clock from the run's start (the
# targets run one after another), and the line ends with the time into the target that found it.
dir=$(dirname "$CONTRACT")
except=$(sed -nE "s/^MUTANTS_fuzzer_EXCEPT='(.*)'/\1/p" "$dir/build.conf" 2>/dev/null)
engines=$(sed -nE '/^engines:/,/^[a-z]/{s/^  ([a-z0-9_-]+):.*/\1/p}' "$CONTRACT") # the contract's, in order
printf '%-24s %-10s %s\n' MUTANT FOUND-AFTER "TARGET: SIGNATURE"
for p in "$dir"/mutants/*.patch; do
  name=$(basename "$p" .patch)
  [ "$only" = "  " ] || [[ $only == *" $name "* ]] || continue
  skip=
  set -f # the patterns are globs over mutant names, not over this directory's files
  for pat in $except; do [[ $name == $pat ]] && skip=1; done
  set +f
  [ -n "$skip" ] && continue
  specs=
  for e in $engines; do
    if [[ $name == "$e"-* ]]; then specs+="${specs:+,}mutant:$name"; else specs+="${specs:+,}$e"; fi
  done
  out="$OUT/contract/$(basename "$dir")/$name" log="$OUT/contract/$(basename "$dir")/$name.log"
  rm -rf "$out" && mkdir -p "$out"
  start=$(date +%s.%N) found=
  while IFS= read -r line; do
    echo "$line" >>"$log"
    if [ -z "$found" ] && [[ $line == *"] NEW "* ]]; then
      found=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1fs", e - s }')
      tgt=$(sed -E 's/^\[([^]]+)\].*/\1/' <<<"$line") sig=$(sed -E 's/.* after [^:]+: //' <<<"$line")
      in=$(sed -E 's/.* after ([^:]+): .*/\1/' <<<"$line")
      printf '%-24s %-10s %s: %s (%s into the target)\n' "$name" "$found" "$tgt" "$sig" "$in"
    fi
  done < <($SEAM fuzz -first -mode "$MODE" -contract "$CONTRACT" -engines "$specs" -variant "$VARIANT" -budget "$BUDGET" -corpus "$out/corpus" -state "$out/state" 2>&1)
  [ -n "$found" ] || printf '%-24s %-10s %s\n' "$name" "not found" "(budget $BUDGET, engines $specs; see $log)"
done
