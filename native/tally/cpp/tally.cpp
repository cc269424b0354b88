// The C++ engine of the tally contract (native/tally/include/tally.h). C++17, standard library
// only. Every export goes through guard(), so no exception crosses the C ABI.
#include "tally.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#define TALLY_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// Runs an export body; any exception (bad_alloc above all) becomes on_failure, which is
// TALLY_ENOMEM for the exports that return a status.
template <typename R, typename F>
R guard(R on_failure, F body) noexcept {
  try {
    return body();
  } catch (...) {
    return on_failure;
  }
}

enum class State { open, finished, failed };

struct Options {
  uint32_t mode = TALLY_MODE_WORDS;
  uint32_t flags = 0;
  uint32_t min_len = 1;
};

}  // namespace

struct tally {
  Options opts;
  State state = State::open;
  std::unordered_map<std::string, uint64_t> counts;
  // The run still open at the end of the last feed: whether its last byte was '\r', its whole
  // length (a '\r' past the limit still decides whether the line ends in "\r\n") and its first
  // TALLY_MAX_TOKEN bytes, folded. The buffer comes last and ends the heap block exactly (no
  // tail padding), so a write past it is an overflow ASan reports, not a silent one.
  bool pending_cr = false;
  size_t pending_len = 0;
  char pending[TALLY_MAX_TOKEN];
};

namespace {

unsigned char fold(const tally *t, unsigned char c) {
  if ((t->opts.flags & TALLY_FLAG_FOLD_CASE) && c >= 'A' && c <= 'Z') return static_cast<unsigned char>(c - 'A' + 'a');
  return c;
}

bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

// Counts one completed token of len bytes. False when it would be a new distinct token past the
// limit: nothing is counted then, and the caller fails the handle.
bool count_token(tally *t, const char *token, size_t len) {
  if (len == 0 || len < t->opts.min_len) return true;
  std::string key(token, len);
  auto it = t->counts.find(key);
  if (it != t->counts.end()) {
    it->second++;
    return true;
  }
  if (t->counts.size() >= TALLY_MAX_DISTINCT) return false;
  t->counts.emplace(std::move(key), 1);
  return true;
}

// Completes the pending run; drop_cr for a line ended by '\n' (its "\r\n" loses the '\r').
bool complete_pending(tally *t, bool drop_cr) {
  size_t len = t->pending_len;
  if (drop_cr && t->pending_cr) len--;
  if (len > TALLY_MAX_TOKEN) len = TALLY_MAX_TOKEN;
  t->pending_len = 0;
  t->pending_cr = false;
  return count_token(t, t->pending, len);
}

int fail_full(tally *t) {
  t->state = State::failed;
  return TALLY_EFULL;
}

int feed_bytes(tally *t, const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = data[i];
    if (t->opts.mode == TALLY_MODE_BYTES) {
      if (c == 0) continue;
      char one = static_cast<char>(fold(t, c));
      if (!count_token(t, &one, 1)) return fail_full(t);
      continue;
    }
    bool separator = c == 0 || (t->opts.mode == TALLY_MODE_WORDS ? !word_byte(c) : c == '\n');
    if (separator) {
      if (t->pending_len > 0 && !complete_pending(t, c == '\n')) return fail_full(t);
      continue;
    }
    if (t->pending_len < TALLY_MAX_TOKEN) t->pending[t->pending_len] = static_cast<char>(fold(t, c));
    t->pending_len++;
    t->pending_cr = c == '\r';
  }
  return TALLY_OK;
}

// The options as the caller set them. Fields are copied as integers, never loaded as
// tally_mode: a mode out of range is the caller's mistake to report, not undefined behaviour.
bool read_options(const tally_options *in, Options *out) {
  if (in == nullptr) return true;
  uint32_t size;
  std::memcpy(&size, reinterpret_cast<const char *>(in) + offsetof(tally_options, struct_size), sizeof size);
  // Checked before any other field is read: a struct of another size may not hold them.
  if (size != sizeof(tally_options)) return false;
  std::memcpy(&out->mode, reinterpret_cast<const char *>(in) + offsetof(tally_options, mode), sizeof out->mode);
  out->flags = in->flags;
  out->min_len = in->min_len;
  return out->mode < TALLY_MODE_COUNT && (out->flags & ~TALLY_FLAG_ALL) == 0 && out->min_len >= 1 &&
         out->min_len <= TALLY_MAX_TOKEN;
}

bool top_order(const std::pair<const std::string, uint64_t> *x, const std::pair<const std::string, uint64_t> *y) {
  if (x->second != y->second) return x->second > y->second;
  return x->first < y->first;  // char_traits<char> compares as unsigned char, a prefix first
}

uint32_t adler32(const uint8_t *data, size_t len, uint32_t seed) {
  const uint32_t mod = 65521;
  uint32_t a = seed & 0xffff, b = seed >> 16;
  for (size_t i = 0; i < len; i++) {
    a = (a + data[i]) % mod;
    b = (b + a) % mod;
  }
  return (b << 16) | a;
}

}  // namespace

TALLY_EXPORT uint32_t tally_abi_version(void) {
  return guard(0u, [] { return TALLY_ABI_VERSION; });
}

