#!/bin/bash -eu
# ClusterFuzzLite build for seam's fuzz targets.
#
# address builds use seam's libFuzzer mode (fuzz/libfuzzer, the same harness as
# `seam fuzz -mode libfuzzer`): the engines are built in the fuzzer variant by seam's own script
# with ClusterFuzzLite's clang (counters, compare tracing, ASan + UBSan) and shipped next to the
# binaries in $OUT/seam-engines/, where the harness looks for them; each Go target becomes a
# c-archive linked with $LIB_FUZZING_ENGINE. Other sanitizers keep OSS-Fuzz's native Go fuzzer
# support (compile_native_go_fuzzer) on the asan engines.
cd "$SRC/seam"
targets="rules quote describe export lifecycle differential request"
if [ "${SANITIZER:-address}" = address ] && [ "${FUZZING_ENGINE:-libfuzzer}" = libfuzzer ]; then
  SEAM_FUZZER_CXX="$CXX" SEAM_MUTANTS=none scripts/build-native.sh fuzzer
  mkdir -p "$OUT/seam-engines"
  cp build/fuzzer/libseam_cpp.so build/fuzzer/libseam_rust.so "$OUT/seam-engines/"
  for t in $targets; do
    go build -buildmode=c-archive -tags=libfuzzer \
      '-gcflags=github.com/seamfuzz/seam/...=-d=libfuzzer' '-gcflags=github.com/AdaLogics/go-fuzz-headers/...=-d=libfuzzer' \
      -ldflags="-s=false -w=false -X=main.targetName=$t" -o "$WORK/seam_$t.a" ./fuzz/libfuzzer
    $CXX $CXXFLAGS "$WORK/seam_$t.a" $LIB_FUZZING_ENGINE -fsanitize=undefined -o "$OUT/seam_$t" -lpthread -ldl -lffi
    cp fuzz/rules.dict "$OUT/seam_$t.dict" # every target's input carries rules text
  done
else
  scripts/build-native.sh -v asan -m none
  export SEAM_ROOT="$SRC/seam" SEAM_VARIANT=asan
  for f in FuzzRules FuzzQuote FuzzDescribe FuzzExport FuzzLifecycle FuzzDifferential FuzzRequest; do
    compile_native_go_fuzzer github.com/seamfuzz/seam/fuzz "$f" "seam_$(echo "${f#Fuzz}" | tr A-Z a-z)"
  done
fi
for t in corpus/*/; do
  [ -d "$t" ] || continue
  name=$(basename "$t")
  (cd "$t" && ls | grep -v '\.json$' | zip -q -@ "$OUT/seam_${name}_seed_corpus.zip") || true
done
