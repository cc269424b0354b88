#!/usr/bin/env bash
# Builds the native engines, seeded-bug mutants and behaviour tests of every reference boundary
# (each folder native/<b>/ with build.conf, include/, cpp/ and, once written, rust/Cargo.toml),
# in every variant. native/<b>/build.conf names the outputs; with its OUT:
#   build/<variant>/$OUT/$CPP_LIB, build/<variant>/$OUT/$RUST_LIB
#   build/<variant>/$OUT/mutants/<name>.so     (native/<b>/mutants/<name>.patch applied to a copy)
#   build/bin/<b>_<test>                       (native/<b>/test/<test>.c, plain C, dlopens an engine)
# pricing's OUT is empty: build/<variant>/libseam_cpp.so, build/<variant>/mutants/<name>.so.
# A boundary without rust/ yet is built without its Rust engine and says so in one line.
# Variants: debug release asan tsan cov (cov = asan + edge coverage for the fuzzing bridge).
# On request only: fuzzer (clang-19, ASan + UBSan + libFuzzer's inline 8-bit counters, pc-table
# and compare tracing; for `seam fuzz -mode libfuzzer`). Its mutants are built only when asked:
# `-m NAME,...`/`-m all` or SEAM_MUTANTS=NAME,...|all.
#
# Usage: scripts/build-native.sh [-v "debug asan"] [-m all|none|NAME,...] [-j N] [VARIANT...]
# A mutant NAME is its output path under build/<variant>/ without mutants/: `cpp-overread` is
# pricing's (build/<v>/mutants/cpp-overread.so), `tally/cpp-hang` tally's.
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
# A contract's build command run by seam's generated CI (ClusterFuzzLite's build.sh) asks for
# one variant in SEAM_BUILD_VARIANT, with that service's compiler in CXX.
if [ -n "${SEAM_BUILD_VARIANT:-}" ]; then
  VARIANTS=$SEAM_BUILD_VARIANT
  [ "$VARIANTS" = fuzzer ] && [ -n "${CXX:-}" ] && : "${SEAM_FUZZER_CXX:=$CXX}"
fi
# The fuzzer variant's mutants: only those asked for (a fresh `make native` stays short).
FUZZER_MUTANTS=${SEAM_MUTANTS:-none}
[ -n "$MUTANTS_ASKED" ] && [ -z "${SEAM_MUTANTS:-}" ] && FUZZER_MUTANTS=$MUTANTS

log() { printf 'native: %s\n' "$*"; }
die() { printf 'native: error: %s\n' "$*" >&2; exit 2; }

command -v g++ >/dev/null || die "g++ not found: install it (apt-get install g++)"
command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) so the Rust engine can be built"
# seam's generic call path (package ffi) links libffi for floats and structs by value.
have_libffi() { echo '#include <ffi.h>' | gcc -E -x c - >/dev/null 2>&1; }
if ! have_libffi; then
  log "libffi-dev missing: installing it (apt-get install libffi-dev)"
  { [ "$(id -u)" = 0 ] && apt-get install -y -q libffi-dev >/dev/null 2>&1; } || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q libffi-dev >/dev/null 2>&1; } ||
    die "libffi-dev is not installed and apt could not install it: install it (apt-get install libffi-dev), seam's call path links it"
fi

cxx_flags() {
  local common="-std=c++17 -fPIC -shared -Wall -Wextra -Werror -fvisibility=hidden -fno-omit-frame-pointer"
  case $1 in
    debug) echo "$common -O1 -g -D_GLIBCXX_ASSERTIONS" ;;
    release) echo "$common -O2 -g" ;;
    # -fsanitize-recover=address: ASan still halts on the first report (halt_on_error=1 is the
    # default); a go test -fuzz worker that knows a crash sets halt_on_error=0 to keep going past
    # it (fuzz/knowncrash.go). UBSan stays fatal.
    asan) echo "$common -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize-recover=address" ;;
    tsan) echo "$common -O1 -g -fsanitize=thread" ;;
    cov) echo "$common -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize-recover=address -fsanitize-coverage=trace-pc,trace-cmp" ;;
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

