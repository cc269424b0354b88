// Package cdirect is the baseline of ffi's call benchmark: a direct cgo call of the same C
// function ffi.Call calls (testdata/callee.c's seam_t_sum3, compiled in here).
package cdirect

/*
#include <stdint.h>
#define W(i) ((uint64_t)0x9E3779B97F4A7C15ull * (uint64_t)(i) + 1)
static uint64_t seam_direct_sum3(uintptr_t a, uintptr_t b, uintptr_t c) {
	return (uint64_t)a * W(1) + (uint64_t)b * W(2) + (uint64_t)c * W(3);
}
static void *seam_direct_sum3_addr(void) { return (void *)seam_direct_sum3; }
*/
import "C"

import "unsafe"

// Sum3 calls seam_direct_sum3 directly through cgo.
func Sum3(a, b, c uintptr) uint64 {
	return uint64(C.seam_direct_sum3(C.uintptr_t(a), C.uintptr_t(b), C.uintptr_t(c)))
}

// Sum3Addr is the address of seam_direct_sum3, for calling it through ffi.
func Sum3Addr() unsafe.Pointer {
	return C.seam_direct_sum3_addr()
}
