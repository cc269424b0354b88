/* C side of the engine function table: one slot per contract symbol and a trampoline per
 * slot, because cgo cannot call C function pointers directly. Included by every cgo file of
 * package engine. */
#ifndef SEAM_ENGINE_TABLE_H
#define SEAM_ENGINE_TABLE_H
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "seam_pricing.h"

// One slot per contract symbol, in the order of symbolNames in Go.
enum {
	F_ABI_VERSION, F_ENGINE_NAME, F_LAYOUT, F_RULES_NEW, F_RULES_LOAD, F_QUOTE,
	F_DESCRIBE, F_EXPORT, F_BYTES_FREE, F_RULES_FREE, F_LAST_ERROR, F_COUNT
};
typedef struct seam_table { void *fn[F_COUNT]; } seam_table;

// Trampolines: cgo cannot call C function pointers directly.
static inline uint32_t t_abi_version(seam_table *t) { return ((uint32_t (*)(void))t->fn[F_ABI_VERSION])(); }
static inline const char *t_engine_name(seam_table *t) { return ((const char *(*)(void))t->fn[F_ENGINE_NAME])(); }
static inline void t_layout(seam_table *t, seam_layout_info *o) { ((void (*)(seam_layout_info *))t->fn[F_LAYOUT])(o); }
static inline int32_t t_rules_new(seam_table *t, pricing_rules **o) { return ((int32_t (*)(pricing_rules **))t->fn[F_RULES_NEW])(o); }
static inline int32_t t_rules_load(seam_table *t, pricing_rules *r, const uint8_t *p, size_t n) {
	return ((int32_t (*)(pricing_rules *, const uint8_t *, size_t))t->fn[F_RULES_LOAD])(r, p, n);
}
static inline int32_t t_quote(seam_table *t, const pricing_rules *r, const pricing_request *q, pricing_result *o) {
	return ((int32_t (*)(const pricing_rules *, const pricing_request *, pricing_result *))t->fn[F_QUOTE])(r, q, o);
}
static inline int32_t t_describe(seam_table *t, const pricing_rules *r, uint32_t region, uint8_t *b, size_t cap, size_t *needed) {
	return ((int32_t (*)(const pricing_rules *, uint32_t, uint8_t *, size_t, size_t *))t->fn[F_DESCRIBE])(r, region, b, cap, needed);
}
static inline int32_t t_export(seam_table *t, const pricing_rules *r, uint8_t **o, size_t *n) {
	return ((int32_t (*)(const pricing_rules *, uint8_t **, size_t *))t->fn[F_EXPORT])(r, o, n);
}
static inline void t_bytes_free(seam_table *t, uint8_t *p, size_t n) { ((void (*)(uint8_t *, size_t))t->fn[F_BYTES_FREE])(p, n); }
static inline void t_rules_free(seam_table *t, pricing_rules *r) { ((void (*)(pricing_rules *))t->fn[F_RULES_FREE])(r); }
static inline size_t t_last_error(seam_table *t, uint8_t *b, size_t cap) { return ((size_t (*)(uint8_t *, size_t))t->fn[F_LAST_ERROR])(b, cap); }

static inline void t_set(seam_table *t, int i, void *p) { t->fn[i] = p; }

// Trampolines for prepared calls (prepared.go). Every pointer they take is C memory (the mapped
// table, engine handles, ffi blocks), passed as uintptr_t: cgo checks each pointer
// argument for Go pointers, which C memory never holds, and on the stress hot path that check
// cost as much as a third of the harness's own time.
#define U(T, x) ((T)(x))
static inline int32_t u_rules_load(uintptr_t t, uintptr_t r, uintptr_t p, size_t n) {
	return t_rules_load(U(seam_table *, t), U(pricing_rules *, r), U(const uint8_t *, p), n);
}
static inline int32_t u_quote(uintptr_t t, uintptr_t r, uintptr_t q, uintptr_t o) {
	return t_quote(U(seam_table *, t), U(const pricing_rules *, r), U(const pricing_request *, q), U(pricing_result *, o));
}
static inline int32_t u_describe(uintptr_t t, uintptr_t r, uint32_t region, uintptr_t b, size_t cap, uintptr_t needed) {
	return t_describe(U(seam_table *, t), U(const pricing_rules *, r), region, U(uint8_t *, b), cap, U(size_t *, needed));
}
static inline int32_t u_export(uintptr_t t, uintptr_t r, uintptr_t o, uintptr_t n) {
	return t_export(U(seam_table *, t), U(const pricing_rules *, r), U(uint8_t **, o), U(size_t *, n));
}
static inline void u_bytes_free(uintptr_t t, uintptr_t p, size_t n) { t_bytes_free(U(seam_table *, t), U(uint8_t *, p), n); }

