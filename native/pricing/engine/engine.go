// Package engine is a hand-written Go binding of the pricing header
// (native/pricing/include/seam_pricing.h). seam's machinery no longer uses it (fuzz, stress and
// repro call any boundary through its contract, package boundary); what keeps it is its own
// behaviour table of the pricing engines (behaviour_test.go, prepared_test.go, sanity_test.go),
// until those checks move onto package boundary under native/pricing/.
//
// An Engine is a shared library loaded at run time, so one Go binary drives the C++ and the
// Rust engine in any build variant, a seeded-bug mutant or a user's own library.
package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "table.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/seamfuzz/seam/ffi"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// Status is a contract status code.
type Status int32

const (
	OK       Status = C.SEAM_OK
	BadInput Status = C.SEAM_BAD_INPUT
	NoRule   Status = C.SEAM_NO_RULE
	Internal Status = C.SEAM_INTERNAL
	Busy     Status = C.SEAM_BUSY
	// Breach is seam's own code for an engine that broke an output rule of the contract (for
	// example returned memory together with an error); no engine returns it.
	Breach Status = -1
)

func (s Status) String() string {
	switch s {
	case OK:
		return "SEAM_OK"
	case BadInput:
		return "SEAM_BAD_INPUT"
	case NoRule:
		return "SEAM_NO_RULE"
	case Internal:
		return "SEAM_INTERNAL"
	case Busy:
		return "SEAM_BUSY"
	case Breach:
		return "CONTRACT_BREACH"
	}
	return fmt.Sprintf("status(%d)", int32(s))
}

// In is a pointer/length pair for native code. Data is copied into an exact-size native block
// for the call. Null passes a NULL pointer with length Len (the contract allows it only with 0).
// When !Null, Len is ignored and len(Data) is passed. Its layout matches gen.Buf so generated
// inputs convert directly: engine.In(buf).
type In struct {
	Data []byte
	Null bool
	Len  int
}

// Bytes is the ordinary, non-NULL form of b.
func Bytes(b []byte) In { return In{Data: b, Len: len(b)} }

// Null is a NULL pointer with length n.
func Null(n int) In { return In{Null: true, Len: n} }

// Engine is one loaded library with its resolved function table.
type Engine struct {
	Path string
	name string
	lib  *ffi.Library
	// t is an anonymous mapping (t_alloc in table.h says why neither Go memory nor malloc).
	t   *C.seam_table
	mem *ffi.Allocator
	// shared: large prepared inputs of identical Go bytes share a native block (prepared.go).
	shareMu sync.Mutex
	shared  map[sharedKey]*sharedInput
}

// Open loads the library at path and resolves every contract symbol. A library that lacks one
// is refused with an error naming it. The process must already run the sanitizer runtime the
// library needs (see sanrt.Ensure and sanrt.RuntimeOf).
func Open(path string) (*Engine, error) {
	if need, err := sanrt.RuntimeOf(path); err == nil && need != sanrt.None && sanrt.Loaded() != need {
		return nil, fmt.Errorf("%s is %s-instrumented but this process has no %s runtime: run it with -variant %s (seam re-executes itself with the runtime)", path, need, need, need)
	}
	lib, err := ffi.Open(path)
	if err != nil {
		return nil, err
	}
	t := C.t_alloc()
	if t == nil {
		lib.Close()
		return nil, fmt.Errorf("mmap of the function table for %s failed", path)
	}
	for i, name := range symbolNames {
		p, err := lib.Sym(name)
		if err != nil {
			C.t_release(t)
			lib.Close()
			if errors.Is(err, ffi.ErrNoSymbol) {
				return nil, fmt.Errorf("%s does not implement the contract: missing symbol %s", path, name)
			}
			return nil, err
		}
		C.t_set(t, C.int(i), p)
	}
	e := &Engine{Path: lib.Path, lib: lib, t: t, mem: ffi.NewAllocator(ffi.DefaultMode())}
	e.name = C.GoString(C.t_engine_name(t))
	return e, nil
}

// Close unloads the library; the Engine and its Rules must not be used afterwards.
func (e *Engine) Close() error {
	err := e.lib.Close()
	C.t_release(e.t)
	e.t = nil
	return err
}

// Name is seam_engine_name(): "cpp", "rust", or whatever a foreign library says.
func (e *Engine) Name() string { return e.name }

// MemoryMode says how inputs are handed to native code (exact malloc or guard page).
func (e *Engine) MemoryMode() ffi.Mode { return e.mem.Mode() }

// ABIVersion is seam_abi_version().
func (e *Engine) ABIVersion() uint32 { return uint32(C.t_abi_version(e.t)) }

// LastError is seam_last_error() of the calling OS thread. Goroutines move between threads, so
// call it under runtime.LockOSThread together with the failing call, or use WithLastError.
func (e *Engine) LastError() string {
	n := C.t_last_error(e.t, nil, 0)
	if n == 0 {
		return ""
	}
	blk, err := e.mem.Alloc(int(n))
	if err != nil {
		return ""
	}
	defer e.mem.Free(blk)
	got := C.t_last_error(e.t, (*C.uint8_t)(blk.Ptr), C.size_t(blk.Len))
	if got != n {
		return fmt.Sprintf("<seam_last_error length changed: %d then %d>", n, got)
	}
	return string(blk.Bytes())
}

// LastErrorRaw calls seam_last_error with a caller-chosen capacity and returns what was written
// and the full length it reported; for testing truncation.
func (e *Engine) LastErrorRaw(capacity int) ([]byte, int) {
	blk, err := e.mem.Alloc(capacity)
	if err != nil {
		return nil, 0
	}
	defer e.mem.Free(blk)
	n := int(C.t_last_error(e.t, (*C.uint8_t)(blk.Ptr), C.size_t(capacity)))
	w := min(n, capacity)
	return append([]byte(nil), blk.Bytes()[:w]...), n
}

// WithLastError runs call on one locked OS thread and returns its status together with that
// thread's last error message (empty on SEAM_OK).
func (e *Engine) WithLastError(call func() Status) (Status, string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := call()
	if st == OK {
		return st, ""
	}
	return st, e.LastError()
}

// in copies an In into native memory. The returned block must be freed with e.mem.Free.
func (e *Engine) in(x In) (ptr *C.uint8_t, n C.size_t, blk ffi.Block, err error) {
	if x.Null {
		return nil, C.size_t(x.Len), ffi.Block{}, nil
	}
	blk, err = e.mem.Copy(x.Data)
	if err != nil {
		return nil, 0, blk, err
	}
	return (*C.uint8_t)(blk.Ptr), C.size_t(len(x.Data)), blk, nil
}
