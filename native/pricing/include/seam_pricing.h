/*
 * seam_pricing.h — the C ABI of the reference pricing module.
 *
 * This header is the contract. The C++ engine (native/pricing/cpp) and the Rust
 * engine (native/pricing/rust) both export exactly these symbols with exactly this
 * behaviour; seam (the Go harness) holds them to it.
 *
 * ===================================================================
 * Conventions (apply to every function unless its comment says otherwise)
 * ===================================================================
 *
 * Status codes. Every function that can fail returns an int32_t status:
 *   SEAM_OK (0)         success.
 *   SEAM_BAD_INPUT (1)  an argument broke this contract (NULL where not
 *                       allowed, out-of-range value, wrong struct_size,
 *                       invalid UTF-8, a limit exceeded, malformed rules).
 *   SEAM_NO_RULE (2)    the input is valid but no rule matches it.
 *   SEAM_INTERNAL (3)   the engine failed (allocation failure, a caught
 *                       exception or panic). Never caused by input alone.
 *   SEAM_BUSY (4)       the handle was in use by another thread in a way
 *                       its thread claim forbids; nothing was changed.
 *   Checks run in the order listed under each function; the first failing
 *   check decides the status. Both engines return the same status for the
 *   same input.
 *
 * Failures never cross the boundary. No C++ exception and no Rust panic
 * ever leaves an exported function: each maps it to SEAM_INTERNAL.
 *
 * Memory. Pointer arguments are borrowed for the duration of the call only;
 * no engine keeps a pointer it was given after the call returns. A byte
 * buffer is always a (pointer, length) pair: the engine reads exactly
 * `len` bytes and never relies on a NUL terminator. A NULL pointer is
 * allowed only with length 0 (where this header says so); NULL with a
 * non-zero length is SEAM_BAD_INPUT. Output buffers written by the engine
 * never get a NUL terminator. Memory the engine allocates for the caller
 * is freed only with the function named in its comment.
 *
 * Handles. A pricing_rules handle is created by pricing_rules_new and
 * destroyed by pricing_rules_free. Each handle carries an atomic in-use
 * state so the engine can detect (not merely suffer) concurrent misuse:
 *   - readers (pricing_quote, pricing_rules_describe, pricing_rules_export)
 *     may run concurrently with each other on one handle;
 *   - the writer (pricing_rules_load) and pricing_rules_free are exclusive:
 *     if any other call on the same handle is in progress, load returns
 *     SEAM_BUSY, free leaves the handle alive (see its comment), and a
 *     reader that finds a writer in progress returns SEAM_BUSY.
 *   No call blocks waiting for another.
 *
 * Threads. Each function names its thread claim: "any" (no state), "thread-
 * safe" (concurrent calls, shared handle), "exclusive" (SEAM_BUSY on
 * concurrent use of one handle) or "per thread" (thread-local state).
 *
 * Errors. Every non-OK status also records a human-readable message in the
 * calling thread's last-error slot (see seam_last_error). Successful calls
 * leave the slot unchanged. Messages are not part of the contract; statuses
 * are.
 *
 * ===================================================================
 * Rules text
 * ===================================================================
 * The whole text must be valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Lines are separated by '\n'; one
 * '\r' directly before '\n' (or at the end of the text) is dropped.
 * A line that is empty or starts with '#' is ignored. Every other line is
 *
 *     region,tier,discount_bp,tax_bp[,CODE:extra_bp]
 *
 * with no spaces. Each number is 1 to 5 ASCII digits (leading zeros allowed)
 * and must be in range: region <= SEAM_MAX_REGION_ID, tier < SEAM_TIER_COUNT,
 * discount_bp, tax_bp, extra_bp <= SEAM_MAX_BP. CODE is 1 to
 * SEAM_MAX_COUPON_LEN bytes of [A-Z0-9]. A (region, tier) pair may appear at
 * most once. Anything else is SEAM_BAD_INPUT, including a NUL byte outside
 * a comment.
 *
 * ===================================================================
 * Arithmetic (exact; both engines must agree to the cent)
 * ===================================================================
 * For a request with rule R = rules[(region_id, customer_tier)]:
 *   bp        = R.discount_bp + (coupon matches R.CODE ? R.extra_bp : 0),
 *               then capped at SEAM_MAX_BP.
 *               "matches" = coupon_len > 0 and the coupon bytes equal CODE.
 *   discount  = round(subtotal_cents * bp / 10000)
 *   taxable   = subtotal_cents - discount
 *   tax       = round(taxable * R.tax_bp / 10000)
 *   final     = taxable + tax
 * round() is ROUND HALF TO EVEN on the exact quotient (banker's rounding):
 * with q = n / 10000 and r = n % 10000 (n >= 0), the result is q + 1 when
 * r > 5000 or (r == 5000 and q is odd), else q. All intermediate values fit
 * in int64_t within the limits below.
 */
