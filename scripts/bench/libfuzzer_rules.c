// The like-for-like baseline for libFuzzer mode's throughput: a C-only libFuzzer harness doing
// exactly what seam's Go target "rules" (fuzz/rules.go) does with the same raw input bytes —
// new, pricing_rules_load(data), and for a text that loads, the export round trip (export, load
// the export into a second handle, export again, compare) — without the Go side. The library is
// dlopen'ed as seam does (SEAM_LIB, default build/fuzzer/libseam_cpp.so) in
// LLVMFuzzerInitialize, so its counters register with libFuzzer.
//   clang-19 -O1 -g -fsanitize=fuzzer,address,undefined -Inative/pricing/include \
//       scripts/bench/libfuzzer_rules.c -o build/bin/libfuzzer_rules -ldl
//   SEAM_LIB=build/fuzzer/libseam_cpp.so build/bin/libfuzzer_rules -fork=1 -max_total_time=20 DIR
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seam_pricing.h"
#include "libfuzzer_lib.h"

static int32_t (*p_new)(pricing_rules **);
static int32_t (*p_load)(pricing_rules *, const uint8_t *, size_t);
static int32_t (*p_export)(const pricing_rules *, uint8_t **, size_t *);
static void (*p_bytes_free)(uint8_t *, size_t);
static void (*p_free)(pricing_rules *);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *who = "libfuzzer_rules";
  void *h = bench_open(who);
  *(void **)&p_new = bench_sym(h, who, "pricing_rules_new");
  *(void **)&p_load = bench_sym(h, who, "pricing_rules_load");
  *(void **)&p_export = bench_sym(h, who, "pricing_rules_export");
  *(void **)&p_bytes_free = bench_sym(h, who, "seam_bytes_free");
  *(void **)&p_free = bench_sym(h, who, "pricing_rules_free");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pricing_rules *r = NULL, *r2 = NULL;
  if (p_new(&r) != SEAM_OK) abort();
  // An exact-size copy, as seam passes every buffer (libFuzzer's own is exact-size already).
  uint8_t *text = malloc(size ? size : 1);
  if (size) memcpy(text, data, size);
  int32_t st = p_load(r, text, size);
  free(text);
  if (st == SEAM_OK) {
    uint8_t *out = NULL, *again = NULL;
    size_t out_len = 0, again_len = 0;
    if (p_export(r, &out, &out_len) != SEAM_OK) abort();
    if (p_new(&r2) != SEAM_OK) abort();
    if (p_load(r2, out, out_len) != SEAM_OK) abort();
    if (p_export(r2, &again, &again_len) != SEAM_OK) abort();
    if (again_len != out_len || (out_len && memcmp(out, again, out_len) != 0)) abort();
    p_bytes_free(out, out_len);
    p_bytes_free(again, again_len);
    p_free(r2);
  }
  p_free(r);
  return 0;
}