TALLY_EXPORT const char *tally_version(void) {
  return guard<const char *>("tally-cpp", [] { return "tally-cpp 2.0"; });
}

TALLY_EXPORT const char *tally_strerror(int status) {
  return guard<const char *>("unknown status", [&]() -> const char * {
    switch (status) {
      case TALLY_OK: return "ok";
      case TALLY_EINVAL: return "invalid argument: an argument broke the contract of tally.h";
      case TALLY_ELIMIT: return "over a limit: a length or count is larger than tally.h allows; nothing changed";
      case TALLY_ESTATE: return "wrong state: the handle is finished or failed; nothing changed";
      case TALLY_EFULL: return "full: more than TALLY_MAX_DISTINCT distinct tokens; the handle is failed";
      case TALLY_ENOMEM: return "engine failure: out of memory or an internal error";
      default: return "unknown status";
    }
  });
}

TALLY_EXPORT uint32_t tally_checksum(const uint8_t *data, size_t len, uint32_t seed) {
  return guard(seed, [&] { return data == nullptr ? seed : adler32(data, len, seed); });
}

TALLY_EXPORT int tally_new(const tally_options *opts, tally **out) {
  return guard<int>(TALLY_ENOMEM, [&]() -> int {
    if (out == nullptr) return TALLY_EINVAL;
    *out = nullptr;
    Options o;
    if (!read_options(opts, &o)) return TALLY_EINVAL;
    tally *t = new (std::nothrow) tally();
    if (t == nullptr) return TALLY_ENOMEM;
    t->opts = o;
    *out = t;
    return TALLY_OK;
  });
}

TALLY_EXPORT int tally_feed(tally *t, const uint8_t *data, size_t len) {
  return guard<int>(TALLY_ENOMEM, [&]() -> int {
    if (t == nullptr) return TALLY_EINVAL;
    if (data == nullptr && len > 0) return TALLY_EINVAL;
    if (len > TALLY_MAX_FEED) return TALLY_ELIMIT;
    if (t->state != State::open) return TALLY_ESTATE;
    return feed_bytes(t, data, len);
  });
}

TALLY_EXPORT int tally_finish(tally *t) {
  return guard<int>(TALLY_ENOMEM, [&]() -> int {
    if (t == nullptr) return TALLY_EINVAL;
    if (t->state == State::failed) return TALLY_ESTATE;
    if (t->state == State::finished) return TALLY_OK;
    // A run at tally_finish ends without '\n', so a trailing '\r' stays part of it.
    if (t->pending_len > 0 && !complete_pending(t, false)) return fail_full(t);
    t->state = State::finished;
    return TALLY_OK;
  });
}

TALLY_EXPORT int tally_count(const tally *t, const char *token, uint64_t *count) {
  return guard<int>(TALLY_ENOMEM, [&]() -> int {
    if (count != nullptr) *count = 0;
    if (t == nullptr || token == nullptr || count == nullptr) return TALLY_EINVAL;
    // strnlen, not strlen: reads at most TALLY_MAX_TOKEN + 1 bytes and nothing after the NUL.
    size_t len = strnlen(token, TALLY_MAX_TOKEN + 1);
    if (len == 0 || len > TALLY_MAX_TOKEN) return TALLY_EINVAL;
    std::string key(token, len);
    for (char &c : key) c = static_cast<char>(fold(t, static_cast<unsigned char>(c)));
    auto it = t->counts.find(key);
    if (it != t->counts.end()) *count = it->second;
    return TALLY_OK;
  });
}

TALLY_EXPORT int tally_top(const tally *t, size_t n, tally_entry **out, size_t *out_count) {
  return guard<int>(TALLY_ENOMEM, [&]() -> int {
    if (out != nullptr) *out = nullptr;
    if (out_count != nullptr) *out_count = 0;
    if (t == nullptr || out == nullptr || out_count == nullptr) return TALLY_EINVAL;
    if (n == 0) return TALLY_EINVAL;
    if (n > TALLY_MAX_TOP) return TALLY_ELIMIT;
    if (t->counts.empty()) return TALLY_OK;
    std::vector<const std::pair<const std::string, uint64_t> *> all;
    all.reserve(t->counts.size());
    for (const auto &kv : t->counts) all.push_back(&kv);
    size_t k = std::min(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), top_order);
    // Zeroed, so the bytes after each token's NUL are defined for a caller that reads them.
    tally_entry *entries = new (std::nothrow) tally_entry[k]();
    if (entries == nullptr) return TALLY_ENOMEM;
    for (size_t i = 0; i < k; i++) {
      const std::string &tok = all[i]->first;
      entries[i].count = all[i]->second;
      entries[i].token_len = static_cast<uint32_t>(tok.size());
      std::memcpy(entries[i].token, tok.data(), tok.size());
      entries[i].token[tok.size()] = '\0';
    }
    *out = entries;
    *out_count = k;
    return TALLY_OK;
  });
}

TALLY_EXPORT void tally_entries_free(tally_entry *entries, size_t count) {
  (void)count;  // new[] knows the size; the count is in the contract for other engines
  guard(0, [&] {
    delete[] entries;
    return 0;
  });
}

TALLY_EXPORT void tally_free(tally *t) {
  guard(0, [&] {
    delete t;
    return 0;
  });
}
