package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../native/pricing/include
#include <stddef.h>
#include "table.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Layout is seam_layout_info.
type Layout = C.seam_layout_info

// Layout calls seam_layout.
func (e *Engine) Layout() Layout {
	var l C.seam_layout_info
	C.t_layout(e.t, &l)
	return l
}

// LayoutField is one compared value: the engine's and cgo's view of one size or offset.
type LayoutField struct {
	Struct, Field string
	Engine, Go    uint64
}

// GoLayout is cgo's view of every struct in the header — the compiler that built seam's Go
// side, reading the same header.
func GoLayout() Layout {
	var rq C.pricing_request
	var rs C.pricing_result
	var li C.seam_layout_info
	u := func(x uintptr) C.uint32_t { return C.uint32_t(x) }
	return Layout{
		layout_size:              u(unsafe.Sizeof(li)),
		request_size:             u(unsafe.Sizeof(rq)),
		request_align:            u(unsafe.Alignof(rq)),
		request_struct_size:      u(unsafe.Offsetof(rq.struct_size)),
		request_item_count:       u(unsafe.Offsetof(rq.item_count)),
		request_subtotal_cents:   u(unsafe.Offsetof(rq.subtotal_cents)),
		request_region_id:        u(unsafe.Offsetof(rq.region_id)),
		request_customer_tier:    u(unsafe.Offsetof(rq.customer_tier)),
		request_coupon:           u(unsafe.Offsetof(rq.coupon)),
		request_coupon_len:       u(unsafe.Offsetof(rq.coupon_len)),
		result_size:              u(unsafe.Sizeof(rs)),
		result_align:             u(unsafe.Alignof(rs)),
		result_struct_size:       u(unsafe.Offsetof(rs.struct_size)),
		result_final_price_cents: u(unsafe.Offsetof(rs.final_price_cents)),
		result_discount_cents:    u(unsafe.Offsetof(rs.discount_cents)),
		result_tax_cents:         u(unsafe.Offsetof(rs.tax_cents)),
	}
}

// layoutFields lists every value of a Layout with the struct and field it describes.
func layoutFields(l Layout) []LayoutField {
	f := func(s, name string, v C.uint32_t) LayoutField {
		return LayoutField{Struct: s, Field: name, Engine: uint64(v)}
	}
	return []LayoutField{
		f("seam_layout_info", "sizeof", l.layout_size),
		f("pricing_request", "sizeof", l.request_size),
		f("pricing_request", "alignof", l.request_align),
		f("pricing_request", "struct_size", l.request_struct_size),
		f("pricing_request", "item_count", l.request_item_count),
		f("pricing_request", "subtotal_cents", l.request_subtotal_cents),
		f("pricing_request", "region_id", l.request_region_id),
		f("pricing_request", "customer_tier", l.request_customer_tier),
		f("pricing_request", "coupon", l.request_coupon),
		f("pricing_request", "coupon_len", l.request_coupon_len),
		f("pricing_result", "sizeof", l.result_size),
		f("pricing_result", "alignof", l.result_align),
		f("pricing_result", "struct_size", l.result_struct_size),
		f("pricing_result", "final_price_cents", l.result_final_price_cents),
		f("pricing_result", "discount_cents", l.result_discount_cents),
		f("pricing_result", "tax_cents", l.result_tax_cents),
	}
}

// ABIReport is the outcome of comparing one engine with cgo's view of the header.
type ABIReport struct {
	Engine        string // seam_engine_name
	Path          string
	Version       uint32 // seam_abi_version
	HeaderVersion uint32
	Fields        []LayoutField // every compared value (Engine vs Go)
	Skew          []LayoutField // the ones that differ
}

// OK reports whether version and every size and offset agree.
func (r ABIReport) OK() bool { return r.Version == r.HeaderVersion && len(r.Skew) == 0 }

// Problems returns one line per disagreement, naming struct, field and both values.
func (r ABIReport) Problems() []string {
	var out []string
	if r.Version != r.HeaderVersion {
		out = append(out, fmt.Sprintf("abi version: engine=%s says %d, header says %d", r.Engine, r.Version, r.HeaderVersion))
	}
	for _, f := range r.Skew {
		what := "offsetof"
		if f.Field == "sizeof" || f.Field == "alignof" {
			what = f.Field
			out = append(out, fmt.Sprintf("layout skew: %s(%s): engine=%s says %d, Go (cgo) says %d", what, f.Struct, r.Engine, f.Engine, f.Go))
			continue
		}
		out = append(out, fmt.Sprintf("layout skew: %s(%s, %s): engine=%s says %d, Go (cgo) says %d", what, f.Struct, f.Field, r.Engine, f.Engine, f.Go))
	}
	return out
}

// CheckABI compares the engine's seam_abi_version and seam_layout with the header constant and
// cgo's layout. The engine writes into a block larger than the struct, so an engine built
// against a bigger seam_layout_info cannot scribble over Go memory.
func CheckABI(e *Engine) ABIReport {
	blk, err := e.mem.Alloc(4096)
	must(err)
	defer e.mem.Free(blk)
	clear(blk.Bytes())
	C.t_layout(e.t, (*C.seam_layout_info)(blk.Ptr))
	got := *(*C.seam_layout_info)(blk.Ptr)
	r := ABIReport{Engine: e.Name(), Path: e.Path, Version: e.ABIVersion(), HeaderVersion: HeaderABIVersion}
	want := layoutFields(GoLayout())
	for i, f := range layoutFields(got) {
		f.Go = want[i].Engine
		r.Fields = append(r.Fields, f)
		if f.Engine != f.Go {
			r.Skew = append(r.Skew, f)
		}
	}
	return r
}
