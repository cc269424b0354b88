package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "table.h"
*/
import "C"

import (
	"bytes"
	"unsafe"

	"github.com/seamfuzz/seam/ffi"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// Prepared calls: the form of the API for loops that make millions of calls (seam stress).
// An input is copied into native memory once and passed to many calls, because the header
// makes every input const; outputs live in a per-goroutine Scratch reused from call to call.
// The memory property of the typed API is kept: every block (input or output) is exact-size
// (ASan) or ends at a guard page, so a one-byte over-read still crashes. An engine that writes
// through a const input pointer would change the calls that reuse the input, so Changed
// compares a prepared input with what was copied in (the loops check it when they replace the
// input; sealing the pages read-only instead costs two mprotect calls, tens of microseconds
// under load, per input). Nothing here allocates on the Go heap per call.

// Input is an In copied once into native memory, for many calls.
type Input struct {
	e    *Engine
	ptr  *C.uint8_t
	n    C.size_t
	blk  ffi.Block
	orig []byte // what was copied in (not copied again: the caller must not modify it)
	sh   *sharedInput
}

// shareInputsFrom: inputs at least this long that are the very same Go bytes (the generator's
// shared read-only 1 MiB pattern) share one native block instead of a copy each. The entry
// keeps the Go bytes referenced, so their address cannot be reused for other bytes while it
// exists.
const shareInputsFrom = 64 << 10

type sharedKey struct {
	p *byte
	n int
}

type sharedInput struct {
	blk  ffi.Block
	refs int
	key  sharedKey
}

// NewInput copies x into a native block (a Null In passes NULL with its Len). x.Data is kept
// for Changed and must not be modified while the Input lives.
func (e *Engine) NewInput(x In) (*Input, error) {
	in := &Input{e: e}
	if err := in.set(x); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *Input) set(x In) error {
	if x.Null {
		in.n = C.size_t(x.Len)
		return nil
	}
	if len(x.Data) >= shareInputsFrom {
		return in.share(x.Data)
	}
	blk, err := in.e.mem.Copy(x.Data)
	if err != nil {
		return err
	}
	in.blk, in.ptr, in.n, in.orig = blk, (*C.uint8_t)(blk.Ptr), C.size_t(len(x.Data)), x.Data
	return nil
}

func (in *Input) share(data []byte) error {
	e := in.e
	key := sharedKey{unsafe.SliceData(data), len(data)}
	e.shareMu.Lock()
	defer e.shareMu.Unlock()
	sh := e.shared[key]
	if sh == nil {
		blk, err := e.mem.Copy(data)
		if err != nil {
			return err
		}
		sh = &sharedInput{blk: blk, key: key}
		if e.shared == nil {
			e.shared = map[sharedKey]*sharedInput{}
		}
		e.shared[key] = sh
		sanrt.Release(blk.Ptr) // the copy happens before another thread's use (for TSan)
	} else {
		sanrt.Acquire(sh.blk.Ptr)
	}
	sh.refs++
	in.sh, in.blk, in.ptr, in.n, in.orig = sh, sh.blk, (*C.uint8_t)(sh.blk.Ptr), C.size_t(len(data)), data
	return nil
}

// Changed reports whether native code wrote into the input (it is const in the header). A
// block shared by several Inputs is compared only by the last one holding it.
func (in *Input) Changed() bool {
	if in.ptr == nil {
		return false
	}
	if in.sh != nil {
		in.e.shareMu.Lock()
		last := in.sh.refs == 1
		in.e.shareMu.Unlock()
		if !last {
			return false
		}
	}
	return !bytes.Equal(in.blk.Bytes(), in.orig)
}

// Len is the length passed with the input.
func (in *Input) Len() int { return int(in.n) }

// Free releases the native block.
func (in *Input) Free() {
	if sh := in.sh; sh != nil {
		in.e.shareMu.Lock()
		sh.refs--
		sanrt.Release(sh.blk.Ptr) // every holder's reads happen before the last one frees it
		if sh.refs == 0 {
			sanrt.Acquire(sh.blk.Ptr)
			delete(in.e.shared, sh.key)
			in.e.mem.Free(sh.blk)
		}
		in.e.shareMu.Unlock()
	} else {
		in.e.mem.Free(in.blk)
	}
	in.blk, in.ptr, in.sh, in.orig = ffi.Block{}, nil, nil, nil
}

// cp passes C memory to the u_ trampolines (table.h says why not as a pointer).
func cp(p unsafe.Pointer) C.uintptr_t { return C.uintptr_t(uintptr(p)) }

// LoadInput calls pricing_rules_load with a prepared text.
func (r *Rules) LoadInput(in *Input) Status {
	return Status(C.u_rules_load(cp(unsafe.Pointer(r.e.t)), cp(unsafe.Pointer(r.p)), cp(unsafe.Pointer(in.ptr)), in.n))
}

// PreparedQuote is a QuoteArgs whose request (and coupon) sit in sealed native blocks.
type PreparedQuote struct {
	e          *Engine
	req        *C.pricing_request // nil for NullReq
	reqBlk     ffi.Block
	reqCopy    C.pricing_request // what was copied in, for Changed
	coupon     Input
	resultSize C.uint32_t
	nullOut    bool
}

// PrepareQuote copies a's request into native memory for QuotePrepared.
func (e *Engine) PrepareQuote(a QuoteArgs) (*PreparedQuote, error) {
	q := &PreparedQuote{e: e, coupon: Input{e: e}, resultSize: C.uint32_t(a.ResultStructSize), nullOut: a.NullOut}
	if a.NullReq {
		return q, nil
	}
	if err := q.coupon.set(a.Req.Coupon); err != nil {
		return nil, err
	}
	blk, err := e.mem.Alloc(int(RequestSize))
	if err != nil {
		q.coupon.Free()
		return nil, err
	}
	q.reqCopy = C.pricing_request{
		struct_size:    C.uint32_t(a.Req.StructSize),
		item_count:     C.uint32_t(a.Req.ItemCount),
		subtotal_cents: C.int64_t(a.Req.SubtotalCents),
		region_id:      C.uint32_t(a.Req.RegionID),
		customer_tier:  C.uint32_t(a.Req.CustomerTier),
		coupon:         q.coupon.ptr,
		coupon_len:     q.coupon.n,
	}
	*(*C.pricing_request)(blk.Ptr) = q.reqCopy
	q.reqBlk, q.req = blk, (*C.pricing_request)(blk.Ptr)
	return q, nil
}

// Changed reports whether native code wrote into the request or the coupon (both const).
func (q *PreparedQuote) Changed() bool {
	if q.req == nil {
		return false
	}
	return !bytes.Equal(q.reqBlk.Bytes(), unsafe.Slice((*byte)(unsafe.Pointer(&q.reqCopy)), unsafe.Sizeof(q.reqCopy))) ||
		q.coupon.Changed()
}

// Free releases the native blocks.
func (q *PreparedQuote) Free() {
	q.e.mem.Free(q.reqBlk)
	q.coupon.Free()
	q.reqBlk, q.req = ffi.Block{}, nil
}

// Scratch is one goroutine's output blocks, each exact-size and reused from call to call. It is
// not safe for concurrent use.
type Scratch struct {
	e        *Engine
	result   ffi.Block // pricing_result
	ptrs     ffi.Block // export's out pointer and length; pricing_rules_new's out pointer
	needed   ffi.Block // describe's *needed
	handle   ffi.Block // the cycle's pricing_rules_new out-parameter
	cycle    ffi.Block // the cycle's arguments and statuses (seam's, not the engine's)
	describe []describeBuf
}

// sentinel fills describe buffers before each call.
var sentinel = func() (s [256]byte) {
	for i := range s {
		s[i] = 0xA5
	}
	return s
}()

type describeBuf struct {
	cap int
	blk ffi.Block
}

// NewScratch allocates the output blocks.
func (e *Engine) NewScratch() (*Scratch, error) {
	s := &Scratch{e: e}
	var err error
	if s.result, err = e.mem.Alloc(int(ResultSize)); err != nil {
		return nil, err
	}
	if s.ptrs, err = e.mem.Alloc(int(unsafe.Sizeof(uintptr(0)) + unsafe.Sizeof(C.size_t(0)))); err != nil {
		s.Free()
		return nil, err
	}
	if s.needed, err = e.mem.Alloc(int(unsafe.Sizeof(C.size_t(0)))); err != nil {
		s.Free()
		return nil, err
	}
	if s.handle, err = e.mem.Alloc(int(unsafe.Sizeof(uintptr(0)))); err != nil {
		s.Free()
		return nil, err
	}
	if s.cycle, err = e.mem.Alloc(int(unsafe.Sizeof(C.seam_cycle{}))); err != nil {
		s.Free()
		return nil, err
	}
	return s, nil
}

// Free releases the blocks.
func (s *Scratch) Free() {
	for _, b := range []ffi.Block{s.result, s.ptrs, s.needed, s.handle, s.cycle} {
		s.e.mem.Free(b)
	}
	for _, d := range s.describe {
		s.e.mem.Free(d.blk)
	}
	*s = Scratch{e: s.e}
}

// exportOut is where an export's *out and *out_len go.
func (s *Scratch) exportOut() (**C.uint8_t, *C.size_t) {
	return (**C.uint8_t)(s.ptrs.Ptr), (*C.size_t)(unsafe.Add(s.ptrs.Ptr, unsafe.Sizeof(uintptr(0))))
}

// describeBuf returns the scratch's exact-size buffer of capacity n (made on first use).
func (s *Scratch) describeBuf(n int) (ffi.Block, error) {
	for _, d := range s.describe {
		if d.cap == n {
			return d.blk, nil
		}
	}
	blk, err := s.e.mem.Alloc(n)
	if err != nil {
		return blk, err
	}
	s.describe = append(s.describe, describeBuf{cap: n, blk: blk})
	return blk, nil
}

// QuotePrepared is QuoteWith for a prepared request, with the result in s.
func (r *Rules) QuotePrepared(q *PreparedQuote, s *Scratch) (Result, Status) {
	var out *C.pricing_result
	if !q.nullOut {
		out = (*C.pricing_result)(s.result.Ptr)
		*out = C.pricing_result{struct_size: q.resultSize}
	}
	st := Status(C.u_quote(cp(unsafe.Pointer(r.e.t)), cp(unsafe.Pointer(r.p)), cp(unsafe.Pointer(q.req)), cp(unsafe.Pointer(out))))
	return resultOf(out, st), st
}

// DescribeScratch calls pricing_rules_describe into s's exact-size buffer of capacity cap
// (filled with a sentinel first, so stale bytes from an earlier call cannot pass for output).
// text views the buffer and is valid until the next call on s.
func (r *Rules) DescribeScratch(s *Scratch, region uint32, cap int) (text []byte, needed int, st Status) {
	blk, err := s.describeBuf(cap)
	must(err)
	b := blk.Bytes()
	for len(b) > 0 {
		b = b[copy(b, sentinel[:]):]
	}
	np := (*C.size_t)(s.needed.Ptr)
	*np = ^C.size_t(0)
	st = Status(C.u_describe(cp(unsafe.Pointer(r.e.t)), cp(unsafe.Pointer(r.p)), C.uint32_t(region), cp(blk.Ptr), C.size_t(cap), cp(unsafe.Pointer(np))))
	text, needed = described(blk, cap, np, st)
	return text, needed, st
}

// described reads a describe's output from its buffer and *needed.
func described(blk ffi.Block, cap int, np *C.size_t, st Status) (text []byte, needed int) {
	needed = int(*np)
	if st == OK && needed >= 0 && needed <= cap {
		text = unsafe.Slice((*byte)(blk.Ptr), cap)[:needed]
	}
	return text, needed
}

// ExportEqual calls pricing_rules_export, compares the bytes with want in place and frees them
// with seam_bytes_free, in one cgo call. got is a copy of the bytes, only when they differ.
func (r *Rules) ExportEqual(s *Scratch, want *Input) (same bool, got []byte, st Status) {
	e := r.e
	outp, lenp := s.exportOut()
	samep := (*C.int32_t)(s.cycle.Ptr) // harness memory, free between cycles
	st = Status(C.u_export_cmp(cp(unsafe.Pointer(e.t)), cp(unsafe.Pointer(r.p)), cp(unsafe.Pointer(outp)), cp(unsafe.Pointer(lenp)),
		cp(unsafe.Pointer(want.ptr)), want.n, cp(unsafe.Pointer(samep))))
	return exported(e, st, *samep != 0, outp, lenp)
}

// exported finishes an export compared in C (u_export_cmp, or a batch): the bytes were freed
// when they are the expected ones, and are copied for the report and freed when not.
func exported(e *Engine, st Status, same bool, outp **C.uint8_t, lenp *C.size_t) (bool, []byte, Status) {
	p, n := *outp, *lenp
	if st != OK {
		if p != nil || n != 0 {
			return false, nil, Breach // an error must return *out = NULL, *out_len = 0
		}
		return false, nil, st
	}
	if same {
		return true, nil, st
	}
	got := []byte{}
	if p != nil {
		got = C.GoBytes(unsafe.Pointer(p), C.int(n))
		C.u_bytes_free(cp(unsafe.Pointer(e.t)), cp(unsafe.Pointer(p)), n)
	}
	return false, got, st
}

// NewRulesScratch is NewRules with the out-pointer in s, returning the handle by value.
func (e *Engine) NewRulesScratch(s *Scratch) (Rules, Status) {
	op := (**C.pricing_rules)(s.ptrs.Ptr)
	*op = nil
	st := Status(C.t_rules_new(e.t, op))
	p := *op
	if st != OK {
		return Rules{}, st
	}
	if p == nil {
		return Rules{}, Internal
	}
	return Rules{e: e, p: p}, st
}

// Cycle is the outcome of NewLoadExportFree.
type Cycle struct {
	New, Load, Export Status
	Same              bool   // the export returned want (Export is OK)
	Got               []byte // a copy of the exported bytes when they differ from want
}

// NewLoadExportFree makes one alloc/free cycle in a single cgo call (t_cycle in table.h):
// pricing_rules_new, pricing_rules_load(text), pricing_rules_export compared with want,
// seam_bytes_free and pricing_rules_free. Export is Breach for an error that returned bytes.
func (e *Engine) NewLoadExportFree(s *Scratch, text, want *Input) Cycle {
	c := (*C.seam_cycle)(s.cycle.Ptr)
	outp, lenp := s.exportOut()
	*c = C.seam_cycle{handle: (**C.pricing_rules)(s.handle.Ptr), text: text.ptr, text_len: text.n,
		out: outp, out_len: lenp, want: want.ptr, want_len: want.n}
	C.u_cycle(cp(unsafe.Pointer(e.t)), cp(unsafe.Pointer(c)))
	return cycled(e, c)
}

// cycled finishes a t_cycle: when the export differs from want, the bytes are copied for the
// report, and they and the handle are freed.
func cycled(e *Engine, c *C.seam_cycle) Cycle {
	r := Cycle{New: Status(c.st_new), Load: Status(c.st_load), Export: Status(c.st_export), Same: c.same != 0}
	h := *c.handle
	switch {
	case r.New != OK:
		return r
	case h == nil:
		r.New = Internal
		return r
	case r.Export != OK:
		if *c.out != nil || *c.out_len != 0 {
			r.Export = Breach
		}
	case !r.Same: // t_cycle left the bytes and the handle to us
		p, n := *c.out, *c.out_len
		r.Got = []byte{}
		if p != nil {
			r.Got = C.GoBytes(unsafe.Pointer(p), C.int(n))
			C.t_bytes_free(e.t, p, n)
		}
		C.t_rules_free(e.t, h)
	}
	return r
}
