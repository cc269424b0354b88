// The baseline for seam stress's throughput: a plain C++ pthread loop calling the same library
// with the same operation mix (weights as in fuzz/workload.go), no harness at all.
//   stress_loop LIB.so THREADS SECONDS   -> prints "calls/s N"
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

static const char kRules[] =
    "1,0,1000,825\n1,1,1500,825,SAVE10:1000\n1,2,0,0\n2,0,250,2000\n7,0,5000,1000,HALF:5000\n65535,2,1,1\n";

int main(int argc, char **argv) {
  if (argc != 4) { std::fprintf(stderr, "usage: %s LIB THREADS SECONDS\n", argv[0]); return 2; }
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
  std::atomic<bool> stop{false};
  std::atomic<long> total{0};
  std::vector<std::thread> ts;
  static const int weights[] = {40, 10, 10, 8, 8, 8, 3};
  for (int t = 0; t < threads; t++) {
    ts.emplace_back([&, t] {
      pricing_rules *priv;
      p_pricing_rules_new(&priv);
      uint64_t x = 88172645463325252ull + t;
      long calls = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int pick = x % 87, op = 0;
        while (pick >= weights[op]) pick -= weights[op++];
        pricing_rules *s = shared[(x >> 8) & 1];
        switch (op) {
          case 0: case 1: {
            pricing_request q{sizeof(pricing_request), 1, (int64_t)((x >> 16) % 1000000), 1, (uint32_t)((x >> 40) % 3), nullptr, 0};
            if (op == 1) q.customer_tier = 7;
            pricing_result r{sizeof(pricing_result), 0, 0, 0};
            p_pricing_quote(s, &q, &r);
            break;
          }
          case 2: { uint8_t buf[256]; size_t need; p_pricing_rules_describe(s, 1, buf, sizeof buf, &need); break; }
          case 3: { uint8_t *o; size_t n; if (p_pricing_rules_export(s, &o, &n) == SEAM_OK) p_seam_bytes_free(o, n); break; }
          case 4: p_pricing_rules_load(priv, rules, rules_len); break;
          case 5: { pricing_rules *r; p_pricing_rules_new(&r); p_pricing_rules_load(r, rules, rules_len);
                    uint8_t *o; size_t n; if (p_pricing_rules_export(r, &o, &n) == SEAM_OK) p_seam_bytes_free(o, n);
                    p_pricing_rules_free(r); break; }
          case 6: p_pricing_rules_load(s, rules, rules_len); break;
        }
        calls++;
      }
      total += calls;
      p_pricing_rules_free(priv);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto &th : ts) th.join();
  std::printf("calls/s %.0f\n", total.load() / seconds);
  return 0;
}