# Every boundary folder of the standard shape, by name.
boundaries() {
  local d
  for d in native/*/; do
    d=${d%/}
    if [ -f "$d/build.conf" ] && [ -d "$d/include" ] && [ -d "$d/cpp" ]; then echo "${d#native/}"; fi
  done
}

# load_conf BOUNDARY: its build.conf's variables, none left over from another boundary.
load_conf() {
  local v
  for v in OUT CPP_LIB RUST_LIB CARGO_LIB CARGO_DIR $(compgen -v MUTANTS_ || true); do unset "$v"; done
  # shellcheck disable=SC1090
  . "native/$1/build.conf"
  : "${CPP_LIB:?native/$1/build.conf sets no CPP_LIB}" "${RUST_LIB:?native/$1/build.conf sets no RUST_LIB}"
  : "${CARGO_LIB:?native/$1/build.conf sets no CARGO_LIB}" "${CARGO_DIR:?native/$1/build.conf sets no CARGO_DIR}"
  OUTDIR=${OUT:+/$OUT}
}

has_rust() { [ -f "native/$1/rust/Cargo.toml" ]; }

# build_cpp SRC_ROOT BOUNDARY VARIANT OUT [EXTRA_FLAGS]
build_cpp() {
  local src=$1 b=$2 variant=$3 out=$4 extra=${5:-}
  mkdir -p "$(dirname "$out")"
  # shellcheck disable=SC2046,SC2086
  $(cxx_of "$variant") $(cxx_flags "$variant") $extra -I"$src/native/$b/include" "$src/native/$b"/cpp/*.cpp -o "$out.tmp" ||
    { echo "native: error: $(cxx_of "$variant") build of $out failed" >&2; return 1; }
  mv -f "$out.tmp" "$out"
}

# build_rust SRC_ROOT BOUNDARY VARIANT OUT TARGET_DIR (the boundary's build.conf loaded)
build_rust() {
  local src=$1 b=$2 variant=$3 out=$4 tdir=$5
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
        flags="-Zsanitizer=address -Zsanitizer-recover=address -Zunstable-options -Csymbol-mangling-version=legacy -Cforce-frame-pointers=yes $covf"
      else
        log "$b: rust $variant: no nightly toolchain, coverage without ASan"
        flags="$covf"
      fi ;;
    asan|tsan)
      if have_nightly; then
        toolchain=+nightly
        args+=(--target x86_64-unknown-linux-gnu)
        flags="-Zsanitizer=address -Zsanitizer-recover=address -Zunstable-options -Csymbol-mangling-version=legacy -Cforce-frame-pointers=yes"
        [ "$variant" = tsan ] && flags="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer -Zunstable-options -Csymbol-mangling-version=legacy -Cforce-frame-pointers=yes"
      else
        log "$b: rust $variant: no nightly toolchain, using the debug build"
      fi ;;
  esac
  mkdir -p "$(dirname "$out")"
  # Legacy mangling: gcc's sanitizer symbolizer does not demangle Rust's v0 names.
  (cd "$src/native/$b/rust" && RUSTFLAGS="$flags" cargo $toolchain build -q --offline --lib "${args[@]}" --target-dir "$tdir") ||
    { echo "native: error: cargo build of $out failed" >&2; return 1; }
  local built
  if [ -n "$toolchain" ]; then built="$tdir/x86_64-unknown-linux-gnu/$profile/$CARGO_LIB"; else built="$tdir/$profile/$CARGO_LIB"; fi
  cp -f "$built" "$out.tmp"
  mv -f "$out.tmp" "$out"
}

# mutant_wants NAME VARIANT (the boundary's build.conf loaded): whether a fresh build makes it.
mutant_wants() {
  local want="MUTANTS_$2" except="MUTANTS_$2_EXCEPT" pats p
  read -r -a pats <<<"${!except:-}"
  for p in "${pats[@]}"; do [[ $1 == $p ]] && return 1; done
  read -r -a pats <<<"${!want:-}"
  for p in "${pats[@]}"; do [[ $1 == $p ]] && return 0; done
  return 1
}

mutant_engine() { # which engine a patch changes: cpp or rust
  if grep -q '^+++ b/native/[^/]*/rust/' "$1"; then echo rust; else echo cpp; fi
}

