/* behaviour.c — the tally contract (native/tally/include/tally.h) as a table of cases, run
 * against any engine: build/bin/tally_behaviour LIB.so [CASE...]
 * Every check of every function in the header's order, each limit exactly and one past, token
 * rules, states, ordering and memory. Prints "N passed, M failed"; exits 1 on a failure, 2 when
 * the library cannot be loaded. Every pointer it passes is an exact-size heap block, so a
 * sanitized engine that reads or writes one byte past it is caught (run under the engine's
 * sanitizer runtime: LD_PRELOAD=$(gcc -print-file-name=libasan.so)). The process exits through
 * LeakSanitizer too, so an engine that leaks fails the run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tally.h"

static struct {
  uint32_t (*abi_version)(void);
  const char *(*version)(void);
  const char *(*strerror)(int);
  uint32_t (*checksum)(const uint8_t *, size_t, uint32_t);
  int (*new_)(const tally_options *, tally **);
  int (*feed)(tally *, const uint8_t *, size_t);
  int (*finish)(tally *);
  int (*count)(const tally *, const char *, uint64_t *);
  int (*top)(const tally *, size_t, tally_entry **, size_t *);
  void (*entries_free)(tally_entry *, size_t);
  void (*free_)(tally *);
} api;

static int passed, failed;
static const char *current;

static void check(int ok, int line, const char *fmt, ...) {
  if (ok) {
    passed++;
    return;
  }
  failed++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL %s (behaviour.c:%d): ", current, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

#define CHECK(cond) check((cond), __LINE__, "%s", #cond)
#define EXPECT(call, want)                                                                 \
  do {                                                                                     \
    long long got_ = (long long)(call), want_ = (long long)(want);                        \
    check(got_ == want_, __LINE__, "%s = %lld, want %s = %lld", #call, got_, #want, want_); \
  } while (0)

/* ------------------------------------------------------------------------------------------
 * Helpers: exact-size copies of every buffer the engine sees. */

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "behaviour: out of memory\n");
    exit(2);
  }
  return p;
}

static tally_options opts(tally_mode mode, uint32_t flags, uint32_t min_len) {
  tally_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.mode = mode;
  o.flags = flags;
  o.min_len = min_len;
  return o;
}

/* A handle with these options; NULL (and a failed check) when tally_new refuses. */
static tally *make(tally_mode mode, uint32_t flags, uint32_t min_len) {
  tally_options *o = xmalloc(sizeof *o);
  *o = opts(mode, flags, min_len);
  tally *t = (tally *)1;
  int st = api.new_(o, &t);
  check(st == TALLY_OK && t != NULL, __LINE__, "tally_new(mode %d, flags %u, min_len %u) = %d", mode, flags,
        min_len, st);
  free(o);
  return st == TALLY_OK ? t : NULL;
}

static int feedn(tally *t, const void *data, size_t len) {
  uint8_t *copy = NULL;
  if (data) {
    copy = xmalloc(len);
    memcpy(copy, data, len);
  }
  int st = api.feed(t, data ? copy : NULL, len);
  free(copy);
  return st;
}

static int feeds(tally *t, const char *s) { return feedn(t, s, strlen(s)); }

static int count_st(const tally *t, const char *token, uint64_t *out) {
  char *q = NULL;
  if (token) {
    q = xmalloc(strlen(token) + 1);
    strcpy(q, token);
  }
  int st = api.count(t, q, out);
  free(q);
  return st;
}

/* The count of token, UINT64_MAX when tally_count fails. */
static uint64_t count(const tally *t, const char *token) {
  uint64_t c = 12345;
  int st = count_st(t, token, &c);
  return st == TALLY_OK ? c : UINT64_MAX;
}

static uint64_t count_n(const tally *t, const char *token, size_t len) {
  char *q = xmalloc(len + 1);
  memcpy(q, token, len);
  q[len] = 0;
  uint64_t c = 12345;
  int st = api.count(t, q, &c);
  free(q);
  return st == TALLY_OK ? c : UINT64_MAX;
}

static size_t distinct(const tally *t) {
  tally_entry *e = NULL;
  size_t n = 0;
  if (api.top(t, TALLY_MAX_TOP, &e, &n) != TALLY_OK) return SIZE_MAX;
  api.entries_free(e, n);
  return n;
}

