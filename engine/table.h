/* C side of the engine function table: one slot per contract symbol and a trampoline per
 * slot, because cgo cannot call C function pointers directly. Included by every cgo file of
 * package engine. */
#ifndef SEAM_ENGINE_TABLE_H
#define SEAM_ENGINE_TABLE_H
#include <stdlib.h>
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
#endif
