/*
 * tally.h — the C ABI of the reference "tally" module: a streaming token
 * counter. Bytes are fed to a handle in as many calls as the caller likes;
 * the handle splits them into tokens (words, lines or single bytes), counts
 * each distinct token, and answers queries about the counts.
 *
 * This is seam's second reference boundary. It is shaped unlike pricing on
 * purpose: state carried across calls on one handle, a NUL-terminated string
 * parameter, a callee-allocated array of structs with its own free function,
 * an options struct holding an enum, negative error codes, a handle that is
 * NOT thread-safe next to global functions that are, integer results that
 * are not statuses, and no layout function (seam checks layouts from DWARF).
 * The C++ engine (cpp/) and the Rust engine (rust/) export exactly these
 * symbols with exactly this behaviour.
 *
 * Conventions (apply to every function unless its comment says otherwise)
 *
 * Status codes. Functions that can fail return an int status from
 * enum tally_status: TALLY_OK (0) or a negative error. Checks run in the
 * order listed under each function; the first failing check decides the
 * status. Both engines return the same status for the same calls.
 *
 * Failures never cross the boundary: no C++ exception and no Rust panic
 * leaves an exported function (each maps to TALLY_ENOMEM).
 *
 * Memory. Pointer arguments are borrowed for the call only. A byte buffer is
 * a (pointer, length) pair of raw bytes (no encoding is required); NULL is
 * allowed with length 0 only. A string parameter is NUL-terminated; the
 * caller guarantees the NUL, and the engine reads nothing after it. Memory
 * the engine allocates for the caller is freed only with the function named
 * in its comment.
 *
 * Threads. A tally handle is NOT thread-safe: the caller must never use one
 * handle from two threads at once, and the engines do not detect it.
 * Different handles may be used by different threads at the same time. The
 * global functions (tally_abi_version, tally_version, tally_strerror,
 * tally_checksum) are thread-safe.
 *
 * Tokens. In TALLY_MODE_WORDS a token is a maximal run of word bytes: ASCII
 * letters, digits and '_', and every byte >= 0x80 (so UTF-8 text passes
 * through whole). In TALLY_MODE_LINES a token is a line: the bytes before a
 * '\n', with one '\r' directly before the '\n' dropped; an empty line is no
 * token. In TALLY_MODE_BYTES every byte is a token of length 1. In every
 * mode a NUL byte (0x00) only separates tokens and is never part of one.
 * A token may span feeds: the bytes of one run fed in two tally_feed calls
 * are one token. A token ends at a separator or at tally_finish. A token
 * longer than TALLY_MAX_TOKEN bytes is counted as its first TALLY_MAX_TOKEN
 * bytes. Tokens shorter than min_len bytes are not counted. With
 * TALLY_FLAG_FOLD_CASE, ASCII 'A'..'Z' become 'a'..'z' in tokens and in
 * queries; other bytes are unchanged.
 *
 * States. A handle is open after tally_new, finished after tally_finish, and
 * failed after a feed or finish returned TALLY_EFULL. Counts stay readable
 * (tally_count, tally_top) in every state; only completed tokens are
 * counted.
 */
#ifndef TALLY_H
#define TALLY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any change to a signature, a struct, a status code or a limit. */
#define TALLY_ABI_VERSION 2u

/* Limits. Each limit itself is valid; limit + 1 is an error. */
#define TALLY_MAX_TOKEN 64u        /* bytes of a counted token */
#define TALLY_MAX_FEED 1048576u    /* bytes per tally_feed call */
#define TALLY_MAX_DISTINCT 4096u   /* distinct tokens per handle */
#define TALLY_MAX_TOP 1024u        /* entries per tally_top call */

/* Option flags. Any other bit is TALLY_EINVAL. */
#define TALLY_FLAG_FOLD_CASE 1u
#define TALLY_FLAG_ALL 1u

typedef enum tally_status {
  TALLY_OK = 0,
  TALLY_EINVAL = -1, /* an argument broke this contract */
  TALLY_ELIMIT = -2, /* a length or count over its limit; nothing changed */
  TALLY_ESTATE = -3, /* the handle's state forbids the call; nothing changed */
  TALLY_EFULL = -4,  /* more than TALLY_MAX_DISTINCT distinct tokens */
  TALLY_ENOMEM = -5  /* the engine failed (allocation, a caught panic) */
} tally_status;

typedef enum tally_mode {
  TALLY_MODE_WORDS = 0,
  TALLY_MODE_LINES = 1,
  TALLY_MODE_BYTES = 2,
  TALLY_MODE_COUNT = 3
} tally_mode;

