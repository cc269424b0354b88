// Package cheader is cgo's view of the pricing header's struct layouts, as abi.Layout
// values: what the C compiler that builds seam lays out, so abi's tests can prove that an
// engine's DWARF says the same. It lives apart from abi so that abi itself needs no cgo.
package cheader

/*
#cgo CFLAGS: -I${SRCDIR}/../../../native/pricing/include
#include "seam_pricing.h"
*/
import "C"

import (
	"unsafe"

	"github.com/seamfuzz/seam/abi"
)

// Pricing returns the layouts of pricing_request and pricing_result keyed the way the header
// reaches them: pricing_quote(const pricing_rules *r, const pricing_request *req,
// pricing_result *out), so req is parameter 1 and out parameter 2.
func Pricing() map[abi.Key]abi.Layout {
	var rq C.pricing_request
	var rs C.pricing_result
	return map[abi.Key]abi.Layout{
		{Func: "pricing_quote", Param: 1}: {
			Name: "pricing_request", Size: int64(unsafe.Sizeof(rq)), Align: int64(unsafe.Alignof(rq)),
			Fields: []abi.FieldLayout{
				field("struct_size", unsafe.Offsetof(rq.struct_size), unsafe.Sizeof(rq.struct_size)),
				field("item_count", unsafe.Offsetof(rq.item_count), unsafe.Sizeof(rq.item_count)),
				field("subtotal_cents", unsafe.Offsetof(rq.subtotal_cents), unsafe.Sizeof(rq.subtotal_cents)),
				field("region_id", unsafe.Offsetof(rq.region_id), unsafe.Sizeof(rq.region_id)),
				field("customer_tier", unsafe.Offsetof(rq.customer_tier), unsafe.Sizeof(rq.customer_tier)),
				field("coupon", unsafe.Offsetof(rq.coupon), unsafe.Sizeof(rq.coupon)),
				field("coupon_len", unsafe.Offsetof(rq.coupon_len), unsafe.Sizeof(rq.coupon_len)),
			},
		},
		{Func: "pricing_quote", Param: 2}: {
			Name: "pricing_result", Size: int64(unsafe.Sizeof(rs)), Align: int64(unsafe.Alignof(rs)),
			Fields: []abi.FieldLayout{
				field("struct_size", unsafe.Offsetof(rs.struct_size), unsafe.Sizeof(rs.struct_size)),
				field("final_price_cents", unsafe.Offsetof(rs.final_price_cents), unsafe.Sizeof(rs.final_price_cents)),
				field("discount_cents", unsafe.Offsetof(rs.discount_cents), unsafe.Sizeof(rs.discount_cents)),
				field("tax_cents", unsafe.Offsetof(rs.tax_cents), unsafe.Sizeof(rs.tax_cents)),
			},
		},
	}
}

func field(name string, off, size uintptr) abi.FieldLayout {
	return abi.FieldLayout{Name: name, Offset: int64(off), Size: int64(size)}
}
