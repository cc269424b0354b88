// The C++ engine of the pricing contract (native/pricing/include/seam_pricing.h). C++17, standard
// library only. Every export goes through guard(), so no exception crosses the C ABI.
#include "seam_pricing.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <utility>

#define SEAM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// ---------------------------------------------------------------------------------------------
// Last error: one slot per thread, as the header promises.

thread_local std::string last_error;

void set_error(const char *msg) noexcept {
  try {
    last_error = msg;
  } catch (...) {
    // Out of memory while reporting: keep the previous message rather than throw.
  }
}

int32_t fail(int32_t status, const char *msg) noexcept {
  set_error(msg);
  return status;
}

// Runs an export body; any exception becomes SEAM_INTERNAL.
template <typename F>
int32_t guard(F body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(SEAM_INTERNAL, "internal: out of memory");
  } catch (...) {
    return fail(SEAM_INTERNAL, "internal: unexpected exception");
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).

bool valid_utf8(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t min, cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      uint8_t cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Rules.

struct Rule {
  uint32_t discount_bp = 0;
  uint32_t tax_bp = 0;
  std::string code;  // empty: no coupon
  uint32_t extra_bp = 0;
};

// Keyed by (region, tier): std::map keeps the canonical export order for free.
using RuleSet = std::map<std::pair<uint32_t, uint32_t>, Rule>;

// Parses 1..5 ASCII digits into *out; false on anything else.
bool parse_number(const uint8_t *p, size_t n, uint32_t *out) {
  if (n < 1 || n > 5) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + static_cast<uint32_t>(p[i] - '0');
  }
  *out = v;
  return true;
}

// Parses one non-comment line into (key, rule).
bool parse_line(const uint8_t *p, size_t n, std::pair<uint32_t, uint32_t> *key, Rule *rule) {
  const uint8_t *field[5];
  size_t flen[5];
  size_t count = 0;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || p[i] == ',') {
      if (count == 5) return false;
      field[count] = p + start;
      flen[count] = i - start;
      count++;
      start = i + 1;
    }
  }
  if (count != 4 && count != 5) return false;
  uint32_t region, tier, discount, tax;
  if (!parse_number(field[0], flen[0], &region) || region > SEAM_MAX_REGION_ID) return false;
  if (!parse_number(field[1], flen[1], &tier) || tier >= SEAM_TIER_COUNT) return false;
  if (!parse_number(field[2], flen[2], &discount) || discount > SEAM_MAX_BP) return false;
  if (!parse_number(field[3], flen[3], &tax) || tax > SEAM_MAX_BP) return false;
  Rule r;
  r.discount_bp = discount;
  r.tax_bp = tax;
  if (count == 5) {
    const uint8_t *f = field[4];
    size_t fl = flen[4];
    const void *colon = std::memchr(f, ':', fl);
    if (colon == nullptr) return false;
    size_t code_len = static_cast<size_t>(static_cast<const uint8_t *>(colon) - f);
    if (code_len < 1 || code_len > SEAM_MAX_COUPON_LEN) return false;
    for (size_t i = 0; i < code_len; i++) {
      uint8_t c = f[i];
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    uint32_t extra;
    if (!parse_number(f + code_len + 1, fl - code_len - 1, &extra) || extra > SEAM_MAX_BP) return false;
    r.code.assign(reinterpret_cast<const char *>(f), code_len);
    r.extra_bp = extra;
  }
  *key = {region, tier};
  *rule = std::move(r);
  return true;
}

