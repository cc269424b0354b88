package sanrt

// rustc's -Zsanitizer=thread builds call __tsan_memcpy/__tsan_memmove/__tsan_memset, which
// gcc 12's libtsan does not export: without these, dlopen of the Rust TSan engine fails with
// "undefined symbol: __tsan_memcpy". Exported from the executable (-rdynamic), they forward to
// libc's functions, which libtsan intercepts, so the accesses are still checked.

/*
#cgo LDFLAGS: -rdynamic
#include <string.h>
__attribute__((visibility("default"), weak)) void *__tsan_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
__attribute__((visibility("default"), weak)) void *__tsan_memmove(void *d, const void *s, size_t n) { return memmove(d, s, n); }
__attribute__((visibility("default"), weak)) void *__tsan_memset(void *d, int c, size_t n) { return memset(d, c, n); }
*/
import "C"
