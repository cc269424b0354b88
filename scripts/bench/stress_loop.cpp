// The baseline for seam stress's throughput: a plain C++ pthread loop calling the same library,
// no harness at all.
//   stress_loop LIB.so THREADS SECONDS [quote]   -> prints "calls/s N"
// The mix: quotes on shared handles (valid, and one in five with an invalid tier), describe,
// export, loads and new/load/export/free cycles; with "quote", only the quotes (what make
// bench compares with seam stress -weights limited to pricing_quote).
//
// Like seam stress, it checks every result, with the cheapest check that does the same job (so
// the ratio compares harness overhead, not checking against not checking): a quote's three
// amounts against the header's arithmetic, describe and export bytes against the reference
// text (memcmp), statuses against the allowed ones. A wrong result is counted and reported on
// stderr; the checks cost a few nanoseconds a call.
#include <dlfcn.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "seam_pricing.h"

#define FN(name) static decltype(&name) p_##name;
FN(pricing_rules_new) FN(pricing_rules_load) FN(pricing_quote) FN(pricing_rules_describe)
FN(pricing_rules_export) FN(seam_bytes_free) FN(pricing_rules_free)

// The header's rounding: n / 10000, half to even.
static int64_t round_half_even(int64_t n) {
  int64_t q = n / 10000, r = n % 10000;
  if (r > 5000 || (r == 5000 && (q & 1))) q++;
  return q;
}

// Region 1 of kRules: discount and tax basis points per tier.
static const int64_t kDiscountBP[3] = {1000, 1500, 0}, kTaxBP[3] = {825, 825, 0};

static const char kRules[] =
    "1,0,1000,825\n1,1,1500,825,SAVE10:1000\n1,2,0,0\n2,0,250,2000\n7,0,5000,1000,HALF:5000\n65535,2,1,1\n";

int main(int argc, char **argv) {
  if (argc != 4 && !(argc == 5 && std::strcmp(argv[4], "quote") == 0)) {
    std::fprintf(stderr, "usage: %s LIB THREADS SECONDS [quote]\n", argv[0]);
    return 2;
  }
  void *h = dlopen(argv[1], RTLD_NOW);
  if (!h) { std::fprintf(stderr, "%s\n", dlerror()); return 2; }
#define LOAD(name) p_##name = reinterpret_cast<decltype(&name)>(dlsym(h, #name));
  LOAD(pricing_rules_new) LOAD(pricing_rules_load) LOAD(pricing_quote) LOAD(pricing_rules_describe)
  LOAD(pricing_rules_export) LOAD(seam_bytes_free) LOAD(pricing_rules_free)
  int threads = std::atoi(argv[2]);
  double seconds = std::atof(argv[3]);
  const uint8_t *rules = reinterpret_cast<const uint8_t *>(kRules);
  size_t rules_len = sizeof(kRules) - 1;
  pricing_rules *shared[2];
  for (auto &s : shared) { p_pricing_rules_new(&s); p_pricing_rules_load(s, rules, rules_len); }
  // The reference description of region 1 (what every describe on a shared handle must return).
  uint8_t want_desc[256];
  size_t want_desc_len = 0;
  if (p_pricing_rules_describe(shared[0], 1, want_desc, sizeof want_desc, &want_desc_len) != SEAM_OK) {
    std::fprintf(stderr, "describe of the reference rules failed\n");
    return 2;
  }
  std::atomic<bool> stop{false};
  std::atomic<long> total{0}, wrong{0};
  std::vector<std::thread> ts;
  static int weights[] = {40, 10, 10, 8, 8, 8, 3};
  int total_weight = 87;
  if (argc == 5) {  // quotes only
    for (int i = 2; i < 7; i++) weights[i] = 0;
    total_weight = 50;
  }
  for (int t = 0; t < threads; t++) {
    ts.emplace_back([&, t] {
      pricing_rules *priv;
      p_pricing_rules_new(&priv);
      uint64_t x = 88172645463325252ull + t;
      long calls = 0, bad = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int pick = x % total_weight, op = 0;
        while (pick >= weights[op]) pick -= weights[op++];
        pricing_rules *s = shared[(x >> 8) & 1];
        switch (op) {
          case 0: case 1: {
            pricing_request q{sizeof(pricing_request), 1, (int64_t)((x >> 16) % 1000000), 1, (uint32_t)((x >> 40) % 3), nullptr, 0};
            if (op == 1) q.customer_tier = 7;
            pricing_result r{sizeof(pricing_result), 0, 0, 0};
            int32_t st = p_pricing_quote(s, &q, &r);
            if (op == 1) {
              bad += st != SEAM_BAD_INPUT && st != SEAM_BUSY;
            } else if (st == SEAM_OK) {
              int64_t discount = round_half_even(q.subtotal_cents * kDiscountBP[q.customer_tier]);
              int64_t tax = round_half_even((q.subtotal_cents - discount) * kTaxBP[q.customer_tier]);
              bad += r.discount_cents != discount || r.tax_cents != tax || r.final_price_cents != q.subtotal_cents - discount + tax;
            } else {
              bad += st != SEAM_BUSY;
            }
            break;
          }
          case 2: {
            uint8_t buf[256]; size_t need;
            if (p_pricing_rules_describe(s, 1, buf, sizeof buf, &need) == SEAM_OK)
              bad += need != want_desc_len || std::memcmp(buf, want_desc, need) != 0;
            break;
          }
          case 3: {
            uint8_t *o; size_t n;
            if (p_pricing_rules_export(s, &o, &n) == SEAM_OK) {
              bad += n != rules_len || std::memcmp(o, rules, n) != 0;
              p_seam_bytes_free(o, n);
            }
            break;
          }
          case 4: bad += p_pricing_rules_load(priv, rules, rules_len) != SEAM_OK; break;
          case 5: { pricing_rules *r; p_pricing_rules_new(&r); int32_t st = p_pricing_rules_load(r, rules, rules_len);
                    uint8_t *o; size_t n;
                    if (p_pricing_rules_export(r, &o, &n) == SEAM_OK) {
                      bad += st == SEAM_OK && (n != rules_len || std::memcmp(o, rules, n) != 0);
                      p_seam_bytes_free(o, n);
                    }
                    p_pricing_rules_free(r); break; }
          case 6: { int32_t st = p_pricing_rules_load(s, rules, rules_len); bad += st != SEAM_OK && st != SEAM_BUSY; break; }
        }
        calls++;
      }
      total += calls;
      wrong += bad;
      p_pricing_rules_free(priv);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto &th : ts) th.join();
  if (wrong.load() > 0) std::fprintf(stderr, "%ld wrong results\n", wrong.load());
  std::printf("calls/s %.0f\n", total.load() / seconds);
  return 0;
}
