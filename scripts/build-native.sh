#!/usr/bin/env bash
# Builds the native engines and seeded-bug mutants in every variant:
#   build/<variant>/libseam_cpp.so, build/<variant>/libseam_rust.so
#   build/<variant>/mutants/<name>.so          (native/mutants/<name>.patch applied to a copy)
# Variants: debug release asan tsan cov (cov = asan + edge coverage for the fuzzing bridge).
# On request only: fuzzer (clang-19, ASan + UBSan + libFuzzer's inline 8-bit counters, pc-table
# and compare tracing; for `seam fuzz -mode libfuzzer`). Its mutants are built only when asked:
# `-m NAME,...`/`-m all` or SEAM_MUTANTS=NAME,...|all.
#
# Usage: scripts/build-native.sh [-v "debug asan"] [-m all|none|NAME,...] [-j N] [VARIANT...]
# Incremental: an output newer than every input is left alone, so a second run with no change
# rebuilds nothing. A variant that cannot be built here (no nightly Rust for Rust asan/tsan) is
# built from the debug profile instead and says so in one line — never a silent pass.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

VARIANTS="debug release asan tsan cov"
MUTANTS=all
MUTANTS_ASKED=""
JOBS=$(nproc 2>/dev/null || echo 2)
while getopts "v:m:j:" opt; do
  case $opt in
    v) VARIANTS=$OPTARG ;;
    m) MUTANTS=$OPTARG; MUTANTS_ASKED=1 ;;
    j) JOBS=$OPTARG ;;
    *) echo "usage: $0 [-v VARIANTS] [-m all|none|NAME,...] [-j N] [VARIANT...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] && VARIANTS="$*"
# The fuzzer variant's mutants: only those asked for (a fresh `make native` stays short).
FUZZER_MUTANTS=${SEAM_MUTANTS:-none}
[ -n "$MUTANTS_ASKED" ] && [ -z "${SEAM_MUTANTS:-}" ] && FUZZER_MUTANTS=$MUTANTS

log() { printf 'native: %s\n' "$*"; }
die() { printf 'native: error: %s\n' "$*" >&2; exit 2; }

command -v g++ >/dev/null || die "g++ not found: install it (apt-get install g++)"
command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) so the Rust engine can be built"

cxx_flags() {
  local common="-std=c++17 -fPIC -shared -Wall -Wextra -Werror -fvisibility=hidden -fno-omit-frame-pointer"
  case $1 in
    debug) echo "$common -O1 -g -D_GLIBCXX_ASSERTIONS" ;;
    release) echo "$common -O2 -g" ;;
    asan) echo "$common -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all" ;;
    tsan) echo "$common -O1 -g -fsanitize=thread" ;;
    cov) echo "$common -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize-coverage=trace-pc,trace-cmp" ;;
    fuzzer) echo "$common -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" ;;
    *) die "unknown variant '$1' (want debug, release, asan, tsan, cov, fuzzer)" ;;
  esac
}

have_nightly() { rustup run nightly rustc --version >/dev/null 2>&1; }
# The fuzzer variant's compiler: clang++-19 (scripts/install-clang.sh), or SEAM_FUZZER_CXX (the
# ClusterFuzzLite build passes its own clang).
FUZZER_CXX=${SEAM_FUZZER_CXX:-clang++-19}
have_clang() { command -v "$FUZZER_CXX" >/dev/null 2>&1; }
cxx_of() { if [ "$1" = fuzzer ]; then echo "$FUZZER_CXX"; else echo g++; fi; }

# newer OUT INPUT... : true when OUT exists and is newer than every input file.
up_to_date() {
  local out=$1; shift
  [ -e "$out" ] || return 1
  [ -z "$(find "$@" -newer "$out" -type f -print -quit 2>/dev/null)" ]
}

