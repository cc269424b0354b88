/* counter.h: a boundary of one shared counter, for claims' own tests. Every status but
 * CTR_OK records a message in the calling thread's last error. */
#ifndef COUNTER_H
#define COUNTER_H

#include <stddef.h>
#include <stdint.h>

#define CTR_OK 0
#define CTR_EINVAL 1
#define CTR_BUSY 2
#define CTR_MAX 1000

typedef struct ctr ctr;

/* Makes a counter at 0 into *out. Threads: any. */
int32_t ctr_new(ctr **out);

/* Sets the counter to v (0..CTR_MAX); CTR_BUSY while another call on c is in progress.
 * Threads: exclusive per handle. */
int32_t ctr_set(ctr *c, int64_t v);

/* Stores the counter plus add (0..CTR_MAX) in *out; CTR_BUSY while a set is in progress.
 * Threads: thread-safe on a shared handle. */
int32_t ctr_get(const ctr *c, int64_t add, int64_t *out);

/* Frees c (NULL is fine); leaves it alive while another call on it is in progress.
 * Threads: exclusive per handle. */
void ctr_free(ctr *c);

/* Copies the calling thread's last error into buf[0..cap) and returns its full length.
 * Threads: per thread. */
size_t ctr_last_error(uint8_t *buf, size_t cap);

#endif
