package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include "table.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/seamfuzz/seam/ffi"
)

// Sizes of the contract structs as cgo sees the header. ABI checks compare engines with these.
const (
	RequestSize = uint32(unsafe.Sizeof(C.pricing_request{}))
	ResultSize  = uint32(unsafe.Sizeof(C.pricing_result{}))
)

// Request mirrors pricing_request. StructSize is explicit so wrong sizes can be sent; use
// NewRequest for the correct one.
type Request struct {
	StructSize    uint32
	ItemCount     uint32
	SubtotalCents int64
	RegionID      uint32
	CustomerTier  uint32
	Coupon        In
}

// NewRequest returns a request with the correct struct_size and no coupon.
func NewRequest(items uint32, subtotal int64, region, tier uint32) Request {
	return Request{StructSize: RequestSize, ItemCount: items, SubtotalCents: subtotal, RegionID: region, CustomerTier: tier}
}

// Result mirrors pricing_result (without struct_size).
type Result struct {
	FinalPriceCents int64
	DiscountCents   int64
	TaxCents        int64
}

// Rules is a pricing_rules handle. The zero Rules of an engine (e.NullRules()) passes NULL.
type Rules struct {
	e *Engine
	p *C.pricing_rules
}

// NewRules calls pricing_rules_new. On SEAM_OK the caller owns the handle and frees it.
func (e *Engine) NewRules() (*Rules, Status) {
	out, err := e.mem.Alloc(int(unsafe.Sizeof(uintptr(0))))
	must(err)
	defer e.mem.Free(out)
	*(*unsafe.Pointer)(out.Ptr) = nil
	st := Status(C.t_rules_new(e.t, (**C.pricing_rules)(out.Ptr)))
	p := *(**C.pricing_rules)(out.Ptr)
	if st != OK {
		return nil, st
	}
	if p == nil {
		return nil, Internal
	}
	return &Rules{e: e, p: p}, st
}

// NewRulesNullOut calls pricing_rules_new(NULL).
func (e *Engine) NewRulesNullOut() Status { return Status(C.t_rules_new(e.t, nil)) }

// NullRules is a handle value that passes NULL to every call.
func (e *Engine) NullRules() *Rules { return &Rules{e: e} }

// Engine returns the engine the handle belongs to.
func (r *Rules) Engine() *Engine { return r.e }

// IsNull reports whether the handle is NULL.
func (r *Rules) IsNull() bool { return r.p == nil }

// Addr is the native handle address, for logs.
func (r *Rules) Addr() uintptr { return uintptr(unsafe.Pointer(r.p)) }

// Load calls pricing_rules_load with text in an exact-size block.
func (r *Rules) Load(text In) Status {
	p, n, blk, err := r.e.in(text)
	must(err)
	defer r.e.mem.Free(blk)
	return Status(C.t_rules_load(r.e.t, r.p, p, n))
}

// QuoteArgs is the full, adversarial form of a quote call.
type QuoteArgs struct {
	Req              Request
	ResultStructSize uint32
	NullReq, NullOut bool
}

// Quote prices req with a correctly sized result.
func (r *Rules) Quote(req Request) (Result, Status) {
	return r.QuoteWith(QuoteArgs{Req: req, ResultStructSize: ResultSize})
}

// QuoteWith calls pricing_quote with every argument under the caller's control. The request and
// result live in exact-size native blocks, so an engine reading past either struct is caught.
func (r *Rules) QuoteWith(a QuoteArgs) (Result, Status) {
	e := r.e
	var reqBlk, outBlk, couponBlk ffi.Block
	var err error
	var req *C.pricing_request
	var out *C.pricing_result
	if !a.NullReq {
		reqBlk, err = e.mem.Alloc(int(RequestSize))
		must(err)
		defer e.mem.Free(reqBlk)
		var cp *C.uint8_t
		var cn C.size_t
		cp, cn, couponBlk, err = e.in(a.Req.Coupon)
		must(err)
		defer e.mem.Free(couponBlk)
		req = (*C.pricing_request)(reqBlk.Ptr)
		*req = C.pricing_request{
			struct_size:    C.uint32_t(a.Req.StructSize),
			item_count:     C.uint32_t(a.Req.ItemCount),
			subtotal_cents: C.int64_t(a.Req.SubtotalCents),
			region_id:      C.uint32_t(a.Req.RegionID),
			customer_tier:  C.uint32_t(a.Req.CustomerTier),
			coupon:         cp,
			coupon_len:     cn,
		}
	}
	if !a.NullOut {
		outBlk, err = e.mem.Alloc(int(ResultSize))
		must(err)
		defer e.mem.Free(outBlk)
		out = (*C.pricing_result)(outBlk.Ptr)
		*out = C.pricing_result{struct_size: C.uint32_t(a.ResultStructSize)}
	}
	st := Status(C.t_quote(e.t, r.p, req, out))
	return resultOf(out, st), st
}

