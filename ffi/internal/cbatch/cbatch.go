// Package cbatch proves that seam_ffi.h serves another cgo package: it runs an array of
// ffi.CallDesc in C, all in one cgo crossing, as a batched executor would.
package cbatch

/*
#cgo CFLAGS: -I${SRCDIR}/../..
#cgo LDFLAGS: -lffi
#include "seam_ffi.h"

static void run_all(uintptr_t descs, size_t n, uintptr_t results) {
	const seam_ffi_desc *d = (const seam_ffi_desc *)descs;
	uint64_t *r = (uint64_t *)results;
	for (size_t i = 0; i < n; i++) r[i] = seam_ffi_call_desc(&d[i]);
}
*/
import "C"

import (
	"unsafe"

	"github.com/seamfuzz/seam/ffi"
)

// Run runs n descriptors at descs and stores each result at results[i]; both are C memory.
func Run(descs unsafe.Pointer, n int, results unsafe.Pointer) {
	C.run_all(C.uintptr_t(uintptr(descs)), C.size_t(n), C.uintptr_t(uintptr(results)))
}

// DescSize is the size of one descriptor in C, for sizing the block.
const DescSize = C.sizeof_seam_ffi_desc

var _ = [1]struct{}{}[unsafe.Sizeof(ffi.CallDesc{})-DescSize]