static uint32_t adler_ref(const uint8_t *d, size_t n, uint32_t seed) {
  uint64_t a = seed & 0xffff, b = seed >> 16;
  for (size_t i = 0; i < n; i++) {
    a = (a + d[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (uint32_t)((b << 16) | a);
}

static uint32_t checksum_of(const char *s, uint32_t seed) {
  size_t n = strlen(s);
  uint8_t *d = xmalloc(n);
  memcpy(d, s, n);
  uint32_t r = api.checksum(d, n, seed);
  free(d);
  return r;
}

/* ------------------------------------------------------------------------------------------
 * Global functions. */

static void case_globals(void) {
  EXPECT(api.abi_version(), TALLY_ABI_VERSION);
  const char *v = api.version();
  CHECK(v != NULL && v[0] != 0);
  CHECK(v == api.version()); /* static */
  int statuses[] = {TALLY_OK, TALLY_EINVAL, TALLY_ELIMIT, TALLY_ESTATE, TALLY_EFULL, TALLY_ENOMEM,
                    1, -6, 12345, INT_MIN, INT_MAX};
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
    const char *s = api.strerror(statuses[i]);
    check(s != NULL && s[0] != 0, __LINE__, "tally_strerror(%d) is NULL or empty", statuses[i]);
  }
  CHECK(strcmp(api.strerror(TALLY_EINVAL), api.strerror(TALLY_EFULL)) != 0);
}

static void case_checksum(void) {
  EXPECT(checksum_of("Wikipedia", 1), 0x11E60398);
  EXPECT(checksum_of("a", 1), 0x00620062);
  EXPECT(checksum_of("abc", 1), 0x024d0127);
  EXPECT(checksum_of("", 1), 1);
  /* data NULL, any len: seed unchanged; len 0: seed unchanged, whatever the seed. */
  EXPECT(api.checksum(NULL, 0, 1), 1);
  EXPECT(api.checksum(NULL, 100, 0xdeadbeef), 0xdeadbeef);
  uint8_t *one = xmalloc(1);
  one[0] = 'x';
  EXPECT(api.checksum(one, 0, 0xffffffffu), 0xffffffffu);
  /* Halves at or above 65521 are reduced by the first byte's step. */
  EXPECT(api.checksum(one, 1, 0xffffffffu), adler_ref(one, 1, 0xffffffffu));
  EXPECT(api.checksum(one, 1, 0xfff1fff1u), adler_ref(one, 1, 0xfff1fff1u));
  free(one);
  /* Continued: the checksum of a then b from seed is the checksum of ab. */
  EXPECT(checksum_of("pedia", checksum_of("Wiki", 1)), 0x11E60398);
  /* Long inputs of high bytes, where a and b grow fastest (a sum that overflows 32 bits
   * without reduction). */
  size_t n = TALLY_MAX_FEED * 4;
  uint8_t *big = xmalloc(n);
  memset(big, 0xff, n);
  EXPECT(api.checksum(big, n, 1), adler_ref(big, n, 1));
  EXPECT(api.checksum(big, n, 0xfff0fff0u), adler_ref(big, n, 0xfff0fff0u));
  for (size_t i = 0; i < n; i++) big[i] = (uint8_t)(i * 131 + 7);
  EXPECT(api.checksum(big, n, 1), adler_ref(big, n, 1));
  EXPECT(api.checksum(big, 5553, 1), adler_ref(big, 5553, 1));
  free(big);
}

/* tally_checksum is thread-safe: threads checksumming their own buffers get their own sums. */
struct sum_job {
  uint8_t *data;
  size_t len;
  uint32_t want;
  int bad;
};

static void *sum_worker(void *arg) {
  struct sum_job *j = arg;
  for (int i = 0; i < 2000; i++) {
    size_t len = j->len - (size_t)(i % 7);
    if (api.checksum(j->data, len, (uint32_t)i) != adler_ref(j->data, len, (uint32_t)i)) j->bad++;
  }
  return NULL;
}

static void case_checksum_threads(void) {
  enum { N = 4 };
  pthread_t th[N];
  struct sum_job jobs[N];
  for (int k = 0; k < N; k++) {
    jobs[k].len = 64 + (size_t)k;
    jobs[k].data = xmalloc(jobs[k].len);
    for (size_t i = 0; i < jobs[k].len; i++) jobs[k].data[i] = (uint8_t)(k * 37 + i);
    jobs[k].bad = 0;
    CHECK(pthread_create(&th[k], NULL, sum_worker, &jobs[k]) == 0);
  }
  for (int k = 0; k < N; k++) {
    pthread_join(th[k], NULL);
    check(jobs[k].bad == 0, __LINE__, "thread %d: %d wrong checksums", k, jobs[k].bad);
    free(jobs[k].data);
  }
}

/* ------------------------------------------------------------------------------------------
 * tally_new: out NULL; struct_size, mode, flags, min_len; *out NULL on error. */

static void case_new(void) {
  tally_options *o = xmalloc(sizeof *o);
  *o = opts(TALLY_MODE_WORDS, 0, 1);
  EXPECT(api.new_(o, NULL), TALLY_EINVAL);
  EXPECT(api.new_(NULL, NULL), TALLY_EINVAL);
  /* Bad struct_size is reported before the bad mode, flags and min_len it would hide. */
  struct {
    uint32_t size, mode, flags, min_len;
    int want;
  } rows[] = {
      {sizeof(tally_options), TALLY_MODE_WORDS, 0, 1, TALLY_OK},
      {sizeof(tally_options), TALLY_MODE_BYTES, TALLY_FLAG_ALL, TALLY_MAX_TOKEN, TALLY_OK},
      {0, TALLY_MODE_WORDS, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options) - 1, TALLY_MODE_WORDS, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options) + 1, TALLY_MODE_WORDS, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options) * 2, TALLY_MODE_WORDS, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_COUNT, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options), 0xffffffffu, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options), 0x80000000u, 0, 1, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_WORDS, 2, 1, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_WORDS, 0x80000000u, 1, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_WORDS, TALLY_FLAG_ALL | 4, 1, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_WORDS, 0, 0, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_WORDS, 0, TALLY_MAX_TOKEN + 1, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_WORDS, 0, 0xffffffffu, TALLY_EINVAL},
      {sizeof(tally_options), TALLY_MODE_LINES, 1, TALLY_MAX_TOKEN, TALLY_OK},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    /* mode goes in as raw bits: an enum out of range is exactly what a caller can send. */
    uint32_t raw[4] = {rows[i].size, rows[i].mode, rows[i].flags, rows[i].min_len};
    memcpy(o, raw, sizeof raw);
    tally *t = (tally *)1;
    int st = api.new_(o, &t);
    check(st == rows[i].want, __LINE__, "row %zu: tally_new(size %u, mode %u, flags %#x, min_len %u) = %d, want %d", i,
          rows[i].size, rows[i].mode, rows[i].flags, rows[i].min_len, st, rows[i].want);
    if (rows[i].want != TALLY_OK) check(t == NULL, __LINE__, "row %zu: *out not NULL after an error", i);
    if (st == TALLY_OK) api.free_(t);
  }
  /* NULL options: words, no flags, min_len 1. */
  tally *t = (tally *)1;
  EXPECT(api.new_(NULL, &t), TALLY_OK);
  if (t) {
    EXPECT(feeds(t, "Aa a-b x "), TALLY_OK);
    EXPECT(count(t, "a"), 1);
    EXPECT(count(t, "b"), 1);
    EXPECT(count(t, "Aa"), 1);
    EXPECT(count(t, "aa"), 0);
    EXPECT(count(t, "x"), 1);
    api.free_(t);
  }
  free(o);
  api.free_(NULL);
}

/* A struct_size smaller than the struct: the engine must reject it after reading struct_size
 * alone (the caller's block ends there). */
static void case_new_short_struct(void) {
  uint32_t *sz = xmalloc(sizeof *sz);
  *sz = 4;
  tally *t = (tally *)1;
  EXPECT(api.new_((const tally_options *)sz, &t), TALLY_EINVAL);
  CHECK(t == NULL);
  free(sz);
}