#ifndef SEAM_PRICING_H
#define SEAM_PRICING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any change to a signature, a struct, a status code or a limit. */
#define SEAM_ABI_VERSION 1u

/* Status codes. */
#define SEAM_OK 0
#define SEAM_BAD_INPUT 1
#define SEAM_NO_RULE 2
#define SEAM_INTERNAL 3
#define SEAM_BUSY 4

/* customer_tier values. Any other value is SEAM_BAD_INPUT. */
#define SEAM_TIER_RETAIL 0u
#define SEAM_TIER_BUSINESS 1u
#define SEAM_TIER_PARTNER 2u
#define SEAM_TIER_COUNT 3u

/* Limits. Each limit itself is valid; limit + 1 is SEAM_BAD_INPUT. */
#define SEAM_MAX_ITEM_COUNT 10000u                 /* item_count in 1..this */
#define SEAM_MAX_SUBTOTAL_CENTS 100000000000LL     /* subtotal_cents in 0..this */
#define SEAM_MAX_COUPON_LEN 32u                    /* bytes, request and rules */
#define SEAM_MAX_RULES_TEXT 65536u                 /* bytes of rules text */
#define SEAM_MAX_LINE_LEN 256u                     /* bytes per line, without '\n' (and '\r') */
#define SEAM_MAX_RULES 1024u                       /* rule lines per text */
#define SEAM_MAX_REGION_ID 65535u                  /* region ids in 0..this */
#define SEAM_MAX_BP 10000u                         /* basis points in 0..this */

/* An opaque rules handle. */
typedef struct pricing_rules pricing_rules;

/* A quote request. The caller sets struct_size = sizeof(pricing_request). */
typedef struct pricing_request {
  uint32_t struct_size;
  uint32_t item_count;     /* 1..SEAM_MAX_ITEM_COUNT */
  int64_t subtotal_cents;  /* 0..SEAM_MAX_SUBTOTAL_CENTS */
  uint32_t region_id;      /* 0..SEAM_MAX_REGION_ID */
  uint32_t customer_tier;  /* SEAM_TIER_* */
  const uint8_t *coupon;   /* valid UTF-8, coupon_len bytes; NULL only with coupon_len 0 */
  size_t coupon_len;       /* 0..SEAM_MAX_COUPON_LEN; 0 = no coupon */
} pricing_request;

/* A quote result. The caller sets struct_size = sizeof(pricing_result); the
 * engine fills the other fields on SEAM_OK and leaves them unspecified
 * otherwise. */
typedef struct pricing_result {
  uint32_t struct_size;
  int64_t final_price_cents;
  int64_t discount_cents;
  int64_t tax_cents;
} pricing_result;

/* sizeof and offsetof of every field of every struct in this header, as the
 * engine was compiled. All fields are uint32_t so this struct cannot itself
 * disagree on layout except in size (layout_size). */
typedef struct seam_layout_info {
  uint32_t layout_size; /* sizeof(seam_layout_info) */

  uint32_t request_size;
  uint32_t request_align;
  uint32_t request_struct_size;    /* offsetof(pricing_request, struct_size) */
  uint32_t request_item_count;     /* offsetof(pricing_request, item_count) */
  uint32_t request_subtotal_cents; /* ... */
  uint32_t request_region_id;
  uint32_t request_customer_tier;
  uint32_t request_coupon;
  uint32_t request_coupon_len;

  uint32_t result_size;
  uint32_t result_align;
  uint32_t result_struct_size;
  uint32_t result_final_price_cents;
  uint32_t result_discount_cents;
  uint32_t result_tax_cents;
} seam_layout_info;

/* SEAM_ABI_VERSION as the engine was compiled. Threads: any. */
uint32_t seam_abi_version(void);

/* "cpp" or "rust": a static NUL-terminated string; never free it.
 * Threads: any. */
const char *seam_engine_name(void);

/* Fills *out with this engine's view of every struct layout.
 * out: caller-owned; NULL is fine (nothing is written). Threads: any. */
void seam_layout(seam_layout_info *out);

/* Creates an empty rules handle (quotes on it return SEAM_NO_RULE).
 * Caller owns *out; free it with pricing_rules_free.
 * Errors: out NULL -> SEAM_BAD_INPUT; allocation failure -> SEAM_INTERNAL
 * (*out set to NULL). Threads: any. */
int32_t pricing_rules_new(pricing_rules **out);