// One alloc/free cycle in a single cgo call (seam stress's new-load-free, millions of times):
// pricing_rules_new, pricing_rules_load, pricing_rules_export compared with want,
// seam_bytes_free, pricing_rules_free. Every out-parameter is the caller's exact-size block. When
// the export is OK but differs from want, the handle and the bytes are left to the caller (to
// copy the bytes for the report, then free both); when the export breaks the contract (an
// error with *out set) the bytes are not freed, as Rules.ExportWith does.
typedef struct seam_cycle {
	pricing_rules **handle;   // pricing_rules_new's out-parameter
	const uint8_t *text;      // loaded
	size_t text_len;
	uint8_t **out;            // pricing_rules_export's out-parameters
	size_t *out_len;
	const uint8_t *want;      // what the export must return
	size_t want_len;
	int32_t st_new, st_load, st_export, same;
} seam_cycle;

static inline void t_cycle(seam_table *t, seam_cycle *c) {
	*c->handle = NULL;
	c->st_load = c->st_export = 0;
	c->same = 0;
	c->st_new = t_rules_new(t, c->handle);
	pricing_rules *h = *c->handle;
	if (c->st_new != SEAM_OK || h == NULL) return;
	c->st_load = t_rules_load(t, h, c->text, c->text_len);
	*c->out = NULL;
	*c->out_len = 0;
	c->st_export = t_export(t, h, c->out, c->out_len);
	uint8_t *o = *c->out;
	size_t n = *c->out_len;
	if (c->st_export == SEAM_OK) {
		c->same = n == c->want_len && (n == 0 || (o != NULL && memcmp(o, c->want, n) == 0));
		if (!c->same) return;
		if (o != NULL) t_bytes_free(t, o, n);
	}
	t_rules_free(t, h);
}
static inline void u_cycle(uintptr_t t, uintptr_t c) { t_cycle(U(seam_table *, t), U(seam_cycle *, c)); }

// pricing_rules_export compared with want and freed in one cgo call. *same is set when the
// export is OK and equal to want; the bytes are then freed, otherwise left to the caller.
static inline int32_t u_export_cmp(uintptr_t tp, uintptr_t r, uintptr_t op, uintptr_t np, uintptr_t want, size_t want_len, uintptr_t samep) {
	seam_table *t = U(seam_table *, tp);
	uint8_t **o = U(uint8_t **, op);
	size_t *n = U(size_t *, np);
	int32_t *same = U(int32_t *, samep);
	*o = NULL;
	*n = 0;
	*same = 0;
	int32_t st = t_export(t, U(const pricing_rules *, r), o, n);
	if (st != SEAM_OK) return st;
	*same = *n == want_len && (want_len == 0 || (*o != NULL && memcmp(*o, U(const uint8_t *, want), want_len) == 0));
	if (*same && *o != NULL) t_bytes_free(t, *o, *n);
	return st;
}
#undef U

// The table lives in its own anonymous mapping. Not in Go memory: cgo checks every pointer
// argument of every call, and a Go-heap table (a struct of pointers) was scanned slot by slot
// on each call (~250 ns, more than most calls). Not a malloc block either: LeakSanitizer does
// not scan the Go heap that holds the only reference, so it would report the table as leaked.
static inline seam_table *t_alloc(void) {
	void *p = mmap(NULL, sizeof(seam_table), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : (seam_table *)p;
}
static inline void t_release(seam_table *t) { munmap(t, sizeof(seam_table)); }
#endif