/* ------------------------------------------------------------------------------------------
 * tally_feed: t NULL; data NULL with len; len over the limit; state; EFULL. */

static void case_feed_checks(void) {
  tally *t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  EXPECT(api.feed(NULL, NULL, 0), TALLY_EINVAL);
  EXPECT(api.feed(NULL, (const uint8_t *)"a", 1), TALLY_EINVAL);
  EXPECT(api.feed(NULL, NULL, TALLY_MAX_FEED + 1), TALLY_EINVAL); /* t first */
  EXPECT(api.feed(t, NULL, 1), TALLY_EINVAL);
  EXPECT(api.feed(t, NULL, TALLY_MAX_FEED + 1), TALLY_EINVAL); /* data before the limit */
  EXPECT(api.feed(t, NULL, 0), TALLY_OK);
  EXPECT(feedn(t, "", 0), TALLY_OK);
  /* The limit itself is fine; one past is ELIMIT and changes nothing. */
  uint8_t *big = xmalloc(TALLY_MAX_FEED + 1);
  memset(big, 'z', TALLY_MAX_FEED + 1);
  big[0] = ' ';
  EXPECT(api.feed(t, big, TALLY_MAX_FEED + 1), TALLY_ELIMIT);
  EXPECT(api.feed(t, big, SIZE_MAX), TALLY_ELIMIT);
  EXPECT(distinct(t), 0);
  EXPECT(api.feed(t, big, TALLY_MAX_FEED), TALLY_OK);
  free(big);
  EXPECT(api.finish(t), TALLY_OK);
  /* One token of 2^20 - 1 bytes, truncated to TALLY_MAX_TOKEN. */
  char zs[TALLY_MAX_TOKEN + 1];
  memset(zs, 'z', TALLY_MAX_TOKEN);
  zs[TALLY_MAX_TOKEN] = 0;
  EXPECT(count(t, zs), 1);
  EXPECT(distinct(t), 1);
  /* Finished: feeds are ESTATE, but the limit and argument checks come first. */
  EXPECT(feeds(t, "more"), TALLY_ESTATE);
  EXPECT(api.feed(t, NULL, 0), TALLY_ESTATE);
  EXPECT(api.feed(t, NULL, 1), TALLY_EINVAL);
  uint8_t *one = xmalloc(1);
  EXPECT(api.feed(t, one, TALLY_MAX_FEED + 1), TALLY_ELIMIT);
  free(one);
  EXPECT(count(t, "more"), 0);
  api.free_(t);
}

/* ------------------------------------------------------------------------------------------
 * tally_finish: t NULL; failed; EFULL; idempotent. */

static void case_finish(void) {
  EXPECT(api.finish(NULL), TALLY_EINVAL);
  tally *t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  EXPECT(feeds(t, "one two"), TALLY_OK);
  EXPECT(count(t, "two"), 0); /* pending until a separator or finish */
  EXPECT(api.finish(t), TALLY_OK);
  EXPECT(count(t, "two"), 1);
  EXPECT(api.finish(t), TALLY_OK); /* idempotent: nothing counted twice */
  EXPECT(api.finish(t), TALLY_OK);
  EXPECT(count(t, "two"), 1);
  EXPECT(count(t, "one"), 1);
  EXPECT(distinct(t), 2);
  api.free_(t);
  /* A finish with nothing pending, and with nothing fed. */
  t = make(TALLY_MODE_LINES, 0, 1);
  if (!t) return;
  EXPECT(api.finish(t), TALLY_OK);
  EXPECT(distinct(t), 0);
  api.free_(t);
}

/* ------------------------------------------------------------------------------------------
 * tally_count: t, token, count NULL; empty; over TALLY_MAX_TOKEN; *count 0 on error. */

static void case_count_checks(void) {
  tally *t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  EXPECT(feeds(t, "abc abc"), TALLY_OK);
  EXPECT(api.finish(t), TALLY_OK);
  uint64_t c = 99;
  EXPECT(count_st(NULL, "abc", &c), TALLY_EINVAL);
  EXPECT(c, 0);
  c = 99;
  EXPECT(count_st(t, NULL, &c), TALLY_EINVAL);
  EXPECT(c, 0);
  EXPECT(count_st(t, "abc", NULL), TALLY_EINVAL);
  EXPECT(count_st(NULL, NULL, NULL), TALLY_EINVAL);
  c = 99;
  EXPECT(count_st(t, "", &c), TALLY_EINVAL);
  EXPECT(c, 0);
  c = 99;
  EXPECT(count_st(NULL, "", &c), TALLY_EINVAL);
  EXPECT(c, 0);
  char q[TALLY_MAX_TOKEN + 2];
  memset(q, 'q', sizeof q);
  q[TALLY_MAX_TOKEN] = 0;
  c = 99;
  EXPECT(count_st(t, q, &c), TALLY_OK); /* the limit */
  EXPECT(c, 0);
  q[TALLY_MAX_TOKEN] = 'q';
  q[TALLY_MAX_TOKEN + 1] = 0;
  c = 99;
  EXPECT(count_st(t, q, &c), TALLY_EINVAL); /* one past */
  EXPECT(c, 0);
  /* A very long query: the engine stops reading after TALLY_MAX_TOKEN + 1 bytes. */
  char *longq = xmalloc(1 << 16);
  memset(longq, 'a', (1 << 16) - 1);
  longq[(1 << 16) - 1] = 0;
  c = 99;
  EXPECT(api.count(t, longq, &c), TALLY_EINVAL);
  EXPECT(c, 0);
  free(longq);
  c = 99;
  EXPECT(count_st(t, "abc", &c), TALLY_OK);
  EXPECT(c, 2);
  EXPECT(count(t, "ab"), 0);
  EXPECT(count(t, "abcd"), 0);
  EXPECT(count(t, "abc abc"), 0);
  /* Every short query length, each in an exact-size block. */
  for (size_t n = 1; n <= TALLY_MAX_TOKEN; n++) {
    memset(q, 'b', n);
    q[n] = 0;
    check(count(t, q) == 0, __LINE__, "count of %zu-byte query", n);
  }
  api.free_(t);
}

/* ------------------------------------------------------------------------------------------
 * tally_top: t, out, out_count NULL; n 0; n over TALLY_MAX_TOP; empty; ordering. */

