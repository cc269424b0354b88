#!/bin/bash -eu
# ClusterFuzzLite build of the pricing boundary, written by `seam ci init -contract native/pricing/contract.yaml`:
# run that command again rather than editing this file.
#
# The contract's build command builds the engines in the fuzzer variant (SEAM_BUILD_VARIANT)
# with ClusterFuzzLite's compilers (CC, CXX); `seam ci build-fuzzers` then links one libFuzzer
# binary per target seam derives from the contract, ships the engines in $OUT/seam-engines/ and
# the contract with its header in $OUT/seam-contract/, where the binaries look for them, with a
# snapshot of this image's C configuration (the predefined macros, include paths and system
# headers the header parse takes) beside the contract in seam-cc/, since the runner image has
# no C compiler, and zips corpus/pricing.<target>/ into each binary's seed corpus.
if [ "${SANITIZER:-address}" != address ]; then
  echo "seam's libFuzzer harness runs ASan + UBSan engines: build with the address sanitizer only" >&2
  exit 1
fi
export SEAM_ROOT="$SRC/seam"
(cd "$SEAM_ROOT" && go build -ldflags='-s=false -w=false' -o "$WORK/seam" ./cmd/seam)
(cd native/pricing && SEAM_BUILD_VARIANT=fuzzer make -C ../.. native)
"$WORK/seam" ci build-fuzzers -contract native/pricing/contract.yaml -out "$OUT" -corpus corpus \
  -linker "$CXX $CXXFLAGS $LIB_FUZZING_ENGINE -fsanitize=undefined"
