/* The native batch runner (batch.go): one worker's pool of prepared calls, run many calls per
 * cgo crossing. A crossing costs ~50-70 ns here against a few hundred for a stress call, so the
 * Go loop spent a fifth of its time entering and leaving C.
 *
 * Each pool entry is a seam_bop: which contract function to call with which prepared arguments,
 * and a fast check of the result that can only pass a call or flag it. A flagged call ends the
 * run with its outputs in place, and Go's check of the call (the same code the Go loop runs)
 * has the final say, so the fast check only has to be conservative: anything it is not sure of
 * is flagged. Every call is recorded in the worker's write-ahead slot first, exactly as
 * wal.Slot.BeginEntry and End do. */
#ifndef SEAM_ENGINE_BATCH_H
#define SEAM_ENGINE_BATCH_H
#include <stdint.h>
#include "table.h"

enum { BOP_GO, BOP_QUOTE, BOP_DESCRIBE, BOP_EXPORT, BOP_LOAD, BOP_CYCLE };

// Statuses are counted in 16 slots, -1..14 (stress.statusSlots); a status outside them is
// flagged so that Go counts it.
#define BATCH_STATUS_SLOTS 16
#define BATCH_MAX_OPS 16
#define ST_BIT(st) ((uint32_t)((st) + 1) < 32 ? 1u << ((st) + 1) : 0u)

typedef struct seam_bop {
	uint32_t kind;  // BOP_*
	uint32_t op;    // the workload's op index (per-op counter)
	uint32_t pass;  // statuses (ST_BIT) that pass without a look at the outputs
	uint32_t check; // statuses whose outputs must equal the expected ones
	const pricing_rules *rules;
	// quote
	const pricing_request *req;
	pricing_result *out; // NULL passes NULL
	uint32_t result_size;
	int64_t want_final, want_discount, want_tax;
	// describe
	uint32_t region;
	uint8_t *buf;
	size_t cap;
	size_t *needed;
	// export: out-parameters, and same as u_export_cmp sets it
	uint8_t **eout;
	size_t *eout_len;
	int32_t same;
	// load
	const uint8_t *text;
	size_t text_len;
	// describe and export: the expected bytes
	const uint8_t *want;
	size_t want_len;
	// new-load-export-free: the entry's own arguments and statuses
	seam_cycle cycle;
} seam_bop;

typedef struct seam_batch {
	seam_table *t;
	seam_bop *ops;
	uint64_t mask; // pool size - 1 (a power of two)
	uint64_t x;    // the worker's xorshift state: which entry runs next
	uint32_t *wal_state; // NULL without a write-ahead slot
	uint64_t *wal_seq;
	int64_t per_op[BATCH_MAX_OPS];           // cumulative, passed calls only
	int64_t by_status[BATCH_STATUS_SLOTS];   // cumulative, passed calls only
	int64_t passed;                          // calls the last run made and passed
	int32_t flagged;                         // entry the last run stopped at, or -1
	int32_t flag_status;                     // its status (not counted above)
	int32_t flag_go;                         // 1: the entry was not run (BOP_GO), Go runs it
} seam_batch;

static inline int batch_bytes_equal(const uint8_t *p, size_t n, const uint8_t *want, size_t want_len) {
	return n == want_len && (n == 0 || (p != NULL && memcmp(p, want, n) == 0));
}

// batch_call makes one call and returns 1 when the fast check passes it.
static inline int batch_call(seam_table *t, seam_bop *o, int32_t *stp) {
	int32_t st;
	int good = 0;
	switch (o->kind) {
	case BOP_QUOTE:
		if (o->out) {
			memset(o->out, 0, sizeof *o->out);
			o->out->struct_size = o->result_size;
		}
		st = t_quote(t, o->rules, o->req, o->out);
		if (ST_BIT(st) & o->check)
			good = o->out && o->out->final_price_cents == o->want_final &&
			       o->out->discount_cents == o->want_discount && o->out->tax_cents == o->want_tax;
		break;
	case BOP_DESCRIBE:
		memset(o->buf, 0xA5, o->cap); // a sentinel, so stale bytes cannot pass for output
		*o->needed = (size_t)-1;
		st = t_describe(t, o->rules, o->region, o->buf, o->cap, o->needed);
		if (ST_BIT(st) & o->check)
			good = *o->needed <= o->cap && batch_bytes_equal(o->buf, *o->needed, o->want, o->want_len);
		break;
	case BOP_EXPORT: // as Rules.ExportEqual: no status is wrong, the bytes of an OK one are checked
		*o->eout = NULL;
		*o->eout_len = 0;
		o->same = 0;
		*stp = st = t_export(t, o->rules, o->eout, o->eout_len);
		if (st != SEAM_OK) return *o->eout == NULL && *o->eout_len == 0; // bytes with an error: a breach
		o->same = batch_bytes_equal(*o->eout, *o->eout_len, o->want, o->want_len);
		if (!o->same) return 0; // Go copies the bytes for the report, then frees them
		if (*o->eout) t_bytes_free(t, *o->eout, *o->eout_len);
		return 1;
	case BOP_LOAD:
		st = t_rules_load(t, (pricing_rules *)o->rules, o->text, o->text_len);
		break;
	case BOP_CYCLE: {
		seam_cycle *c = &o->cycle;
		t_cycle(t, c);
		st = c->st_load; // what the Go loop counts for the cycle
		*stp = st;
		if (c->st_new != SEAM_OK || *c->handle == NULL) return 0;
		// An OK export that differs from want: t_cycle left the handle and the bytes to Go's
		// check. An error with bytes (a breach): t_cycle freed the handle, not the bytes.
		if (c->st_export == SEAM_OK) return c->same;
		return *c->out == NULL && *c->out_len == 0;
	}
	default:
		return 0;
	}
	*stp = st;
	return good || (ST_BIT(st) & o->pass) != 0;
}

// u_batch_run makes up to n calls of pool entries picked by the xorshift state. It stops after
// a call the fast check flagged (its outputs left in place for Go) or before an entry that runs
// in Go.
static inline void u_batch_run(uintptr_t bp, int64_t n) {
	seam_batch *b = (seam_batch *)bp;
	uint64_t x = b->x;
	b->passed = 0;
	b->flagged = -1;
	b->flag_go = 0;
	for (int64_t k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint32_t i = (uint32_t)(x & b->mask);
		seam_bop *o = &b->ops[i];
		if (o->kind == BOP_GO) {
			b->flagged = (int32_t)i;
			b->flag_go = 1;
			break;
		}
		if (b->wal_state) {
			*b->wal_seq += 1;
			__atomic_store_n(b->wal_state, 2 + i, __ATOMIC_RELEASE);
		}
		int32_t st = 0;
		int good = batch_call(b->t, o, &st);
		if (b->wal_state) __atomic_store_n(b->wal_state, 0, __ATOMIC_RELEASE);
		if (!good || (uint32_t)(st + 1) >= BATCH_STATUS_SLOTS) {
			b->flagged = (int32_t)i;
			b->flag_status = st;
			break;
		}
		b->passed++;
		b->per_op[o->op]++;
		b->by_status[st + 1]++;
	}
	b->x = x;
}

static inline seam_batch *batch_alloc(size_t pool) {
	size_t size = sizeof(seam_batch) + pool * sizeof(seam_bop);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) return NULL;
	seam_batch *b = (seam_batch *)p;
	b->ops = (seam_bop *)(b + 1);
	return b;
}
static inline void batch_release(seam_batch *b, size_t pool) { munmap(b, sizeof(seam_batch) + pool * sizeof(seam_bop)); }
#endif