static void case_top_checks(void) {
  tally *t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  EXPECT(feeds(t, "b a b c "), TALLY_OK);
  tally_entry *e = (tally_entry *)1;
  size_t n = 7;
  EXPECT(api.top(NULL, 1, &e, &n), TALLY_EINVAL);
  CHECK(e == NULL && n == 0);
  e = (tally_entry *)1, n = 7;
  EXPECT(api.top(t, 1, NULL, &n), TALLY_EINVAL);
  CHECK(n == 0);
  e = (tally_entry *)1;
  EXPECT(api.top(t, 1, &e, NULL), TALLY_EINVAL);
  CHECK(e == NULL);
  EXPECT(api.top(NULL, 0, NULL, NULL), TALLY_EINVAL);
  e = (tally_entry *)1, n = 7;
  EXPECT(api.top(t, 0, &e, &n), TALLY_EINVAL);
  CHECK(e == NULL && n == 0);
  EXPECT(api.top(NULL, TALLY_MAX_TOP + 1, &e, &n), TALLY_EINVAL); /* NULL before the limit */
  e = (tally_entry *)1, n = 7;
  EXPECT(api.top(t, TALLY_MAX_TOP + 1, &e, &n), TALLY_ELIMIT);
  CHECK(e == NULL && n == 0);
  e = (tally_entry *)1, n = 7;
  EXPECT(api.top(t, SIZE_MAX, &e, &n), TALLY_ELIMIT);
  CHECK(e == NULL && n == 0);
  EXPECT(api.top(t, TALLY_MAX_TOP, &e, &n), TALLY_OK); /* the limit itself */
  EXPECT(n, 3);
  api.entries_free(e, n);
  EXPECT(api.top(t, 2, &e, &n), TALLY_OK);
  EXPECT(n, 2);
  if (n == 2) {
    EXPECT(e[0].count, 2);
    CHECK(e[0].token_len == 1 && strcmp(e[0].token, "b") == 0);
    EXPECT(e[1].count, 1);
    CHECK(e[1].token_len == 1 && strcmp(e[1].token, "a") == 0);
  }
  api.entries_free(e, n);
  api.entries_free(NULL, 0);
  api.free_(t);
  /* No tokens: NULL, 0, OK. */
  t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  e = (tally_entry *)1, n = 7;
  EXPECT(api.top(t, 5, &e, &n), TALLY_OK);
  CHECK(e == NULL && n == 0);
  EXPECT(feeds(t, "pending"), TALLY_OK); /* not completed, so still none */
  EXPECT(api.top(t, 5, &e, &n), TALLY_OK);
  CHECK(e == NULL && n == 0);
  api.free_(t);
}

static int cmp_entry(const tally_entry *x, const tally_entry *y) {
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  size_t n = x->token_len < y->token_len ? x->token_len : y->token_len;
  int c = memcmp(x->token, y->token, n); /* memcmp compares unsigned bytes */
  if (c) return c;
  return x->token_len < y->token_len ? -1 : x->token_len > y->token_len;
}

static void case_top_order(void) {
  tally *t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  /* Ties broken by unsigned bytes, a prefix first: "a" < "ab" < "b" < "\xc3\xa9" (0xc3 > 'z'). */
  const char *text = "b ab a \xc3\xa9 Z z _ 9 ab a b \xc3\xa9 Z z _ 9 zz zz zz";
  EXPECT(feeds(t, text), TALLY_OK);
  EXPECT(api.finish(t), TALLY_OK);
  const char *want[] = {"zz", "9", "Z", "_", "a", "ab", "b", "z", "\xc3\xa9"};
  uint64_t wantc[] = {3, 2, 2, 2, 2, 2, 2, 2, 2};
  size_t nw = sizeof want / sizeof want[0];
  for (size_t k = 1; k <= nw + 2; k++) {
    tally_entry *e = NULL;
    size_t n = 0;
    EXPECT(api.top(t, k, &e, &n), TALLY_OK);
    size_t expect_n = k < nw ? k : nw;
    check(n == expect_n, __LINE__, "top(%zu) gave %zu entries, want %zu", k, n, expect_n);
    for (size_t i = 0; i < n && i < nw; i++) {
      check(e[i].count == wantc[i] && e[i].token_len == strlen(want[i]) && strcmp(e[i].token, want[i]) == 0,
            __LINE__, "top(%zu)[%zu] = %" PRIu64 " '%s' (len %u), want %" PRIu64 " '%s'", k, i, e[i].count,
            e[i].token, e[i].token_len, wantc[i], want[i]);
      CHECK(e[i].token[e[i].token_len] == 0);
    }
    api.entries_free(e, n);
  }
  api.free_(t);
  /* Many distinct tokens with mixed counts: the full list is sorted. */
  t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  char w[16];
  for (int i = 0; i < 3000; i++) {
    snprintf(w, sizeof w, "w%d ", i % 2000);
    if (i % 3 == 0) snprintf(w, sizeof w, "w%d ", i % 17);
    EXPECT(feeds(t, w), TALLY_OK);
  }
  tally_entry *e = NULL;
  size_t n = 0;
  EXPECT(api.top(t, TALLY_MAX_TOP, &e, &n), TALLY_OK);
  EXPECT(n, TALLY_MAX_TOP);
  int sorted = 1;
  for (size_t i = 1; i < n; i++) sorted &= cmp_entry(&e[i - 1], &e[i]) < 0;
  CHECK(sorted);
  api.entries_free(e, n);
  api.free_(t);
}

/* ------------------------------------------------------------------------------------------
 * Tokens. */

/* Token rules as data. Each row's text is fed in one call (then finished, when the row says
 * so) and must give these counts (queries go through tally_count, so they fold too) and this
 * many distinct tokens; case split_feeds feeds the same texts split at every offset. */
struct want {
  const char *token;
  uint64_t count;
};

