package ffi

// Native memory: bytes handed to native code live in memory that ends exactly where the data
// ends, so a one-byte over-read is a crash instead of luck. Go's fuzz []byte lives in a larger
// shared buffer (and Go heap blocks are rounded up to size classes), which hides over-reads.
//
// Two strategies, chosen once per process (DefaultMode):
//   - Exact: an exact-size malloc block. Used when the ASan runtime is loaded, whose redzones
//     catch the first byte past the block (and a UAF, through quarantine), and under TSan,
//     which models malloc/free reuse across threads that recycled guard mappings would hide
//     behind Go's (invisible to TSan) locks.
//   - Guard: the data is placed at the very end of an mmap'ed region followed by a PROT_NONE
//     page, so reading past the end faults (SIGSEGV). Used without a sanitizer runtime.

/*
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *guard_map(size_t pages, size_t page) {
	void *p = mmap(NULL, (pages + 1) * page, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) return NULL;
	if (mprotect((char *)p + pages * page, page, PROT_NONE) != 0) {
		munmap(p, (pages + 1) * page);
		return NULL;
	}
	return p;
}
static void guard_unmap(void *p, size_t pages, size_t page) { munmap(p, (pages + 1) * page); }
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// Mode says how an Allocator makes blocks.
type Mode int

const (
	Guard Mode = iota // data ends at a PROT_NONE page
	Exact             // exact-size malloc (for ASan)
)

func (m Mode) String() string {
	if m == Exact {
		return "exact-malloc"
	}
	return "guard-page"
}

// Block is native memory holding exactly Len bytes at Ptr. The zero Block is NULL.
type Block struct {
	Ptr   unsafe.Pointer
	Len   int
	base  unsafe.Pointer // mapping start (Guard) or malloc pointer (Exact)
	pages int
	mode  Mode
	// poisoned is the size of an Exact block whose sentinels ASan poisons (OutBlock), which
	// must be unpoisoned before free.
	poisoned int
}

// Allocator makes blocks in one mode. It is safe for concurrent use. Guard mappings are
// recycled per page count because mmap+mprotect+munmap per call would dominate a fuzz exec.
type Allocator struct {
	mode Mode
	page int
	mu   sync.Mutex
	free map[int][]unsafe.Pointer
	// poison: OutBlock sentinels are ASan-poisoned (Exact mode in an ASan process).
	poison bool
}

// maxCachedPerSize bounds the recycled mappings so a burst of big inputs does not pin memory.
const maxCachedPerSize = 64

// DefaultMode is the mode for this process: Exact when the ASan or TSan runtime is loaded,
// Guard otherwise.
func DefaultMode() Mode {
	if ProcessHas("__asan_init") || ProcessHas("__tsan_init") {
		return Exact
	}
	return Guard
}

// NewAllocator returns an allocator in the given mode.
func NewAllocator(mode Mode) *Allocator {
	return &Allocator{mode: mode, page: os.Getpagesize(), free: map[int][]unsafe.Pointer{},
		poison: mode == Exact && asanPoisoning()}
}

// Mode reports the allocator's strategy.
func (a *Allocator) Mode() Mode { return a.mode }

// Alloc returns a block of exactly n bytes (contents unspecified).
func (a *Allocator) Alloc(n int) (Block, error) {
	if n < 0 {
		return Block{}, fmt.Errorf("negative size %d", n)
	}
	if a.mode == Exact {
		// malloc(0) returns a unique pointer with no accessible bytes, which is what an empty,
		// non-NULL buffer must be.
		p := C.malloc(C.size_t(n))
		if p == nil {
			return Block{}, fmt.Errorf("malloc %d bytes failed", n)
		}
		return Block{Ptr: p, Len: n, base: p, mode: Exact}, nil
	}
	pages := (n + a.page - 1) / a.page
	base, err := a.guardMapping(pages)
	if err != nil {
		return Block{}, err
	}
	ptr := unsafe.Add(base, pages*a.page-n)
	return Block{Ptr: ptr, Len: n, base: base, pages: pages, mode: Guard}, nil
}

// guardMapping returns pages writable pages followed by a guard page, recycled if it can.
func (a *Allocator) guardMapping(pages int) (unsafe.Pointer, error) {
	if base := a.takeCached(pages); base != nil {
		return base, nil
	}
	base := C.guard_map(C.size_t(pages), C.size_t(a.page))
	if base == nil {
		return nil, fmt.Errorf("mmap %d pages failed", pages+1)
	}
	return base, nil
}

// Copy returns a block holding a copy of b.
func (a *Allocator) Copy(b []byte) (Block, error) {
	blk, err := a.Alloc(len(b))
	if err != nil {
		return blk, err
	}
	if len(b) > 0 {
		copy(blk.Bytes(), b)
	}
	return blk, nil
}

// Bytes views the block as a Go slice (valid until Free).
func (b Block) Bytes() []byte {
	if b.Ptr == nil || b.Len == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(b.Ptr), b.Len)
}

// Free releases the block. Freeing the zero Block is a no-op.
func (a *Allocator) Free(b Block) {
	switch {
	case b.base == nil:
	case b.mode == Exact:
		if b.poisoned > 0 {
			unpoison(b.base, b.poisoned)
		}
		C.free(b.base)
	default:
		a.mu.Lock()
		if len(a.free[b.pages]) < maxCachedPerSize {
			a.free[b.pages] = append(a.free[b.pages], b.base)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		C.guard_unmap(b.base, C.size_t(b.pages), C.size_t(a.page))
	}
}

func (a *Allocator) takeCached(pages int) unsafe.Pointer {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := a.free[pages]
	if len(list) == 0 {
		return nil
	}
	p := list[len(list)-1]
	a.free[pages] = list[:len(list)-1]
	return p
}