// Parses a whole rules text. On failure returns the message and leaves *out unspecified.
const char *parse_rules(const uint8_t *text, size_t len, RuleSet *out) {
  if (len > SEAM_MAX_RULES_TEXT) return "bad input: rules text longer than SEAM_MAX_RULES_TEXT";
  if (!valid_utf8(text, len)) return "bad input: rules text is not valid UTF-8";
  size_t rules = 0;
  size_t pos = 0;
  while (pos < len) {
    const void *nl = std::memchr(text + pos, '\n', len - pos);
    size_t end = nl ? static_cast<size_t>(static_cast<const uint8_t *>(nl) - text) : len;
    size_t line_len = end - pos;
    // One '\r' directly before '\n' or at the end of the text is not part of the line.
    if (line_len > 0 && text[end - 1] == '\r') line_len--;
    const uint8_t *line = text + pos;
    pos = nl ? end + 1 : len;
    if (line_len > SEAM_MAX_LINE_LEN) return "bad input: a line is longer than SEAM_MAX_LINE_LEN";
    if (line_len == 0 || line[0] == '#') continue;
    if (++rules > SEAM_MAX_RULES) return "bad input: more than SEAM_MAX_RULES rules";
    std::pair<uint32_t, uint32_t> key;
    Rule rule;
    if (!parse_line(line, line_len, &key, &rule)) return "bad input: malformed rule line";
    if (!out->emplace(key, std::move(rule)).second) return "bad input: duplicate region,tier";
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic (the header's, exactly).

int64_t round_half_even(int64_t n) {  // n >= 0, divided by 10000
  int64_t q = n / 10000, r = n % 10000;
  if (r > 5000 || (r == 5000 && (q % 2) == 1)) q++;
  return q;
}

void append_number(std::string *s, uint64_t v) { *s += std::to_string(v); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// The handle and its in-use state: a reader count plus a WRITER bit in one atomic, so misuse
// across threads is detected (SEAM_BUSY) instead of suffered, and nothing ever blocks.

struct pricing_rules {
  std::atomic<uint32_t> state{0};
  RuleSet rules;
};

namespace {

constexpr uint32_t kWriter = 0x80000000u;

bool reader_enter(const pricing_rules *r) {
  auto &st = const_cast<pricing_rules *>(r)->state;
  uint32_t s = st.load(std::memory_order_relaxed);
  for (;;) {
    if (s & kWriter) return false;
    if (st.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  }
}

void reader_exit(const pricing_rules *r) {
  const_cast<pricing_rules *>(r)->state.fetch_sub(1, std::memory_order_release);
}

bool writer_enter(pricing_rules *r) {
  uint32_t expected = 0;
  return r->state.compare_exchange_strong(expected, kWriter, std::memory_order_acquire, std::memory_order_relaxed);
}

void writer_exit(pricing_rules *r) { r->state.store(0, std::memory_order_release); }

// Scoped reader/writer sections so every return path leaves the state clean.
struct ReadSection {
  const pricing_rules *r;
  bool ok;
  explicit ReadSection(const pricing_rules *rr) : r(rr), ok(reader_enter(rr)) {}
  ~ReadSection() {
    if (ok) reader_exit(r);
  }
};

struct WriteSection {
  pricing_rules *r;
  bool ok;
  explicit WriteSection(pricing_rules *rr) : r(rr), ok(writer_enter(rr)) {}
  ~WriteSection() {
    if (ok) writer_exit(r);
  }
};

const char *kBusy = "busy: another call on this handle is in progress";

}  // namespace

// ---------------------------------------------------------------------------------------------
// The C ABI.

SEAM_EXPORT uint32_t seam_abi_version(void) { return SEAM_ABI_VERSION; }

SEAM_EXPORT const char *seam_engine_name(void) { return "cpp"; }

SEAM_EXPORT void seam_layout(seam_layout_info *out) {
  if (out == nullptr) return;
  seam_layout_info l{};
  l.layout_size = sizeof(seam_layout_info);
  l.request_size = sizeof(pricing_request);
  l.request_align = alignof(pricing_request);
  l.request_struct_size = offsetof(pricing_request, struct_size);
  l.request_item_count = offsetof(pricing_request, item_count);
  l.request_subtotal_cents = offsetof(pricing_request, subtotal_cents);
  l.request_region_id = offsetof(pricing_request, region_id);
  l.request_customer_tier = offsetof(pricing_request, customer_tier);
  l.request_coupon = offsetof(pricing_request, coupon);
  l.request_coupon_len = offsetof(pricing_request, coupon_len);
  l.result_size = sizeof(pricing_result);
  l.result_align = alignof(pricing_result);
  l.result_struct_size = offsetof(pricing_result, struct_size);
  l.result_final_price_cents = offsetof(pricing_result, final_price_cents);
  l.result_discount_cents = offsetof(pricing_result, discount_cents);
  l.result_tax_cents = offsetof(pricing_result, tax_cents);
  *out = l;
}

SEAM_EXPORT int32_t pricing_rules_new(pricing_rules **out) {
  return guard([&]() -> int32_t {
    if (out == nullptr) return fail(SEAM_BAD_INPUT, "bad input: out is NULL");
    *out = nullptr;
    *out = new pricing_rules();
    return SEAM_OK;
  });
}

SEAM_EXPORT int32_t pricing_rules_load(pricing_rules *r, const uint8_t *text, size_t len) {
  return guard([&]() -> int32_t {
    if (r == nullptr) return fail(SEAM_BAD_INPUT, "bad input: rules handle is NULL");
    if (text == nullptr && len > 0) return fail(SEAM_BAD_INPUT, "bad input: text is NULL with a non-zero length");
    WriteSection w(r);
    if (!w.ok) return fail(SEAM_BUSY, kBusy);
    RuleSet parsed;
    if (const char *err = parse_rules(text, len, &parsed)) return fail(SEAM_BAD_INPUT, err);
    r->rules.swap(parsed);  // only now: a failed load keeps the old rules
    return SEAM_OK;
  });
}

SEAM_EXPORT int32_t pricing_quote(const pricing_rules *r, const pricing_request *req, pricing_result *out) {
  return guard([&]() -> int32_t {
    if (r == nullptr || req == nullptr || out == nullptr) return fail(SEAM_BAD_INPUT, "bad input: NULL argument");
    if (req->struct_size != sizeof(pricing_request)) return fail(SEAM_BAD_INPUT, "bad input: request struct_size");
    if (out->struct_size != sizeof(pricing_result)) return fail(SEAM_BAD_INPUT, "bad input: result struct_size");
    ReadSection rd(r);
    if (!rd.ok) return fail(SEAM_BUSY, kBusy);
    if (req->item_count < 1 || req->item_count > SEAM_MAX_ITEM_COUNT) return fail(SEAM_BAD_INPUT, "bad input: item_count out of range");
    if (req->subtotal_cents < 0 || req->subtotal_cents > SEAM_MAX_SUBTOTAL_CENTS) return fail(SEAM_BAD_INPUT, "bad input: subtotal_cents out of range");
    if (req->region_id > SEAM_MAX_REGION_ID) return fail(SEAM_BAD_INPUT, "bad input: region_id out of range");
    if (req->customer_tier >= SEAM_TIER_COUNT) return fail(SEAM_BAD_INPUT, "bad input: customer_tier is not a SEAM_TIER_* value");
    if (req->coupon == nullptr && req->coupon_len > 0) return fail(SEAM_BAD_INPUT, "bad input: coupon is NULL with a non-zero length");
    if (req->coupon_len > SEAM_MAX_COUPON_LEN) return fail(SEAM_BAD_INPUT, "bad input: coupon longer than SEAM_MAX_COUPON_LEN");
    if (req->coupon_len > 0 && !valid_utf8(req->coupon, req->coupon_len)) return fail(SEAM_BAD_INPUT, "bad input: coupon is not valid UTF-8");
    auto it = r->rules.find({req->region_id, req->customer_tier});
    if (it == r->rules.end()) return fail(SEAM_NO_RULE, "no rule for this region and tier");
    const Rule &rule = it->second;
    int64_t bp = rule.discount_bp;
    if (req->coupon_len > 0 && !rule.code.empty() && rule.code.size() == req->coupon_len &&
        std::memcmp(rule.code.data(), req->coupon, req->coupon_len) == 0) {
      bp += rule.extra_bp;
    }
    if (bp > SEAM_MAX_BP) bp = SEAM_MAX_BP;
    int64_t subtotal = req->subtotal_cents;
    int64_t discount = round_half_even(subtotal * bp);
    int64_t taxable = subtotal - discount;
    int64_t tax = round_half_even(taxable * static_cast<int64_t>(rule.tax_bp));
    out->discount_cents = discount;
    out->tax_cents = tax;
    out->final_price_cents = taxable + tax;
    return SEAM_OK;
  });
}

SEAM_EXPORT int32_t pricing_rules_describe(const pricing_rules *r, uint32_t region, uint8_t *buf, size_t cap, size_t *needed) {
  return guard([&]() -> int32_t {
    if (needed != nullptr) *needed = 0;
    if (r == nullptr || needed == nullptr) return fail(SEAM_BAD_INPUT, "bad input: NULL argument");
    if (buf == nullptr && cap > 0) return fail(SEAM_BAD_INPUT, "bad input: buf is NULL with a non-zero cap");
    ReadSection rd(r);
    if (!rd.ok) return fail(SEAM_BUSY, kBusy);
    if (region > SEAM_MAX_REGION_ID) return fail(SEAM_BAD_INPUT, "bad input: region out of range");
    std::string text;
    for (auto it = r->rules.lower_bound({region, 0}); it != r->rules.end() && it->first.first == region; ++it) {
      const Rule &rule = it->second;
      text += "tier=";
      append_number(&text, it->first.second);
      text += " discount_bp=";
      append_number(&text, rule.discount_bp);
      text += " tax_bp=";
      append_number(&text, rule.tax_bp);
      if (!rule.code.empty()) {
        text += " coupon=";
        text += rule.code;
        text += " extra_bp=";
        append_number(&text, rule.extra_bp);
      }
      text += "\n";
    }
    if (text.empty()) return fail(SEAM_NO_RULE, "no rule for this region");
    *needed = text.size();
    if (cap < text.size()) return fail(SEAM_BAD_INPUT, "bad input: cap is smaller than needed");
    std::memcpy(buf, text.data(), text.size());
    return SEAM_OK;
  });
}

SEAM_EXPORT int32_t pricing_rules_export(const pricing_rules *r, uint8_t **out, size_t *out_len) {
  return guard([&]() -> int32_t {
    if (out != nullptr) *out = nullptr;
    if (out_len != nullptr) *out_len = 0;
    if (r == nullptr || out == nullptr || out_len == nullptr) return fail(SEAM_BAD_INPUT, "bad input: NULL argument");
    ReadSection rd(r);
    if (!rd.ok) return fail(SEAM_BUSY, kBusy);
    std::string text;
    for (const auto &kv : r->rules) {
      append_number(&text, kv.first.first);
      text += ",";
      append_number(&text, kv.first.second);
      text += ",";
      append_number(&text, kv.second.discount_bp);
      text += ",";
      append_number(&text, kv.second.tax_bp);
      if (!kv.second.code.empty()) {
        text += ",";
        text += kv.second.code;
        text += ":";
        append_number(&text, kv.second.extra_bp);
      }
      text += "\n";
    }
    if (text.empty()) return SEAM_OK;
    auto *p = static_cast<uint8_t *>(std::malloc(text.size()));
    if (p == nullptr) return fail(SEAM_INTERNAL, "internal: out of memory");
    std::memcpy(p, text.data(), text.size());
    *out = p;
    *out_len = text.size();
    return SEAM_OK;
  });
}

SEAM_EXPORT void seam_bytes_free(uint8_t *p, size_t len) {
  (void)len;  // malloc knows the size; the length is part of the contract for other engines
  std::free(p);
}

SEAM_EXPORT void pricing_rules_free(pricing_rules *r) {
  if (r == nullptr) return;
  if (!writer_enter(r)) {
    set_error("busy: pricing_rules_free while another call on this handle is in progress; not freed");
    return;
  }
  delete r;
}

SEAM_EXPORT size_t seam_last_error(uint8_t *buf, size_t cap) {
  const std::string &msg = last_error;
  if (buf != nullptr && cap > 0) std::memcpy(buf, msg.data(), msg.size() < cap ? msg.size() : cap);
  return msg.size();
}