static const struct token_row {
  const char *what;
  tally_mode mode;
  uint32_t flags, min_len;
  const char *text;
  size_t len;
  int finish;
  size_t distinct;
  struct want counts[10];
} token_rows[] = {
#define TEXT(s) s, sizeof s - 1
#define FOLD TALLY_FLAG_FOLD_CASE
    {"words: letters, digits, '_' and bytes >= 0x80; the rest separates", TALLY_MODE_WORDS, 0, 1,
     TEXT("h\xe9llo, w0rld_1! \x80\xff-x.y\ttab\nnl\r\x7f"
          "end"),
     1, 8,
     {{"h\xe9llo", 1}, {"w0rld_1", 1}, {"\x80\xff", 1}, {"x", 1}, {"y", 1}, {"tab", 1}, {"nl", 1}, {"end", 1}}},
    {"words: a run at the end stays pending", TALLY_MODE_WORDS, 0, 1, TEXT("one two"), 0, 1, {{"one", 1}, {"two", 0}}},
    {"words: NUL separates", TALLY_MODE_WORDS, 0, 1, TEXT("alpha beta\0gamma  alpha_1 \xc3\xa9t\xc3\xa9!"), 1, 5,
     {{"alpha", 1}, {"beta", 1}, {"gamma", 1}, {"alpha_1", 1}, {"\xc3\xa9t\xc3\xa9", 1}}},
    {"lines: one '\\r' before '\\n' is dropped; empty lines are no token; NUL splits; '\\r' at finish stays",
     TALLY_MODE_LINES, 0, 1, TEXT("a line\r\na line\n\n\r\nx\r\r\nsplit\0half\nlast\r"), 1, 5,
     {{"a line", 2}, {"x\r", 1}, {"split", 1}, {"half", 1}, {"last\r", 1}, {"\r", 0}, {"x", 0}}},
    {"lines: a pending line is not counted before finish", TALLY_MODE_LINES, 0, 1, TEXT("done\nlast\r"), 0, 1,
     {{"done", 1}, {"last\r", 0}, {"last", 0}}},
    {"lines: a '\\r' before a NUL stays", TALLY_MODE_LINES, 0, 1, TEXT("cr\r\0cr\r\n"), 0, 2, {{"cr\r", 1}, {"cr", 1}}},
    {"lines: '\\r' runs and splits", TALLY_MODE_LINES, 0, 1, TEXT("first\r\nsecond\n\r\n\rthird\r\r\nfo\0urth\r\n\r"), 1,
     6, {{"first", 1}, {"second", 1}, {"\rthird\r", 1}, {"fo", 1}, {"urth", 1}, {"\r", 1}}},
    {"bytes: every byte is a token at once; NUL is none", TALLY_MODE_BYTES, 0, 1, TEXT("aab\0\n\n\xff a"), 0, 5,
     {{"a", 3}, {"b", 1}, {"\n", 2}, {"\xff", 1}, {" ", 1}, {"aa", 0}}},
    {"bytes: min_len 2 counts nothing", TALLY_MODE_BYTES, 0, 2, TEXT("abc"), 1, 0, {{"a", 0}}},
    {"bytes: '\\r\\n' is two tokens", TALLY_MODE_BYTES, 0, 1, TEXT("ab\0\r\nba"), 0, 4, {{"a", 2}, {"\r", 1}, {"\n", 1}}},
    {"fold: ASCII capitals only, in tokens and queries", TALLY_MODE_WORDS, FOLD, 1,
     TEXT("Hello HELLO hello hElLo \xc3\x89t\xc3\xa9 \xc3\xa9t\xc3\xa9 AZ@[`az"), 1, 4,
     {{"hello", 4}, {"HeLLo", 4}, {"\xc3\x89t\xc3\xa9", 1}, {"\xc3\xa9t\xc3\xa9", 1}, {"az", 2}, {"AZ", 2}}},
    {"no fold without the flag", TALLY_MODE_WORDS, 0, 1,
     TEXT("Hello HELLO hello hElLo \xc3\x89t\xc3\xa9 \xc3\xa9t\xc3\xa9 AZ@[`az"), 1, 8,
     {{"hello", 1}, {"Hello", 1}, {"AZ", 1}, {"az", 1}}},
    {"fold: words with separators", TALLY_MODE_WORDS, FOLD, 1, TEXT("ONE one One\r\ntwo\0TWO"), 1, 2,
     {{"one", 3}, {"two", 2}}},
    {"fold: bytes mode; '@' '[' '`' '{' next to the ranges stay", TALLY_MODE_BYTES, FOLD, 1, TEXT("AaZz@[`{"), 0, 6,
     {{"a", 2}, {"z", 2}, {"@", 1}, {"[", 1}, {"`", 1}, {"{", 1}}},
    {"fold: lines mode", TALLY_MODE_LINES, FOLD, 1, TEXT("One Line\none line\n"), 0, 1, {{"ONE LINE", 2}}},
    {"fold: lines with '\\r'", TALLY_MODE_LINES, FOLD, 1, TEXT("Ab\r\nab\rx\nAB\r"), 1, 3,
     {{"ab", 1}, {"ab\rx", 1}, {"ab\r", 1}}},
    {"fold: Latin-1 capitals stay", TALLY_MODE_WORDS, FOLD, 1, TEXT("\xc0 \xe0 \xc3\x89"), 1, 3,
     {{"\xc0", 1}, {"\xe0", 1}, {"\xc3\x89", 1}}},
    {"NUL separates: words", TALLY_MODE_WORDS, 0, 1, TEXT("ab\0ab\0\0"), 1, 1, {{"ab", 2}}},
    {"NUL separates: lines", TALLY_MODE_LINES, 0, 1, TEXT("ab\0ab\0\0"), 1, 1, {{"ab", 2}}},
    {"NUL separates: bytes", TALLY_MODE_BYTES, 0, 1, TEXT("ab\0ab\0\0"), 1, 2, {{"a", 2}, {"b", 2}}},
    {"min_len 3", TALLY_MODE_WORDS, 0, 3, TEXT("a ab abc abcd ab"), 1, 2, {{"a", 0}, {"ab", 0}, {"abc", 1}, {"abcd", 1}}},
    {"min_len: the dropped '\\r' does not count toward it", TALLY_MODE_LINES, 0, 3, TEXT("ab\r\nab\r\0abc\r\n"), 0, 2,
     {{"ab", 0}, {"ab\r", 1}, {"abc", 1}}},
#undef FOLD
#undef TEXT
};

