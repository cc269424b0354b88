package ffi

// Output buffers: for a caller-owned out buffer (buf, cap) the bug to catch is a write past
// cap, and it has to be detected, not only crashed on: one byte too many written into memory
// seam owns is a finding even when nothing faults (OutBlock says what catches what per mode).

/*
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

typedef void (*seam_ffi_poison_fn)(void const volatile *, size_t);
static seam_ffi_poison_fn seam_ffi_poison_p, seam_ffi_unpoison_p;

// Resolved at run time, not as weak symbols: the ASan runtime comes in through LD_PRELOAD
// after the Go binary was linked without it.
static int seam_ffi_asan_init(void) {
	seam_ffi_poison_p = (seam_ffi_poison_fn)dlsym(RTLD_DEFAULT, "__asan_poison_memory_region");
	seam_ffi_unpoison_p = (seam_ffi_poison_fn)dlsym(RTLD_DEFAULT, "__asan_unpoison_memory_region");
	return seam_ffi_poison_p != NULL && seam_ffi_unpoison_p != NULL;
}
static void seam_ffi_unpoison(void *p, size_t n) { if (seam_ffi_unpoison_p) seam_ffi_unpoison_p(p, n); }

static const uint8_t seam_ffi_pat[4] = {0xDE, 0xAD, 0xBE, 0xEF};

// Sentinel k bytes away from the buffer (k = 0 touches it) on either side is pat[k % 4]. The
// accessors are not ASan-instrumented (under go build -asan this C is): they touch poisoned
// bytes on purpose.
__attribute__((no_sanitize_address))
static void seam_ffi_sentinels_set(uint8_t *p, size_t n, size_t before, size_t after, int poison) {
	if (poison) seam_ffi_unpoison(p - before, before + n + after);
	for (size_t k = 0; k < before; k++) p[-1 - (intptr_t)k] = seam_ffi_pat[k & 3];
	for (size_t k = 0; k < after; k++) p[n + k] = seam_ffi_pat[k & 3];
	if (poison) {
		seam_ffi_poison_p(p - before, before);
		seam_ffi_poison_p(p + n, after);
	}
}

// seam_ffi_sentinels_bad returns the offset (from p) of the damaged sentinel byte nearest the
// buffer, the after side first, or INTPTR_MIN when all are intact.
__attribute__((no_sanitize_address))
static intptr_t seam_ffi_sentinels_bad(const uint8_t *p, size_t n, size_t before, size_t after) {
	for (size_t k = 0; k < after; k++)
		if (p[n + k] != seam_ffi_pat[k & 3]) return (intptr_t)(n + k);
	for (size_t k = 0; k < before; k++)
		if (p[-1 - (intptr_t)k] != seam_ffi_pat[k & 3]) return -1 - (intptr_t)k;
	return INTPTR_MIN;
}

// malloc is only 8-aligned under ASan; an out struct needs 16.
static void *seam_ffi_out_alloc(size_t n) {
	void *p;
	return posix_memalign(&p, 16, n) == 0 ? p : NULL;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// OutBlock is an output buffer of exactly Len usable bytes at Ptr with sentinel bytes right
// before and after it in the same allocation; Intact says whether any changed. Free it with
// Allocator.Free(o.Block). What catches an overrun (a write from cap on), per mode:
//   - Guard: [before sentinels][Len bytes][after sentinels][PROT_NONE page]. A write up to
//     After bytes past cap is a sentinel finding; a longer one faults on the guard page
//     (SIGSEGV, a crash finding).
//   - Exact in an ASan process: one malloc block [before][Len][after] whose sentinels are
//     also ASan-poisoned. An instrumented engine's write into them is an ASan report
//     (use-after-poison, with the writing stack); an uninstrumented one's (a Rust debug build
//     in the asan variant, where the toolchain has no ASan) changes a sentinel, which Intact
//     reports; a write past the sentinels is a heap-buffer-overflow report. AllocOut(n, 0, 0)
//     is a plain exact-size block, for ASan alone to watch.
//   - Exact without ASan (TSan): the same block with sentinels only; TSan does not check
//     bounds, so a write that skips the After sentinels is not seen there.
//
// A write of a sentinel's own value at its position cannot be seen; the pattern (DE AD BE EF
// repeated outwards from the buffer) has no zero and no ASCII byte, because the usual
// overruns are a NUL terminator or text. Over-reads of an out buffer read sentinels and are
// not detected: inputs belong in Blocks.
type OutBlock struct {
	Block
	// Before and After are the sentinel bytes in place on each side: at least what AllocOut
	// was asked for, more where Ptr is aligned to 16 bytes (so an out struct is aligned).
	Before, After int
	poison        bool
}

// outAlign is the alignment of OutBlock.Ptr: malloc's, so any C type can be written there.
const outAlign = 16

// AllocOut returns an output buffer of n bytes with at least before and after sentinel bytes
// around it (contents of the n bytes unspecified).
func (a *Allocator) AllocOut(n, before, after int) (OutBlock, error) {
	if n < 0 || before < 0 || after < 0 {
		return OutBlock{}, fmt.Errorf("negative out block size %d (sentinels %d, %d)", n, before, after)
	}
	var o OutBlock
	if a.mode == Exact {
		o.Before, o.After = roundUp(before, outAlign), after
		span := o.Before + n + o.After
		base := C.seam_ffi_out_alloc(C.size_t(span))
		if base == nil {
			return OutBlock{}, fmt.Errorf("malloc %d bytes failed", span)
		}
		o.Block = Block{Ptr: unsafe.Add(base, o.Before), Len: n, base: base, mode: Exact}
		if a.poison && o.Before+o.After > 0 {
			o.poison, o.Block.poisoned = true, span
		}
	} else {
		pages := max(1, (before+n+after+outAlign-1+a.page-1)/a.page)
		base, err := a.guardMapping(pages)
		if err != nil {
			return OutBlock{}, err
		}
		end := uintptr(base) + uintptr(pages*a.page)
		ptr := (end - uintptr(after+n)) &^ (outAlign - 1)
		o.Before, o.After = before, int(end-ptr)-n
		o.Block = Block{Ptr: unsafe.Add(base, ptr-uintptr(base)), Len: n, base: base, pages: pages, mode: Guard}
	}
	o.Reset()
	return o, nil
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }

// Reset rewrites the sentinels, so a block can be used again after a finding.
func (o OutBlock) Reset() {
	C.seam_ffi_sentinels_set((*C.uint8_t)(o.Ptr), C.size_t(o.Len), C.size_t(o.Before), C.size_t(o.After), cbool(o.poison))
}

// Intact reports whether every sentinel still holds its byte. When one does not, firstBad is
// its offset from Ptr, the damaged byte nearest the buffer: >= Len for a write past the end
// (Len itself for the first byte past cap; the after side is checked first), < 0 before it.
func (o OutBlock) Intact() (ok bool, firstBad int) {
	off := C.seam_ffi_sentinels_bad((*C.uint8_t)(o.Ptr), C.size_t(o.Len), C.size_t(o.Before), C.size_t(o.After))
	if off == C.INTPTR_MIN {
		return true, 0
	}
	return false, int(off)
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

var asanOnce = sync.OnceValue(func() bool { return C.seam_ffi_asan_init() != 0 })

// asanPoisoning reports whether the ASan runtime's manual poisoning is available.
func asanPoisoning() bool { return asanOnce() }

func unpoison(p unsafe.Pointer, n int) { C.seam_ffi_unpoison(p, C.size_t(n)) }
