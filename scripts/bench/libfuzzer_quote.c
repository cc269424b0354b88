// The baseline for libFuzzer mode's throughput: a C-only libFuzzer harness that makes the same
// library calls per input as seam's Go target "quote" (fuzz/quote.go) — new, load generated rules
// text, one to four quotes each followed by a describe of the request's region, free — with a
// plain byte decoder instead of seam's generator and spec model. The library is dlopen'ed as
// seam does (SEAM_LIB, default build/fuzzer/libseam_cpp.so), in LLVMFuzzerInitialize so its
// counters register with libFuzzer.
//   clang-19 -O1 -g -fsanitize=fuzzer,address,undefined -Inative/pricing/include \
//       scripts/bench/libfuzzer_quote.c -o build/bin/libfuzzer_quote -ldl
//   SEAM_LIB=build/fuzzer/libseam_cpp.so build/bin/libfuzzer_quote -fork=1 -max_total_time=20 DIR
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seam_pricing.h"
#include "libfuzzer_lib.h"

static int32_t (*p_new)(pricing_rules **);
static int32_t (*p_load)(pricing_rules *, const uint8_t *, size_t);
static int32_t (*p_quote)(const pricing_rules *, const pricing_request *, pricing_result *);
static int32_t (*p_describe)(const pricing_rules *, uint32_t, uint8_t *, size_t, size_t *);
static void (*p_free)(pricing_rules *);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *who = "libfuzzer_quote";
  void *h = bench_open(who);
  *(void **)&p_new = bench_sym(h, who, "pricing_rules_new");
  *(void **)&p_load = bench_sym(h, who, "pricing_rules_load");
  *(void **)&p_quote = bench_sym(h, who, "pricing_quote");
  *(void **)&p_describe = bench_sym(h, who, "pricing_rules_describe");
  *(void **)&p_free = bench_sym(h, who, "pricing_rules_free");
  return 0;
}

typedef struct { const uint8_t *p; size_t n; } reader;

static uint64_t take(reader *r, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes && r->n > 0; i++, r->p++, r->n--) v = v << 8 | *r->p;
  return v;
}

// Exact-size copies, as seam passes every buffer: an over-read is an ASan report.
static uint8_t *copy(const uint8_t *p, size_t n) {
  uint8_t *c = malloc(n ? n : 1);
  if (n) memcpy(c, p, n);
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r = {data, size};
  pricing_rules *rules = NULL;
  if (p_new(&rules) != SEAM_OK) abort();
  size_t text_len = (size_t)take(&r, 1);
  if (text_len > r.n) text_len = r.n;
  uint8_t *text = copy(r.p, text_len);
  r.p += text_len, r.n -= text_len;
  p_load(rules, text, text_len);
  free(text);
  for (int q = 1 + (int)(take(&r, 1) % 4); q > 0; q--) {
    pricing_request req;
    memset(&req, 0, sizeof req);
    req.struct_size = take(&r, 1) % 32 == 0 ? (uint32_t)take(&r, 2) : sizeof req;
    req.item_count = (uint32_t)take(&r, 2);
    req.subtotal_cents = (int64_t)take(&r, 5);
    req.region_id = (uint32_t)take(&r, 2) % 8;
    req.customer_tier = (uint32_t)take(&r, 1) % 4;
    size_t coupon_len = (size_t)take(&r, 1) % 34;
    if (coupon_len > r.n) coupon_len = r.n;
    uint8_t *coupon = coupon_len ? copy(r.p, coupon_len) : NULL;
    r.p += coupon_len, r.n -= coupon_len;
    req.coupon = coupon, req.coupon_len = coupon_len;
    pricing_result res;
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    p_quote(rules, &req, &res);
    size_t needed = 0;
    uint8_t buf[4096];
    p_describe(rules, req.region_id, buf, sizeof buf, &needed);
    free(coupon);
  }
  p_free(rules);
  return 0;
}