/* Options for tally_new. The caller sets struct_size = sizeof(tally_options). */
typedef struct tally_options {
  uint32_t struct_size;
  tally_mode mode;   /* TALLY_MODE_WORDS..TALLY_MODE_BYTES */
  uint32_t flags;    /* TALLY_FLAG_* */
  uint32_t min_len;  /* 1..TALLY_MAX_TOKEN */
} tally_options;

/* One counted token, as tally_top returns it. */
typedef struct tally_entry {
  uint64_t count;
  uint32_t token_len;                 /* 1..TALLY_MAX_TOKEN */
  char token[TALLY_MAX_TOKEN + 1];    /* token_len bytes, then a NUL */
} tally_entry;

/* An opaque counter handle. Not thread-safe (see Threads above). */
typedef struct tally tally;

/* TALLY_ABI_VERSION as the engine was compiled. Threads: any. */
uint32_t tally_abi_version(void);

/* A static NUL-terminated string naming the engine and its version; it
 * differs between engines. Never free it. Threads: any. */
const char *tally_version(void);

/* A static NUL-terminated English description of a status (any int, known
 * or not); its text differs between engines. Never free it. Threads: any. */
const char *tally_strerror(int status);

/* Adler-32 of data[0..len), continued from seed (start with 1): returns
 * (b << 16) | a after feeding the bytes into a = seed & 0xffff,
 * b = seed >> 16, modulo 65521. Not a status. data NULL (any len) or len 0
 * returns seed unchanged (even a seed whose halves are not yet reduced
 * modulo 65521). Threads: thread-safe (no state). */
uint32_t tally_checksum(const uint8_t *data, size_t len, uint32_t seed);

/* Creates a counter. opts: borrowed; NULL is fine (defaults: words mode, no
 * flags, min_len 1). Caller owns *out; free it with tally_free.
 * Checks: out NULL -> TALLY_EINVAL; opts->struct_size wrong, mode out of
 * range, an unknown flag, min_len 0 or > TALLY_MAX_TOKEN -> TALLY_EINVAL;
 * allocation failure -> TALLY_ENOMEM. On error *out = NULL (out not NULL).
 * Threads: any (a new handle). */
int tally_new(const tally_options *opts, tally **out);

/* Feeds data[0..len) to t: every token completed by these bytes is counted;
 * a run at the end of data stays pending for the next feed.
 * Checks: t NULL -> TALLY_EINVAL; data NULL with len > 0 -> TALLY_EINVAL;
 * len > TALLY_MAX_FEED -> TALLY_ELIMIT; t finished or failed ->
 * TALLY_ESTATE; a completed token that would be distinct token number
 * TALLY_MAX_DISTINCT + 1 -> TALLY_EFULL (tokens before it in data stay
 * counted; t is failed). Threads: not thread-safe. */
int tally_feed(tally *t, const uint8_t *data, size_t len);

/* Completes the pending token, if any, and finishes t; later feeds return
 * TALLY_ESTATE. Finishing a finished handle returns TALLY_OK and changes
 * nothing. Checks: t NULL -> TALLY_EINVAL; t failed -> TALLY_ESTATE; the
 * pending token overflows the distinct limit -> TALLY_EFULL (t is failed).
 * Threads: not thread-safe. */
int tally_finish(tally *t);

/* Sets *count to the number of times token was counted (0 if never).
 * token: NUL-terminated, folded first with TALLY_FLAG_FOLD_CASE.
 * Checks: t, token or count NULL -> TALLY_EINVAL; token empty or longer than
 * TALLY_MAX_TOKEN bytes -> TALLY_EINVAL. On error *count = 0 (count not
 * NULL). Threads: not thread-safe. */
int tally_count(const tally *t, const char *token, uint64_t *count);

/* The n most counted tokens: min(n, distinct) entries, by count descending,
 * then token bytes ascending (unsigned bytes, a prefix first).
 * Callee allocates: caller owns *out (*out_count entries) and frees it with
 * tally_entries_free(*out, *out_count) only. No tokens: *out = NULL,
 * *out_count = 0, TALLY_OK.
 * Checks: t, out or out_count NULL -> TALLY_EINVAL; n == 0 -> TALLY_EINVAL;
 * n > TALLY_MAX_TOP -> TALLY_ELIMIT; allocation failure -> TALLY_ENOMEM.
 * On error *out = NULL and *out_count = 0 when they are not NULL.
 * Threads: not thread-safe. */
int tally_top(const tally *t, size_t n, tally_entry **out, size_t *out_count);

/* Frees entries returned by tally_top; count must be the count it returned.
 * NULL is fine. Must not be called twice. Threads: any. */
void tally_entries_free(tally_entry *entries, size_t count);

/* Destroys t. NULL is fine. Must not be called twice. Threads: not
 * thread-safe (no other call on t may be in progress or start after it). */
void tally_free(tally *t);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TALLY_H */