static void case_token_rows(void) {
  for (size_t r = 0; r < sizeof token_rows / sizeof token_rows[0]; r++) {
    const struct token_row *row = &token_rows[r];
    tally *t = make(row->mode, row->flags, row->min_len);
    if (!t) return;
    check(feedn(t, row->text, row->len) == TALLY_OK, __LINE__, "%s: feed failed", row->what);
    if (row->finish) check(api.finish(t) == TALLY_OK, __LINE__, "%s: finish failed", row->what);
    for (const struct want *w = row->counts; w < row->counts + 10 && w->token; w++) {
      uint64_t got = count(t, w->token);
      check(got == w->count, __LINE__, "%s: count of token %zu = %" PRIu64 ", want %" PRIu64, row->what,
            (size_t)(w - row->counts), got, w->count);
    }
    size_t got = distinct(t);
    check(got == row->distinct, __LINE__, "%s: %zu distinct tokens, want %zu", row->what, got, row->distinct);
    api.free_(t);
  }
}

/* The limit in lines mode: a line of TALLY_MAX_TOKEN bytes then "\r\n" is that line; of
 * TALLY_MAX_TOKEN + 1 bytes its first TALLY_MAX_TOKEN; TALLY_MAX_TOKEN - 1 bytes then "\r\r\n"
 * keep one '\r' and reach the limit exactly. */
static void case_lines_limit(void) {
  tally *t = make(TALLY_MODE_LINES, 0, 1);
  if (!t) return;
  char line[TALLY_MAX_TOKEN + 4];
  memset(line, 'L', TALLY_MAX_TOKEN);
  memcpy(line + TALLY_MAX_TOKEN, "\r\n", 2);
  EXPECT(feedn(t, line, TALLY_MAX_TOKEN + 2), TALLY_OK);
  memset(line, 'M', TALLY_MAX_TOKEN + 1);
  memcpy(line + TALLY_MAX_TOKEN + 1, "\r\n", 2);
  EXPECT(feedn(t, line, TALLY_MAX_TOKEN + 3), TALLY_OK);
  memset(line, 'N', TALLY_MAX_TOKEN - 1);
  memcpy(line + TALLY_MAX_TOKEN - 1, "\r\r\n", 3);
  EXPECT(feedn(t, line, TALLY_MAX_TOKEN + 2), TALLY_OK);
  memset(line, 'L', TALLY_MAX_TOKEN);
  EXPECT(count_n(t, line, TALLY_MAX_TOKEN), 1);
  memset(line, 'M', TALLY_MAX_TOKEN);
  EXPECT(count_n(t, line, TALLY_MAX_TOKEN), 1);
  memset(line, 'N', TALLY_MAX_TOKEN - 1);
  line[TALLY_MAX_TOKEN - 1] = '\r';
  EXPECT(count_n(t, line, TALLY_MAX_TOKEN), 1);
  EXPECT(distinct(t), 3);
  api.free_(t);
}

/* Every byte value in bytes mode: 255 tokens; with FOLD_CASE only the 26 ASCII capitals fold,
 * min_len 2 counts none, and tally_top hands each byte back unchanged. */
static void case_all_bytes(void) {
  uint8_t all[256];
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  static const struct {
    uint32_t flags, min_len;
    size_t distinct;
  } runs[] = {{0, 1, 255}, {TALLY_FLAG_FOLD_CASE, 1, 255 - 26}, {0, 2, 0}};
  for (size_t r = 0; r < 3; r++) {
    tally *t = make(TALLY_MODE_BYTES, runs[r].flags, runs[r].min_len);
    if (!t) return;
    EXPECT(feedn(t, all, 256), TALLY_OK);
    EXPECT(distinct(t), runs[r].distinct);
    tally_entry *e = NULL;
    size_t n = 0;
    EXPECT(api.top(t, TALLY_MAX_TOP, &e, &n), TALLY_OK);
    int unchanged = 1;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)e[i].token[0];
      unchanged &= e[i].count == (runs[r].flags && c >= 'a' && c <= 'z' ? 2u : 1u) && e[i].token_len == 1 &&
                   e[i].token[1] == 0 && !(runs[r].flags && c >= 'A' && c <= 'Z');
    }
    check(unchanged, __LINE__, "bytes run %zu: tokens or counts changed", r);
    api.entries_free(e, n);
    api.free_(t);
  }
}

/* min_len TALLY_MAX_TOKEN: only tokens that reach the limit (longer ones are truncated to it). */
static void case_min_len_limit(void) {
  tally *t = make(TALLY_MODE_WORDS, 0, TALLY_MAX_TOKEN);
  if (!t) return;
  char w[TALLY_MAX_TOKEN + 3];
  memset(w, 'w', sizeof w);
  EXPECT(feedn(t, w, TALLY_MAX_TOKEN - 1), TALLY_OK);
  EXPECT(feeds(t, " "), TALLY_OK);
  EXPECT(feedn(t, w, TALLY_MAX_TOKEN), TALLY_OK);
  EXPECT(feeds(t, " "), TALLY_OK);
  EXPECT(feedn(t, w, TALLY_MAX_TOKEN + 3), TALLY_OK);
  EXPECT(api.finish(t), TALLY_OK);
  EXPECT(count_n(t, w, TALLY_MAX_TOKEN), 2);
  EXPECT(distinct(t), 1);
  api.free_(t);
}

/* TALLY_MAX_TOKEN exactly and one past, in one feed and split at every offset, at the end of
 * the stream (finish) and before a separator; each entry's token stays NUL-terminated. */
static void case_token_limit(void) {
  for (size_t len = TALLY_MAX_TOKEN - 1; len <= TALLY_MAX_TOKEN + 2; len++) {
    for (int at_finish = 0; at_finish < 2; at_finish++) {
      tally *t = make(TALLY_MODE_WORDS, 0, 1);
      if (!t) return;
      char *w = xmalloc(len + 1);
      for (size_t i = 0; i < len; i++) w[i] = (char)('a' + i % 26);
      w[len] = ' ';
      EXPECT(feedn(t, w, at_finish ? len : len + 1), TALLY_OK);
      EXPECT(api.finish(t), TALLY_OK);
      size_t want = len < TALLY_MAX_TOKEN ? len : TALLY_MAX_TOKEN;
      check(count_n(t, w, want) == 1, __LINE__, "%zu-byte token (finish %d) not counted as its first %zu", len,
            at_finish, want);
      tally_entry *e = NULL;
      size_t n = 0;
      EXPECT(api.top(t, 1, &e, &n), TALLY_OK);
      if (n == 1) {
        EXPECT(e[0].token_len, want);
        CHECK(memcmp(e[0].token, w, want) == 0 && e[0].token[want] == 0);
      }
      api.entries_free(e, n);
      api.free_(t);
      free(w);
    }
  }
}

