#!/usr/bin/env bash
# Time to find each seeded bug with `seam fuzz` from nothing: an empty corpus (-corpus, not the
# regression corpus) and no fuzzer state from earlier runs (-state). Prints one line per mutant.
#   scripts/time-to-find.sh [BUDGET [MUTANT...]]   default 60s per mutant, every mutant
#   MODE=libfuzzer scripts/time-to-find.sh ...      the same with seam fuzz -mode libfuzzer
#   VARIANT=cov scripts/time-to-find.sh ...         go test mode with the coverage bridge (builds
#                                                   each mutant's cov variant first)
# Each mutant fuzzes into its own corpus, build/time-to-find/<mode>/corpus/<mutant>/<target>/ (so one
# mutant's finding is never "known" to the next); copy entries into corpus/ to keep them.
set -uo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-60s}
shift || true
only=" $* "
SEAM=build/bin/seam
MODE=${MODE:-gotest}
VARIANT=${VARIANT:-asan}
OUT=build/time-to-find/$MODE
[ "$VARIANT" = asan ] || OUT=$OUT-$VARIANT
mkdir -p "$OUT"
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
