/* The counter engine; each BUG_* macro seeds one broken thread claim (claims_test.go). */
#include "counter.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct ctr {
  atomic_int readers, writer;
  atomic_llong value;
};

#ifdef BUG_SHARED_ERROR
static char last[128]; /* one slot for every thread */
#else
static _Thread_local char last[128];
#endif

static int32_t fail(int32_t status, const char *msg) {
  strncpy(last, msg, sizeof last - 1);
  return status;
}

/* Work inside a call, so calls on two threads overlap. */
static void work(void) {
  for (volatile int i = 0; i < 2000; i++) {
  }
}

int32_t ctr_new(ctr **out) {
  if (out == NULL) return fail(CTR_EINVAL, "ctr_new: out is NULL");
  *out = calloc(1, sizeof(ctr));
  return *out ? CTR_OK : fail(CTR_EINVAL, "ctr_new: out of memory");
}

int32_t ctr_set(ctr *c, int64_t v) {
  if (c == NULL) return fail(CTR_EINVAL, "ctr_set: NULL handle");
  if (v < 0 || v > CTR_MAX) return fail(CTR_EINVAL, "ctr_set: value out of range");
#ifdef BUG_BUSY_CHANGES
  atomic_store(&c->value, v); /* changes the state, then refuses */
#endif
  int idle = 0;
  if (!atomic_compare_exchange_strong(&c->writer, &idle, 1)) return fail(CTR_BUSY, "ctr_set: busy");
#ifndef BUG_NO_BUSY
  if (atomic_load(&c->readers) > 0) {
    atomic_store(&c->writer, 0);
#ifdef BUG_STATUS
    return fail(CTR_EINVAL, "ctr_set: in use"); /* refuses with the wrong status */
#else
    return fail(CTR_BUSY, "ctr_set: busy");
#endif
  }
#endif
  work();
  atomic_store(&c->value, v);
  atomic_store(&c->writer, 0);
  return CTR_OK;
}

#ifdef BUG_SCRATCH
static volatile long long scratch; /* shared by every call */
#endif

int32_t ctr_get(const ctr *c, int64_t add, int64_t *out) {
  if (c == NULL) return fail(CTR_EINVAL, "ctr_get: NULL handle");
  if (add < 0 || add > CTR_MAX) return fail(CTR_EINVAL, "ctr_get: add out of range");
  if (out == NULL) return fail(CTR_EINVAL, "ctr_get: out is NULL");
  ctr *m = (ctr *)c;
  atomic_fetch_add(&m->readers, 1);
  if (atomic_load(&m->writer)) {
    atomic_fetch_sub(&m->readers, 1);
    return fail(CTR_BUSY, "ctr_get: busy");
  }
#ifdef BUG_SCRATCH
  scratch = atomic_load(&m->value) + add;
  work();
  *out = scratch;
#else
  work();
  *out = atomic_load(&m->value) + add;
#endif
  atomic_fetch_sub(&m->readers, 1);
  return CTR_OK;
}

void ctr_free(ctr *c) {
  if (c == NULL) return;
  int idle = 0;
  if (atomic_load(&c->readers) > 0 || !atomic_compare_exchange_strong(&c->writer, &idle, 1)) {
    fail(CTR_BUSY, "ctr_free: busy, not freed");
    return;
  }
  free(c);
}

size_t ctr_last_error(uint8_t *buf, size_t cap) {
  size_t n = strlen(last);
  if (buf != NULL && cap > 0) memcpy(buf, last, n < cap ? n : cap);
  return n;
}