engine_inputs() { # BOUNDARY ENGINE: the sources an engine build reads
  if [ "$2" = cpp ]; then echo "native/$1/cpp"; else echo "native/$1/rust/src native/$1/rust/Cargo.toml"; fi
}

build_engine() { # BOUNDARY ENGINE VARIANT
  local b=$1 engine=$2 variant=$3
  load_conf "$b"
  local lib=$CPP_LIB; [ "$engine" = rust ] && lib=$RUST_LIB
  local out="build/$variant$OUTDIR/$lib"
  # shellcheck disable=SC2046
  if up_to_date "$out" "native/$b/include" "native/$b/build.conf" scripts/build-native.sh $(engine_inputs "$b" "$engine"); then return 0; fi
  log "building $out"
  if [ "$engine" = cpp ]; then build_cpp "$ROOT" "$b" "$variant" "$out"; else build_rust "$ROOT" "$b" "$variant" "$out" "$ROOT/build/$CARGO_DIR/$variant"; fi
}

build_mutant() { # BOUNDARY NAME VARIANT
  local b=$1 name=$2 variant=$3 patch="native/$1/mutants/$2.patch"
  load_conf "$b"
  local out="build/$variant$OUTDIR/mutants/$name.so"
  [ -f "$patch" ] || die "no mutant '${OUT:+$OUT/}$name' ($patch does not exist)"
  local engine; engine=$(mutant_engine "$patch")
  # shellcheck disable=SC2046
  if up_to_date "$out" "native/$b/include" "native/$b/build.conf" scripts/build-native.sh "$patch" $(engine_inputs "$b" "$engine"); then return 0; fi
  log "building $out"
  local src="build/mutant-src/$variant/$b-$name"
  rm -rf "$src" && mkdir -p "$src/native/$b"
  cp -r "native/$b/include" "native/$b/$engine" "$src/native/$b/"
  rm -rf "$src/native/$b/rust/target"
  patch -s -p1 -d "$src" <"$patch" || die "mutant $name: $patch does not apply to native/$b/$engine; refresh the patch"
  if [ "$engine" = cpp ]; then
    # A seeded bug is meant to be there: gcc's own warnings about it must not stop the build.
    build_cpp "$src" "$b" "$variant" "$out" -Wno-error
  else
    # One shared target dir per variant keeps Rust mutant builds incremental.
    build_rust "$src" "$b" "$variant" "$out" "$ROOT/build/$CARGO_DIR/mutants-$variant"
  fi
}

build_test() { # BOUNDARY TEST.c: a behaviour test, plain C, not sanitized (it runs any engine)
  local b=$1 c=$2 out; out="build/bin/${1}_$(basename "$2" .c)"
  if up_to_date "$out" "$c" "native/$b/include" scripts/build-native.sh; then return 0; fi
  log "building $out"
  mkdir -p build/bin
  gcc -std=c11 -O1 -g -Wall -Wextra -Werror -I"native/$b/include" "$c" -o "$out.tmp" -ldl ||
    { echo "native: error: gcc build of $out failed" >&2; return 1; }
  mv -f "$out.tmp" "$out"
}

# mutant_ids BOUNDARY VARIANT: the mutants a fresh build makes in VARIANT (`all`).
mutant_ids() {
  local p n
  for p in "native/$1"/mutants/*.patch; do
    [ -e "$p" ] || continue
    n=$(basename "$p" .patch)
    mutant_wants "$n" "$2" && echo "$1 $n"
  done
}

# mutant_of ID: "BOUNDARY NAME" for a mutant named as `-m` takes it (OUT/NAME, or NAME for the
# boundary whose OUT is empty).
mutant_of() {
  local id=$1 out="" name=$1 b
  case $id in */*) out=${id%/*} name=${id##*/} ;; esac
  for b in $(boundaries); do
    load_conf "$b"
    [ "${OUT:-}" = "$out" ] && { echo "$b $name"; return 0; }
  done
  die "no boundary builds into build/<variant>/$out for mutant '$id' (a mutant is NAME or BOUNDARY_OUT/NAME)"
}

