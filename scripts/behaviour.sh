#!/usr/bin/env bash
# Runs each boundary's behaviour tests (build/bin/<b>_<test>, from native/<b>/test/<test>.c)
# against its engines and proves its seeded bugs:
#   - every engine's asan build passes (and the C++ engine's tsan build: the header's
#     thread-safe functions are run from threads);
#   - every mutant built in asan or tsan fails at least one of them (a check, a sanitizer report,
#     LeakSanitizer at exit, or the timeout for a hang).
# A boundary's engine that is not built here (no rust/ yet) is skipped with one line.
# Usage: scripts/behaviour.sh [BOUNDARY...]   (after scripts/build-native.sh)
# Exit 0 all good, 1 a failure, 2 nothing to run or a test binary missing.
set -uo pipefail
cd "$(dirname "$0")/.."
# A run takes about a second; a mutant's hang is proven by its timeout, so that one is short.
TIMEOUT=${SEAM_BEHAVIOUR_TIMEOUT:-60}
MUTANT_TIMEOUT=${SEAM_BEHAVIOUR_MUTANT_TIMEOUT:-10}

runtime() { # VARIANT: the sanitizer runtime its libraries need preloaded (none for the others)
  case $1 in
    asan|cov) gcc -print-file-name=libasan.so ;;
    tsan) gcc -print-file-name=libtsan.so ;;
  esac
}

# run_test BIN LIB VARIANT LOG [TIMEOUT]: the test's exit status with LIB under its variant's
# runtime.
run_test() {
  local rt; rt=$(runtime "$3")
  # The braces' 2>/dev/null quiets bash's own "Aborted" line for a mutant that aborts.
  { env ${rt:+LD_PRELOAD=$rt} ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}" \
    timeout -k 5 "${5:-$TIMEOUT}" "$1" "$2" >"$4" 2>&1; } 2>/dev/null
}

boundaries=("$@")
if [ ${#boundaries[@]} -eq 0 ]; then
  for d in native/*/test; do [ -d "$d" ] && boundaries+=("$(basename "$(dirname "$d")")"); done
fi
[ ${#boundaries[@]} -gt 0 ] || { echo "behaviour: no native/<b>/test/ to run" >&2; exit 2; }
rc=0
mkdir -p build/behaviour
for b in "${boundaries[@]}"; do
  # shellcheck disable=SC1090
  OUT="" && . "native/$b/build.conf"
  dir=${OUT:+/$OUT}
  tests=()
  for c in "native/$b"/test/*.c; do
    bin="build/bin/${b}_$(basename "$c" .c)"
    [ -x "$bin" ] || { echo "behaviour: $bin is not built: run make native" >&2; exit 2; }
    tests+=("$bin")
  done
  for bin in "${tests[@]}"; do
    for run in "cpp asan" "rust asan" "cpp tsan"; do
      read -r engine v <<<"$run"
      lib=$CPP_LIB; [ "$engine" = rust ] && lib=$RUST_LIB
      so="build/$v$dir/$lib"
      if [ ! -e "$so" ]; then
        if [ "$engine" = rust ] && [ ! -f "native/$b/rust/Cargo.toml" ]; then
          [ "$v" = asan ] && echo "behaviour: $b: no rust/ engine, skipped"
          continue
        fi
        echo "behaviour: $so is not built: run make native" >&2; rc=1; continue
      fi
      log="build/behaviour/$b-$(basename "$bin")-$engine-$v.log"
      if run_test "$bin" "$so" "$v" "$log"; then
        echo "behaviour: $(basename "$bin") $(tail -n 1 "$log")"
      else
        echo "behaviour: FAIL $(basename "$bin") $so (exit $?), see $log:" >&2
        grep -m 20 -E 'FAIL|ERROR|WARNING|SUMMARY|passed' "$log" >&2
        rc=1
      fi
    done
  done
  # Each mutant must fail in one of the detector variants it is built in.
  for p in "native/$b"/mutants/*.patch; do
    [ -e "$p" ] || continue
    name=$(basename "$p" .patch)
    built=0 caught=""
    for v in asan tsan; do
      so="build/$v$dir/mutants/$name.so"
      [ -e "$so" ] || continue
      built=1
      for bin in "${tests[@]}"; do
        log="build/behaviour/$b-$(basename "$bin")-$name-$v.log"
        run_test "$bin" "$so" "$v" "$log" "$MUTANT_TIMEOUT"
        st=$?
        # 2 is "could not load or run": that proves nothing.
        if [ $st -eq 124 ]; then caught="$v, timeout after ${MUTANT_TIMEOUT}s: a hang"; break 2; fi
        if [ $st -ne 0 ] && [ $st -ne 2 ]; then caught="$v, exit $st: $(grep -m 1 -E 'FAIL|ERROR: [A-Za-z]+|runtime error|WARNING: ThreadSanitizer|leak|panicked' "$log" | cut -c1-120)"; break 2; fi
      done
    done
    if [ $built = 0 ]; then
      # A Rust mutant waits for the boundary's Rust engine; anything else must be built.
      if grep -q '^+++ b/native/[^/]*/rust/' "$p" && [ ! -f "native/$b/rust/Cargo.toml" ]; then continue; fi
      echo "behaviour: mutant ${OUT:+$OUT/}$name is not built in asan or tsan: run make native" >&2; rc=1
    elif [ -n "$caught" ]; then
      echo "behaviour: mutant ${OUT:+$OUT/}$name caught ($caught)"
    else
      echo "behaviour: FAIL mutant ${OUT:+$OUT/}$name passes every behaviour test (see build/behaviour/$b-*-$name-*.log)" >&2
      rc=1
    fi
  done
done
exit $rc
