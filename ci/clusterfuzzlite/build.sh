#!/bin/bash -eu
# ClusterFuzzLite build for seam's Go fuzz targets (OSS-Fuzz's native Go fuzzer support): the
# engines are built by seam's own script in the asan variant, and each Go target is compiled
# with compile_native_go_fuzzer. seam's libFuzzer mode (issue 8) is not built yet; when it is,
# this file switches to its binaries.
cd "$SRC/seam"
scripts/build-native.sh -v asan -m none
export SEAM_ROOT="$SRC/seam" SEAM_VARIANT=asan
for f in FuzzRules FuzzQuote FuzzDescribe FuzzExport FuzzLifecycle FuzzDifferential FuzzRequest; do
  compile_native_go_fuzzer github.com/seamfuzz/seam/fuzz "$f" "seam_${f#Fuzz}"
done
for t in corpus/*/; do
  name=$(basename "$t")
  (cd "$t" && ls | grep -v '\.json$' | zip -q -@ "$OUT/seam_${name}_seed_corpus.zip") || true
done