/* Replaces the rules of r with the rules parsed from text[0..len).
 * text: borrowed for the call; NULL is fine with len 0 (an empty rule set).
 * Atomic: on any error r keeps the rules it had.
 * Checks: r NULL -> SEAM_BAD_INPUT; text NULL with len > 0 -> SEAM_BAD_INPUT;
 * another call on r in progress -> SEAM_BUSY; len > SEAM_MAX_RULES_TEXT,
 * invalid UTF-8, a line longer than SEAM_MAX_LINE_LEN, more than
 * SEAM_MAX_RULES rules, or any malformed line -> SEAM_BAD_INPUT.
 * Threads: exclusive per handle. */
int32_t pricing_rules_load(pricing_rules *r, const uint8_t *text, size_t len);

/* Prices *req with the rules of r into *out (see Arithmetic above).
 * req: borrowed for the call; out: caller-owned, out->struct_size set by
 * the caller.
 * Checks: r, req or out NULL -> SEAM_BAD_INPUT; req->struct_size or
 * out->struct_size wrong -> SEAM_BAD_INPUT; a load or free of r in
 * progress -> SEAM_BUSY; item_count, subtotal_cents, region_id,
 * customer_tier out of range -> SEAM_BAD_INPUT; coupon NULL with
 * coupon_len > 0, coupon_len > SEAM_MAX_COUPON_LEN, coupon not valid UTF-8
 * -> SEAM_BAD_INPUT; no rule for (region_id, customer_tier) ->
 * SEAM_NO_RULE. Threads: thread-safe on a shared handle. */
int32_t pricing_quote(const pricing_rules *r, const pricing_request *req,
                      pricing_result *out);

/* Writes the description of every rule of `region` into buf[0..cap):
 * one line per tier that has a rule, tiers ascending, each exactly
 *   "tier=<t> discount_bp=<d> tax_bp=<x>\n"
 * or, for a rule with a coupon,
 *   "tier=<t> discount_bp=<d> tax_bp=<x> coupon=<CODE> extra_bp=<e>\n"
 * numbers in decimal without leading zeros. No NUL terminator.
 * *needed is always set when needed is not NULL: the number of bytes the
 * description takes (0 when there is none). Never writes past cap; writes
 * nothing unless it returns SEAM_OK.
 * buf: caller-owned; NULL is fine with cap 0.
 * Checks: r or needed NULL -> SEAM_BAD_INPUT; buf NULL with cap > 0 ->
 * SEAM_BAD_INPUT; a load or free of r in progress -> SEAM_BUSY;
 * region > SEAM_MAX_REGION_ID -> SEAM_BAD_INPUT; no rule for region ->
 * SEAM_NO_RULE (*needed = 0); cap < *needed -> SEAM_BAD_INPUT.
 * Threads: thread-safe on a shared handle. */
int32_t pricing_rules_describe(const pricing_rules *r, uint32_t region,
                               uint8_t *buf, size_t cap, size_t *needed);

/* Exports the rules of r as canonical rules text: one line per rule,
 * sorted by (region, tier), each "region,tier,discount_bp,tax_bp\n" or
 * "region,tier,discount_bp,tax_bp,CODE:extra_bp\n", numbers without
 * leading zeros. Loading the export gives the same rules.
 * Callee allocates: caller owns *out (*out_len bytes, no NUL terminator)
 * and frees it with seam_bytes_free(*out, *out_len) only. An empty rule set
 * exports *out = NULL, *out_len = 0.
 * Checks: r, out or out_len NULL -> SEAM_BAD_INPUT; a load or free of r in
 * progress -> SEAM_BUSY; allocation failure -> SEAM_INTERNAL. On any error
 * *out = NULL and *out_len = 0 when they are not NULL.
 * Threads: thread-safe on a shared handle. */
int32_t pricing_rules_export(const pricing_rules *r, uint8_t **out,
                             size_t *out_len);

/* Frees bytes returned by pricing_rules_export; len must be the length it
 * returned. NULL is fine. Must not be called twice. Threads: any. */
void seam_bytes_free(uint8_t *p, size_t len);

/* Destroys r. NULL is fine. Must not be called twice, and no other call on r
 * may start after it. If another call on r is in progress, r is NOT freed:
 * the calling thread's last error becomes a SEAM_BUSY message and the
 * caller still owns r. Threads: exclusive. */
void pricing_rules_free(pricing_rules *r);

/* Copies the calling thread's last error message into buf[0..cap)
 * (truncated, no NUL terminator) and returns its full length in bytes;
 * 0 when this thread has had no failure. buf: caller-owned; NULL is fine
 * with cap 0. Threads: per thread. */
size_t seam_last_error(uint8_t *buf, size_t cap);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SEAM_PRICING_H */