/* Split every input at every offset (and into single bytes): the counts equal the one-feed
 * counts. Covers a token, a "\r\n" and a NUL split across feeds in every mode. */
static void same_counts(tally *a, tally *b, const char *what, size_t off) {
  tally_entry *ea = NULL, *eb = NULL;
  size_t na = 0, nb = 0;
  api.top(a, TALLY_MAX_TOP, &ea, &na);
  api.top(b, TALLY_MAX_TOP, &eb, &nb);
  int same = na == nb;
  for (size_t i = 0; same && i < na; i++) same = cmp_entry(&ea[i], &eb[i]) == 0 && ea[i].count == eb[i].count;
  check(same, __LINE__, "%s split at %zu: %zu entries vs %zu in one feed", what, off, nb, na);
  api.entries_free(ea, na);
  api.entries_free(eb, nb);
}

static void case_split_feeds(void) {
  for (size_t r = 0; r < sizeof token_rows / sizeof token_rows[0]; r++) {
    const struct token_row *row = &token_rows[r];
    const char *s = row->text;
    size_t len = row->len;
    for (int finish = 0; finish < 2; finish++) {
      tally *whole = make(row->mode, row->flags, row->min_len);
      if (!whole) return;
      EXPECT(feedn(whole, s, len), TALLY_OK);
      if (finish) EXPECT(api.finish(whole), TALLY_OK);
      for (size_t off = 0; off <= len; off++) {
        tally *t = make(row->mode, row->flags, row->min_len);
        if (!t) return;
        EXPECT(feedn(t, s, off), TALLY_OK);
        EXPECT(feedn(t, s + off, 0), TALLY_OK);
        EXPECT(feedn(t, s + off, len - off), TALLY_OK);
        if (finish) EXPECT(api.finish(t), TALLY_OK);
        same_counts(whole, t, row->what, off);
        api.free_(t);
      }
      tally *t = make(row->mode, row->flags, row->min_len);
      if (!t) return;
      for (size_t i = 0; i < len; i++) EXPECT(feedn(t, s + i, 1), TALLY_OK);
      if (finish) EXPECT(api.finish(t), TALLY_OK);
      same_counts(whole, t, row->what, SIZE_MAX);
      api.free_(t);
      api.free_(whole);
    }
  }
  /* A token at the limit split at every offset, then one byte more. */
  char w[TALLY_MAX_TOKEN + 2];
  for (size_t i = 0; i < sizeof w; i++) w[i] = (char)('A' + i % 26);
  for (size_t total = TALLY_MAX_TOKEN; total <= TALLY_MAX_TOKEN + 1; total++) {
    for (size_t off = 0; off <= total; off++) {
      tally *t = make(TALLY_MODE_WORDS, 0, 1);
      if (!t) return;
      EXPECT(feedn(t, w, off), TALLY_OK);
      EXPECT(feedn(t, w + off, total - off), TALLY_OK);
      EXPECT(api.finish(t), TALLY_OK);
      check(count_n(t, w, TALLY_MAX_TOKEN) == 1 && distinct(t) == 1, __LINE__,
            "%zu-byte token split at %zu", total, off);
      api.free_(t);
    }
  }
}

/* TALLY_MAX_DISTINCT distinct tokens are fine; the next new one is EFULL and fails the handle;
 * the tokens before it in the same feed stay counted; old tokens count on. */
static void fill(tally *t, int from, int to) {
  char w[16];
  for (int i = from; i < to; i++) {
    snprintf(w, sizeof w, "t%d ", i);
    if (feeds(t, w) != TALLY_OK) {
      check(0, __LINE__, "fill: feed of token %d failed", i);
      return;
    }
  }
}

static void case_distinct_limit(void) {
  tally *t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  fill(t, 0, TALLY_MAX_DISTINCT - 1);
  EXPECT(feeds(t, "t0 t1 t0 last "), TALLY_OK); /* the limit itself */
  EXPECT(distinct(t), TALLY_MAX_TOP);
  EXPECT(count(t, "last"), 1);
  EXPECT(feeds(t, "t5 t5 over t6 "), TALLY_EFULL);
  EXPECT(count(t, "t5"), 3); /* before it: counted */
  EXPECT(count(t, "over"), 0);
  EXPECT(count(t, "t6"), 1); /* after it: not */
  EXPECT(count(t, "t0"), 3);
  /* Failed: feed and finish are ESTATE; counts and top stay readable. */
  EXPECT(feeds(t, "t7 "), TALLY_ESTATE);
  EXPECT(count(t, "t7"), 1);
  EXPECT(api.feed(t, NULL, 0), TALLY_ESTATE);
  EXPECT(api.feed(t, NULL, 1), TALLY_EINVAL);
  EXPECT(api.finish(t), TALLY_ESTATE);
  EXPECT(api.finish(t), TALLY_ESTATE);
  tally_entry *e = NULL;
  size_t n = 0;
  EXPECT(api.top(t, 1, &e, &n), TALLY_OK);
  CHECK(n == 1 && e[0].count == 3 && strcmp(e[0].token, "t0") == 0);
  api.entries_free(e, n);
  api.free_(t);

  /* Full, then only known tokens: still fine, including at finish. */
  t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  fill(t, 0, TALLY_MAX_DISTINCT);
  EXPECT(feeds(t, "t1 t2"), TALLY_OK);
  EXPECT(api.finish(t), TALLY_OK);
  EXPECT(count(t, "t2"), 2);
  api.free_(t);

  /* The overflowing token pending at finish: EFULL, then failed. */
  t = make(TALLY_MODE_WORDS, 0, 1);
  if (!t) return;
  fill(t, 0, TALLY_MAX_DISTINCT);
  EXPECT(feeds(t, "t9 newcomer"), TALLY_OK);
  EXPECT(api.finish(t), TALLY_EFULL);
  EXPECT(api.finish(t), TALLY_ESTATE);
  EXPECT(feeds(t, "x"), TALLY_ESTATE);
  EXPECT(count(t, "newcomer"), 0);
  EXPECT(count(t, "t9"), 2);
  api.free_(t);

  /* Tokens under min_len are not counted, so they are not distinct tokens either. */
  t = make(TALLY_MODE_WORDS, 0, 3);
  if (!t) return;
  fill(t, 100, 100 + TALLY_MAX_DISTINCT); /* "t100".. all >= 4 bytes */
  EXPECT(feeds(t, "a b c de fg "), TALLY_OK);
  EXPECT(feeds(t, "hij "), TALLY_EFULL);
  api.free_(t);
}