# build_cpp SRC_ROOT VARIANT OUT [EXTRA_FLAGS]
build_cpp() {
  local src=$1 variant=$2 out=$3 extra=${4:-}
  mkdir -p "$(dirname "$out")"
  # shellcheck disable=SC2046,SC2086
  $(cxx_of "$variant") $(cxx_flags "$variant") $extra -I"$src/native/include" "$src"/native/cpp/*.cpp -o "$out.tmp" ||
    { echo "native: error: $(cxx_of "$variant") build of $out failed" >&2; return 1; }
  mv -f "$out.tmp" "$out"
}

# build_rust SRC_ROOT VARIANT OUT TARGET_DIR
build_rust() {
  local src=$1 variant=$2 out=$3 tdir=$4
  local toolchain="" flags="" profile=debug args=()
  # Edge coverage for the fuzzing bridge through LLVM's sancov pass (stable rustc flags).
  local cov_flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=3 -Cllvm-args=-sanitizer-coverage-trace-pc -Cllvm-args=-sanitizer-coverage-trace-compares"
  # What clang's -fsanitize=fuzzer-no-link gives C++: counters and compares libFuzzer reads.
  local fuzzer_flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=3 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares"
  case $variant in
    release) profile=release; args+=(--release) ;;
    cov|fuzzer)
      # Coverage for the go test bridge (cov) or for libFuzzer (fuzzer), with ASan when nightly.
      local covf=$cov_flags
      [ "$variant" = fuzzer ] && covf=$fuzzer_flags
      if have_nightly; then
        toolchain=+nightly
        args+=(--target x86_64-unknown-linux-gnu)
        flags="-Zsanitizer=address -Zunstable-options -Csymbol-mangling-version=legacy -Cforce-frame-pointers=yes $covf"
      else
        log "rust $variant: no nightly toolchain, coverage without ASan"
        flags="$covf"
      fi ;;
    asan|tsan)
      if have_nightly; then
        toolchain=+nightly
        args+=(--target x86_64-unknown-linux-gnu)
        flags="-Zsanitizer=address -Zunstable-options -Csymbol-mangling-version=legacy -Cforce-frame-pointers=yes"
        [ "$variant" = tsan ] && flags="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer -Zunstable-options -Csymbol-mangling-version=legacy -Cforce-frame-pointers=yes"
      else
        log "rust $variant: no nightly toolchain, using the debug build"
      fi ;;
  esac
  mkdir -p "$(dirname "$out")"
  # Legacy mangling: gcc's sanitizer symbolizer does not demangle Rust's v0 names.
  (cd "$src/native/rust" && RUSTFLAGS="$flags" cargo $toolchain build -q --offline --lib "${args[@]}" --target-dir "$tdir") ||
    { echo "native: error: cargo build of $out failed" >&2; return 1; }
  local built
  if [ -n "$toolchain" ]; then built="$tdir/x86_64-unknown-linux-gnu/$profile/libseam_rust.so"; else built="$tdir/$profile/libseam_rust.so"; fi
  cp -f "$built" "$out.tmp"
  mv -f "$out.tmp" "$out"
}

# The variants a mutant is built in: where its detector lives (keeps a fresh `make native` short).
mutant_wants() { # NAME VARIANT
  case $2 in
    asan|debug) return 0 ;;
    tsan) case $1 in *race*|*busy*|*two-threads*) return 0 ;; esac ;;
    cov) case $1 in *magic*|*leak-on-error*) return 0 ;; esac ;; # the bridge's mutant; LSan in cov
    # Everything a fuzz target can find (not the thread, stress-count and ABI mutants).
    fuzzer) case $1 in *race*|*busy*|*two-threads*|*every-n*|*fail-after*|*layout*) return 1 ;; *) return 0 ;; esac ;;
  esac
  return 1
}

mutant_engine() { # which engine a patch changes: cpp or rust
  if grep -q '^+++ b/native/rust/' "$1"; then echo rust; else echo cpp; fi
}

build_engine() { # ENGINE VARIANT
  local engine=$1 variant=$2 out="build/$2/libseam_$1.so"
  local inputs=(native/include scripts/build-native.sh)
  if [ "$engine" = cpp ]; then inputs+=(native/cpp); else inputs+=(native/rust/src native/rust/Cargo.toml); fi
  if up_to_date "$out" "${inputs[@]}"; then return 0; fi
  log "building $out"
  if [ "$engine" = cpp ]; then build_cpp "$ROOT" "$variant" "$out"; else build_rust "$ROOT" "$variant" "$out" "$ROOT/build/cargo/$variant"; fi
}

build_mutant() { # NAME VARIANT
  local name=$1 variant=$2 patch="native/mutants/$1.patch" out="build/$2/mutants/$1.so"
  [ -f "$patch" ] || die "no mutant '$name' ($patch does not exist)"
  local engine; engine=$(mutant_engine "$patch")
  local inputs=(native/include scripts/build-native.sh "$patch")
  if [ "$engine" = cpp ]; then inputs+=(native/cpp); else inputs+=(native/rust/src native/rust/Cargo.toml); fi
  if up_to_date "$out" "${inputs[@]}"; then return 0; fi
  log "building $out"
  local src="build/mutant-src/$variant/$name"
  rm -rf "$src" && mkdir -p "$src/native"
  cp -r native/include "native/$engine" "$src/native/"
  rm -rf "$src/native/rust/target"
  patch -s -p1 -d "$src" <"$patch" || die "mutant $name: $patch does not apply to native/$engine; refresh the patch"
  if [ "$engine" = cpp ]; then
    # A seeded bug is meant to be there: gcc's own warnings about it must not stop the build.
    build_cpp "$src" "$variant" "$out" -Wno-error
  else
    # One shared target dir per variant keeps Rust mutant builds incremental.
    build_rust "$src" "$variant" "$out" "$ROOT/build/cargo/mutants-$variant"
  fi
}

export -f mutant_wants log die cxx_flags have_nightly have_clang cxx_of up_to_date build_cpp build_rust mutant_engine build_engine build_mutant
export ROOT FUZZER_CXX

jobs=()
rc=0
if [[ " $VARIANTS " == *" fuzzer "* ]] && ! have_clang; then
  log "fuzzer: $FUZZER_CXX not installed, skipping the fuzzer variant (run scripts/install-clang.sh)"
  VARIANTS=$(echo " $VARIANTS " | sed 's/ fuzzer / /')
  rc=2
fi
for v in $VARIANTS; do
  cxx_flags "$v" >/dev/null
  jobs+=("build_engine cpp $v" "build_engine rust $v")
done
if [ "$MUTANTS" != none ]; then
  names=()
  if [ "$MUTANTS" = all ]; then
    for p in native/mutants/*.patch; do [ -e "$p" ] && names+=("$(basename "$p" .patch)"); done
  else
    IFS=, read -r -a names <<<"$MUTANTS"
  fi
  for v in $VARIANTS; do
    # Mutants are for detectors: sanitizer variants plus debug (differential, hang, panic).
    case $v in asan|tsan|debug|cov) ;; *) continue ;; esac
    for n in "${names[@]}"; do
      if [ "$MUTANTS" != all ] || mutant_wants "$n" "$v"; then jobs+=("build_mutant $n $v"); fi
    done
  done
fi
if [[ " $VARIANTS " == *" fuzzer "* ]] && [ "$FUZZER_MUTANTS" != none ]; then
  names=()
  if [ "$FUZZER_MUTANTS" = all ]; then
    for p in native/mutants/*.patch; do n=$(basename "$p" .patch); mutant_wants "$n" fuzzer && names+=("$n"); done
  else
    IFS=, read -r -a names <<<"$FUZZER_MUTANTS"
  fi
  for n in "${names[@]}"; do jobs+=("build_mutant $n fuzzer"); done
fi

# C++ builds run in parallel; Rust builds go one at a time because cargo serialises on its
# target directory anyway and interleaved cargo output is unreadable.
printf '%s\n' "${jobs[@]}" | grep -v 'rust' | xargs -r -P "$JOBS" -I{} bash -c '{}' || rc=2
printf '%s\n' "${jobs[@]}" | grep 'rust' | xargs -r -P 1 -I{} bash -c '{}' || rc=2
for v in $VARIANTS; do
  for e in cpp rust; do [ -e "build/$v/libseam_$e.so" ] || { echo "native: error: build/$v/libseam_$e.so was not built" >&2; rc=2; }; done
done
exit $rc
