#!/usr/bin/env bash
# Time to find each seeded bug with `seam fuzz` from nothing: an empty corpus (-corpus, not the
# regression corpus) and no fuzzer state from earlier runs (-state). Prints one line per mutant.
#   scripts/time-to-find.sh [BUDGET [MUTANT...]]   default 60s per mutant, every mutant
#   MODE=libfuzzer scripts/time-to-find.sh ...      the same with seam fuzz -mode libfuzzer
#   VARIANT=cov scripts/time-to-find.sh ...         go test mode with the coverage bridge (builds
#                                                   each mutant's cov variant first)
#   CONTRACT=native/tally/contract.yaml scripts/time-to-find.sh 2m
#                                                   every fuzzing mutant of a boundary against its
#                                                   contract's derived targets (seam fuzz -contract)
# Each mutant fuzzes into its own corpus, build/time-to-find/<mode>/corpus/<mutant>/<target>/ (so one
# mutant's finding is never "known" to the next); copy entries into corpus/ to keep them.
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
if [ -n "${CONTRACT:-}" ]; then
  # Contract mode: every fuzzing mutant of the contract's boundary (native/<b>/mutants/*.patch but
  # those its build.conf keeps out of the fuzzer variant: stress, thread and layout mutants)
  # against the contract's engines, the mutant in place of the engine its name starts with, all
  # derived targets sharing the budget. FOUND-AFTER is wall clock from the run's start.
  dir=$(dirname "$CONTRACT")
  except=$(sed -nE "s/^MUTANTS_fuzzer_EXCEPT='(.*)'/\1/p" "$dir/build.conf" 2>/dev/null)
  engines=$(sed -nE '/^engines:/,/^[a-z]/{s/^  ([a-z0-9_-]+):.*/\1/p}' "$CONTRACT") # the contract's, in order
  printf '%-24s %-10s %s\n' MUTANT FOUND-AFTER "TARGET: SIGNATURE"
  for p in "$dir"/mutants/*.patch; do
    name=$(basename "$p" .patch)
    [ "$only" = "  " ] || [[ $only == *" $name "* ]] || continue
    skip=
    for pat in $except; do [[ $name == $pat ]] && skip=1; done
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
        printf '%-24s %-10s %s: %s\n' "$name" "$found" "$tgt" "$sig"
      fi
    done < <($SEAM fuzz -first -contract "$CONTRACT" -engines "$specs" -variant "$VARIANT" -budget "$BUDGET" -corpus "$out/corpus" -state "$out/state" 2>&1)
    [ -n "$found" ] || printf '%-24s %-10s %s\n' "$name" "not found" "(budget $BUDGET, engines $specs; see $log)"
  done
  exit 0
fi
# mutant  target  engines (the differential/spec model needs a reference for some)
cases=(
  "cpp-overread rules mutant:cpp-overread"
  "cpp-nul-terminator quote mutant:cpp-nul-terminator"
  "cpp-use-after-free describe mutant:cpp-use-after-free"
  "cpp-double-free export mutant:cpp-double-free"
  "cpp-leak-on-error rules mutant:cpp-leak-on-error"
  "cpp-describe-overflow describe mutant:cpp-describe-overflow"
  "cpp-signed-overflow quote mutant:cpp-signed-overflow"
  "cpp-enum-index quote mutant:cpp-enum-index"
  "cpp-hang rules mutant:cpp-hang"
  "cpp-utf8-lenient differential mutant:cpp-utf8-lenient,rust"
  "rust-panic-escape quote mutant:rust-panic-escape"
  "rust-rounding-drift quote mutant:rust-rounding-drift"
  "rust-utf8-lenient differential mutant:rust-utf8-lenient,cpp"
  "rust-overflow quote mutant:rust-overflow"
  "rust-overread rules mutant:rust-overread"
  "cpp-magic rules mutant:cpp-magic"
)
printf '%-22s %-13s %-10s %s\n' MUTANT TARGET FOUND-AFTER SIGNATURE
for c in "${cases[@]}"; do
  read -r name target engines <<<"$c"
  [ "$only" = "  " ] || [[ $only == *" $name "* ]] || continue
  rm -rf "$OUT/corpus/$name" "$OUT/state/$name"
  log="$OUT/$name.log"
  if [ "$VARIANT" != asan ] && ! scripts/build-native.sh -m "$name" "$VARIANT" >"$log" 2>&1; then
    printf '%-22s %-13s %-10s %s\n' "$name" "$target" "not built" "(see $log)"
    continue
  fi
  $SEAM fuzz -mode "$MODE" -engines "$engines" -variant "$VARIANT" -target "$target" -budget "$BUDGET" -corpus "$OUT/corpus/$name" -state "$OUT/state/$name" >"$log" 2>&1
  line=$(grep -m1 '\] NEW ' "$log")
  if [ -n "$line" ]; then
    after=$(sed -E 's/.* after (([0-9]+m)?[0-9.]+m?s): .*/\1/' <<<"$line")
    sig=$(sed -E 's/.*: ([^:]+\|.*)$/\1/' <<<"$line")
    printf '%-22s %-13s %-10s %s\n' "$name" "$target" "$after" "$sig"
  else
    printf '%-22s %-13s %-10s %s\n' "$name" "$target" "not found" "(budget $BUDGET; see $log)"
  fi
done
