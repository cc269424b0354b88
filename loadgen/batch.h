/* The native batch executor (batch.go): one worker's pool of prepared calls, run many calls
 * per cgo crossing. A crossing costs ~50-70 ns here, against a few hundred for a stress call, so
 * a Go loop spends a fifth of its time entering and leaving C.
 *
 * Each pool entry is a call descriptor (seam_ffi.h) with its answer: the return value and the
 * bytes every output region (with the sentinels around it) must hold after the call, taken
 * from the same call alone on the same state. A call that gives exactly that passes; one that
 * gives the pass value (the busy status of a call that may be refused) passes without a look at
 * its outputs; anything else is flagged, its outputs left in place, and Go's check of the call
 * (the one its Go run uses) has the final say. Every call is recorded in the worker's
 * write-ahead slot first, exactly as wal.Slot.BeginEntry and End do. */
#ifndef SEAM_LOADGEN_BATCH_H
#define SEAM_LOADGEN_BATCH_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "seam_ffi.h"

typedef struct lg_region {
	uint8_t *span;       // the output with its sentinels
	size_t len;
	size_t data;         // where the output starts in span
	size_t data_len;
	const uint8_t *init; // what span holds before a call (its data part is restored)
	const uint8_t *want; // what span must hold after it
} lg_region;

// A native entry: one block holding the entry, its regions and then their images, so that a
// call reads a few adjacent cache lines. Its hot part first. Its pass counters are its own
// (Go sums them per op and status): one increment a call, in a line the call reads anyway.
typedef struct lg_entry {
	uint32_t nregions;
	uint8_t restore;  // the answer's outputs differ from what the call starts with
	uint8_t dirty;    // the outputs may not hold the answer (a call passed unlooked, or flagged)
	uint8_t has_pass;
	uint8_t pad;
	uint64_t want_ret, pass_ret;
	int64_t passed_want, passed_pass; // calls passed by the answer, by the pass value
	seam_ffi_desc d;
	lg_region r[];
} lg_entry;

typedef struct lg_batch {
	lg_entry **e; // per pool entry; NULL: Go runs it
	uint64_t mask; // pool size - 1 (a power of two)
	uint64_t x;    // the worker's xorshift state: which entry runs next
	uint32_t *wal_state; // NULL without a write-ahead slot
	uint64_t *wal_seq;
	int64_t passed;   // calls the last run made and passed
	int32_t flagged;  // entry the last run stopped at, or -1
	int32_t flag_go;  // 1: the entry was not run (a Go entry)
	uint64_t flag_ret; // the flagged call's return value
} lg_batch;

// lg_equal compares n bytes, 8 at a time and without a branch per word (most calls pass: every
// byte is read anyway). Words, not 16-byte vectors: the call has just written the span with
// word-sized stores, and a load spanning two of them cannot be forwarded from the store
// buffer (a stall of a dozen cycles each). The sentinels are ASan-poisoned (ffi.OutBlock)
// and reading them is the point, so no memcmp (ASan's interceptor checks the poison); the
// __builtin_memcpy loads compile to plain unaligned moves.
__attribute__((no_sanitize_address)) static inline int lg_equal(const uint8_t *a, const uint8_t *b, size_t n) {
	uint64_t diff = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		__builtin_memcpy(&x, a + i, 8);
		__builtin_memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	for (; i < n; i++) diff |= (uint64_t)(a[i] ^ b[i]);
	return diff == 0;
}

// lg_copy restores an output's data part: most are a few words, which a call of memcpy
// through the PLT costs more than.
static inline void lg_copy(uint8_t *dst, const uint8_t *src, size_t n) {
	if (n > 128) {
		memcpy(dst, src, n);
		return;
	}
	size_t i = 0;
	for (; i + 16 <= n; i += 16) __builtin_memcpy(dst + i, src + i, 16);
	for (; i < n; i++) dst[i] = src[i];
}

static inline int lg_outputs_equal(const lg_entry *o) {
	for (uint32_t k = 0; k < o->nregions; k++)
		if (!lg_equal(o->r[k].span, o->r[k].want, o->r[k].len)) return 0;
	return 1;
}

static inline uint64_t lg_next(uint64_t x) {
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

// lg_run makes up to n calls of pool entries picked by the xorshift state. It stops after a
// call it flagged (outputs left in place for Go) or before an entry that runs in Go.
static inline void lg_run(uintptr_t bp, int64_t n) {
	lg_batch *b = (lg_batch *)bp;
	// Locals, not b's fields: the stores through entries and the slot could alias b, and the
	// compiler would reload each of them every call.
	lg_entry *const *e = b->e;
	const uint64_t mask = b->mask;
	uint32_t *const wal_state = b->wal_state;
	uint64_t *const wal_seq = b->wal_seq;
	uint64_t x = b->x;
	int64_t k = 0;
	int32_t flagged = -1, flag_go = 0;
	uint64_t flag_ret = 0;
	for (; k < n; k++) {
		x = lg_next(x);
		uint32_t i = (uint32_t)(x & mask);
		lg_entry *o = e[i];
		if (o == NULL) {
			flagged = (int32_t)i;
			flag_go = 1;
			break;
		}
		// A call that passed by its answer left every output as the answer has it: when that
		// is also what the call starts with (an error path, a read of nothing), nothing to do.
		if (o->restore | o->dirty) {
			for (uint32_t r = 0; r < o->nregions; r++)
				lg_copy(o->r[r].span + o->r[r].data, o->r[r].init + o->r[r].data, o->r[r].data_len);
			o->dirty = 0;
		}
		if (wal_state) {
			*wal_seq += 1;
			__atomic_store_n(wal_state, 2 + i, __ATOMIC_RELEASE);
		}
		uint64_t ret = seam_ffi_call_desc(&o->d);
		if (wal_state) __atomic_store_n(wal_state, 0, __ATOMIC_RELEASE);
		if (ret == o->want_ret && lg_outputs_equal(o)) {
			o->passed_want++;
			continue;
		}
		o->dirty = 1;
		if (o->has_pass && ret == o->pass_ret) {
			o->passed_pass++;
			continue;
		}
		flagged = (int32_t)i;
		flag_ret = ret;
		break;
	}
	b->passed = k;
	b->flagged = flagged;
	b->flag_go = flag_go;
	b->flag_ret = flag_ret;
	b->x = x;
}

// lg_bare makes n calls picked as lg_run picks them, with none of its work around a call
// (restoring outputs, the write-ahead slot, the check, the counters): the baseline its
// overhead is measured against (BenchmarkExecutor). Every entry must be native.
static inline void lg_bare(uintptr_t bp, int64_t n) {
	lg_batch *b = (lg_batch *)bp;
	uint64_t x = b->x;
	for (int64_t k = 0; k < n; k++) {
		x = lg_next(x);
		seam_ffi_call_desc(&b->e[x & b->mask]->d);
	}
	b->x = x;
}
#endif