// DescribeArgs is the full form of a describe call.
type DescribeArgs struct {
	Region     uint32
	Cap        int
	NullBuf    bool // pass buf = NULL (with Cap)
	NullNeeded bool // pass needed = NULL
}

// Describe calls pricing_rules_describe into an exact-size buffer of a.Cap bytes and returns
// the bytes written (on SEAM_OK) and *needed (-1 when NullNeeded).
func (r *Rules) Describe(a DescribeArgs) ([]byte, int, Status) {
	e := r.e
	var buf *C.uint8_t
	if !a.NullBuf {
		blk, err := e.mem.Alloc(a.Cap)
		must(err)
		defer e.mem.Free(blk)
		buf = (*C.uint8_t)(blk.Ptr)
	}
	var needed *C.size_t
	if !a.NullNeeded {
		nb, err := e.mem.Alloc(int(unsafe.Sizeof(C.size_t(0))))
		must(err)
		defer e.mem.Free(nb)
		needed = (*C.size_t)(nb.Ptr)
		// A sentinel proves the engine sets *needed on every path.
		*needed = ^C.size_t(0)
	}
	st := Status(C.t_describe(e.t, r.p, C.uint32_t(a.Region), buf, C.size_t(a.Cap), needed))
	n := -1
	if needed != nil {
		n = int(*needed)
	}
	var text []byte
	if st == OK && buf != nil && n >= 0 && n <= a.Cap {
		text = C.GoBytes(unsafe.Pointer(buf), C.int(n))
	}
	return text, n, st
}

// DescribeAll sizes the buffer with a first call and fetches the description with a second.
func (r *Rules) DescribeAll(region uint32) ([]byte, Status) {
	_, needed, st := r.Describe(DescribeArgs{Region: region, Cap: 0})
	if st != BadInput || needed <= 0 {
		if st == OK {
			return []byte{}, OK
		}
		return nil, st
	}
	text, _, st := r.Describe(DescribeArgs{Region: region, Cap: needed})
	return text, st
}

// ExportArgs is the full form of an export call.
type ExportArgs struct{ NullOut, NullLen bool }

// Export calls pricing_rules_export, copies the bytes and frees them with seam_bytes_free.
func (r *Rules) Export() ([]byte, Status) { return r.ExportWith(ExportArgs{}) }

// ExportWith is Export with NULL out-parameters under the caller's control.
func (r *Rules) ExportWith(a ExportArgs) ([]byte, Status) {
	e := r.e
	blk, err := e.mem.Alloc(int(unsafe.Sizeof(uintptr(0)) + unsafe.Sizeof(C.size_t(0))))
	must(err)
	defer e.mem.Free(blk)
	outp := (**C.uint8_t)(blk.Ptr)
	lenp := (*C.size_t)(unsafe.Add(blk.Ptr, unsafe.Sizeof(uintptr(0))))
	*outp, *lenp = nil, 0
	var o **C.uint8_t
	var l *C.size_t
	if !a.NullOut {
		o = outp
	}
	if !a.NullLen {
		l = lenp
	}
	st := Status(C.t_export(e.t, r.p, o, l))
	if o == nil || l == nil {
		return nil, st
	}
	p, n := *outp, *lenp
	if st != OK {
		if p != nil || n != 0 {
			return nil, Breach // an error must return *out = NULL, *out_len = 0
		}
		return nil, st
	}
	var data []byte
	if p != nil {
		data = C.GoBytes(unsafe.Pointer(p), C.int(n))
		C.t_bytes_free(e.t, p, n)
	} else {
		data = []byte{}
	}
	return data, st
}

// FreeBytes calls seam_bytes_free directly (for NULL and repeated-free cases).
func (e *Engine) FreeBytes(p unsafe.Pointer, n int) {
	C.t_bytes_free(e.t, (*C.uint8_t)(p), C.size_t(n))
}

// Free calls pricing_rules_free. Freeing a NULL handle is fine.
func (r *Rules) Free() { C.t_rules_free(r.e.t, r.p) }

func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("seam: native memory for a call: %v", err))
	}
}

// resultOf reads a quote's result struct; it is zero unless the call succeeded.
func resultOf(out *C.pricing_result, st Status) Result {
	if st != OK || out == nil {
		return Result{}
	}
	return Result{
		FinalPriceCents: int64(out.final_price_cents),
		DiscountCents:   int64(out.discount_cents),
		TaxCents:        int64(out.tax_cents),
	}
}