/* Handles are independent; many come and go. */
static void case_handles(void) {
  tally *a = make(TALLY_MODE_WORDS, 0, 1);
  tally *b = make(TALLY_MODE_WORDS, 0, 1);
  if (!a || !b) return;
  EXPECT(feeds(a, "sha"), TALLY_OK);
  EXPECT(feeds(b, "red "), TALLY_OK);
  EXPECT(feeds(a, "red "), TALLY_OK); /* a's pending run is its own */
  EXPECT(count(a, "shared"), 1);
  EXPECT(count(b, "red"), 1);
  EXPECT(count(a, "red"), 0);
  EXPECT(api.finish(a), TALLY_OK);
  EXPECT(feeds(b, "more "), TALLY_OK);
  api.free_(a);
  api.free_(b);
  /* Many handles in a row and many alive at once, each freed (LeakSanitizer checks at exit). */
  int bad = 0;
  for (int i = 0; i < 6000; i++) {
    tally *t = NULL;
    if (api.new_(NULL, &t) != TALLY_OK || t == NULL) {
      bad++;
      continue;
    }
    if (feeds(t, "x y") != TALLY_OK || api.finish(t) != TALLY_OK || count(t, "y") != 1) bad++;
    api.free_(t);
  }
  check(bad == 0, __LINE__, "%d of 6000 new/feed/finish/free cycles failed", bad);
  enum { ALIVE = 300 };
  tally **many = xmalloc(ALIVE * sizeof *many);
  for (int i = 0; i < ALIVE; i++) {
    many[i] = NULL;
    if (api.new_(NULL, &many[i]) != TALLY_OK) bad++;
  }
  for (int i = 0; i < ALIVE; i++) api.free_(many[i]);
  free(many);
  check(bad == 0, __LINE__, "%d of %d live handles failed", bad, ALIVE);
}

/* Different handles on different threads at once (the header allows it). */
static void *handle_worker(void *arg) {
  int *bad = arg;
  for (int i = 0; i < 200; i++) {
    tally *t = NULL;
    if (api.new_(NULL, &t) != TALLY_OK) {
      (*bad)++;
      continue;
    }
    feeds(t, "one two two three three three");
    api.finish(t);
    tally_entry *e = NULL;
    size_t n = 0;
    if (api.top(t, 3, &e, &n) != TALLY_OK || n != 3 || strcmp(e[0].token, "three") != 0) (*bad)++;
    api.entries_free(e, n);
    api.free_(t);
  }
  return NULL;
}

static void case_handle_threads(void) {
  enum { N = 4 };
  pthread_t th[N];
  int bad[N] = {0};
  for (int k = 0; k < N; k++) CHECK(pthread_create(&th[k], NULL, handle_worker, &bad[k]) == 0);
  for (int k = 0; k < N; k++) {
    pthread_join(th[k], NULL);
    check(bad[k] == 0, __LINE__, "thread %d: %d wrong results", k, bad[k]);
  }
}

/* ------------------------------------------------------------------------------------------ */

static const struct {
  const char *name;
  void (*run)(void);
} cases[] = {
    {"globals", case_globals},
    {"checksum", case_checksum},
    {"checksum_threads", case_checksum_threads},
    {"new", case_new},
    {"new_short_struct", case_new_short_struct},
    {"feed_checks", case_feed_checks},
    {"finish", case_finish},
    {"count_checks", case_count_checks},
    {"top_checks", case_top_checks},
    {"top_order", case_top_order},
    {"token_rows", case_token_rows},
    {"lines_limit", case_lines_limit},
    {"all_bytes", case_all_bytes},
    {"min_len_limit", case_min_len_limit},
    {"token_limit", case_token_limit},
    {"split_feeds", case_split_feeds},
    {"distinct_limit", case_distinct_limit},
    {"handles", case_handles},
    {"handle_threads", case_handle_threads},
};

#define LOAD(field, sym)                                                           \
  do {                                                                             \
    *(void **)&api.field = dlsym(lib, sym);                                        \
    if (!api.field) {                                                              \
      fprintf(stderr, "behaviour: %s does not export %s\n", argv[1], sym);         \
      return 2;                                                                    \
    }                                                                              \
  } while (0)

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s LIB.so [CASE...]   (runs every case of the tally contract against LIB)\n", argv[0]);
    return 2;
  }
  /* An engine that loops forever fails instead of hanging the run (SIGALRM kills us). */
  alarm(300);
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "behaviour: cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  LOAD(abi_version, "tally_abi_version");
  LOAD(version, "tally_version");
  LOAD(strerror, "tally_strerror");
  LOAD(checksum, "tally_checksum");
  LOAD(new_, "tally_new");
  LOAD(feed, "tally_feed");
  LOAD(finish, "tally_finish");
  LOAD(count, "tally_count");
  LOAD(top, "tally_top");
  LOAD(entries_free, "tally_entries_free");
  LOAD(free_, "tally_free");
  int ran = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int wanted = argc == 2;
    for (int a = 2; a < argc; a++) wanted |= strcmp(argv[a], cases[i].name) == 0;
    if (!wanted) continue;
    current = cases[i].name;
    cases[i].run();
    ran++;
  }
  if (ran == 0) {
    fprintf(stderr, "behaviour: no case matches the names given\n");
    return 2;
  }
  printf("%s: %d passed, %d failed\n", argv[1], passed, failed);
  /* No dlclose: LeakSanitizer symbolizes leaks through the still-mapped library. */
  return failed ? 1 : 0;
}