export -f mutant_wants log die cxx_flags have_nightly have_clang cxx_of up_to_date build_cpp build_rust mutant_engine \
  engine_inputs build_engine build_mutant build_test load_conf
export ROOT FUZZER_CXX

# Each job is "ENGINE COMMAND...": C++ and C jobs run in parallel, Rust ones in a queue.
jobs=()
rc=0
if [[ " $VARIANTS " == *" fuzzer "* ]] && ! have_clang; then
  log "fuzzer: $FUZZER_CXX not installed, skipping the fuzzer variant (run scripts/install-clang.sh)"
  VARIANTS=$(echo " $VARIANTS " | sed 's/ fuzzer / /')
  rc=2
fi
for v in $VARIANTS; do cxx_flags "$v" >/dev/null; done
all=$(boundaries)
[ -n "$all" ] || die "no boundary under native/ (native/<name>/ with build.conf, include/ and cpp/)"
for b in $all; do
  has_rust "$b" || log "$b: no rust/ engine, skipped"
  for v in $VARIANTS; do
    jobs+=("cpp build_engine $b cpp $v")
    has_rust "$b" && jobs+=("rust build_engine $b rust $v")
  done
  if [ -n "$VARIANTS" ]; then
    for c in "native/$b"/test/*.c; do [ -e "$c" ] && jobs+=("cpp build_test $b $c"); done
  fi
done

# mutant_jobs LIST VARIANT: the jobs of LIST (all | NAME,...) in VARIANT.
mutant_jobs() {
  local list=$1 v=$2 pairs=() b n id engine
  if [ "$list" = all ]; then
    for b in $all; do load_conf "$b"; mapfile -t -O "${#pairs[@]}" pairs < <(mutant_ids "$b" "$v"); done
  else
    IFS=, read -r -a ids <<<"$list"
    for id in "${ids[@]}"; do p=$(mutant_of "$id") || exit 2; pairs+=("$p"); done
  fi
  for p in "${pairs[@]}"; do
    read -r b n <<<"$p"
    engine=cpp
    [ -f "native/$b/mutants/$n.patch" ] && engine=$(mutant_engine "native/$b/mutants/$n.patch")
    # A boundary's Rust mutants wait for its Rust engine (the line above said it is missing).
    [ "$engine" = rust ] && ! has_rust "$b" && continue
    jobs+=("$engine build_mutant $b $n $v")
  done
}
if [ "$MUTANTS" != none ]; then
  for v in $VARIANTS; do
    # Mutants are for detectors: sanitizer variants plus debug (differential, hang, panic).
    case $v in asan|tsan|debug|cov) mutant_jobs "$MUTANTS" "$v" ;; esac
  done
fi
if [[ " $VARIANTS " == *" fuzzer "* ]] && [ "$FUZZER_MUTANTS" != none ]; then
  mutant_jobs "$FUZZER_MUTANTS" fuzzer
fi

# Rust builds go one at a time because cargo serialises on its target directory anyway and
# interleaved cargo output is unreadable.
printf '%s\n' "${jobs[@]}" | sed -n 's/^cpp //p' | xargs -r -P "$JOBS" -I{} bash -c '{}' || rc=2
printf '%s\n' "${jobs[@]}" | sed -n 's/^rust //p' | xargs -r -P 1 -I{} bash -c '{}' || rc=2
for b in $all; do
  load_conf "$b"
  libs=("$CPP_LIB")
  has_rust "$b" && libs+=("$RUST_LIB")
  for v in $VARIANTS; do
    for l in "${libs[@]}"; do [ -e "build/$v$OUTDIR/$l" ] || { echo "native: error: build/$v$OUTDIR/$l was not built" >&2; rc=2; }; done
  done
done
exit $rc
