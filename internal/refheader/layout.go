package refheader

/*
#cgo CFLAGS: -I${SRCDIR}/../../native/pricing/include -I${SRCDIR}/../../native/tally/include
#include "seam_pricing.h"
#include "tally.h"
*/
import "C"

import "unsafe"

// Layout is a struct's layout as cgo (that is, gcc) gives it.
type Layout struct {
	Size, Align int64
	// Fields holds the offset and size of every field, in declaration order.
	Fields []FieldLayout
}

// FieldLayout is one field of a Layout.
type FieldLayout struct {
	Name         string
	Offset, Size int64
}

func f(name string, off, size uintptr) FieldLayout {
	return FieldLayout{Name: name, Offset: int64(off), Size: int64(size)}
}

// Layouts returns the layout of every struct of both reference headers, by
// typedef name. Each field is named here by hand, so a field the header
// gains or loses fails the comparison instead of passing unseen.
func Layouts() map[string]Layout {
	var req C.pricing_request
	var res C.pricing_result
	var li C.seam_layout_info
	var opts C.tally_options
	var ent C.tally_entry
	return map[string]Layout{
		"pricing_request": {int64(unsafe.Sizeof(req)), int64(unsafe.Alignof(req)), []FieldLayout{
			f("struct_size", unsafe.Offsetof(req.struct_size), unsafe.Sizeof(req.struct_size)),
			f("item_count", unsafe.Offsetof(req.item_count), unsafe.Sizeof(req.item_count)),
			f("subtotal_cents", unsafe.Offsetof(req.subtotal_cents), unsafe.Sizeof(req.subtotal_cents)),
			f("region_id", unsafe.Offsetof(req.region_id), unsafe.Sizeof(req.region_id)),
			f("customer_tier", unsafe.Offsetof(req.customer_tier), unsafe.Sizeof(req.customer_tier)),
			f("coupon", unsafe.Offsetof(req.coupon), unsafe.Sizeof(req.coupon)),
			f("coupon_len", unsafe.Offsetof(req.coupon_len), unsafe.Sizeof(req.coupon_len)),
		}},
		"pricing_result": {int64(unsafe.Sizeof(res)), int64(unsafe.Alignof(res)), []FieldLayout{
			f("struct_size", unsafe.Offsetof(res.struct_size), unsafe.Sizeof(res.struct_size)),
			f("final_price_cents", unsafe.Offsetof(res.final_price_cents), unsafe.Sizeof(res.final_price_cents)),
			f("discount_cents", unsafe.Offsetof(res.discount_cents), unsafe.Sizeof(res.discount_cents)),
			f("tax_cents", unsafe.Offsetof(res.tax_cents), unsafe.Sizeof(res.tax_cents)),
		}},
		"seam_layout_info": {int64(unsafe.Sizeof(li)), int64(unsafe.Alignof(li)), []FieldLayout{
			f("layout_size", unsafe.Offsetof(li.layout_size), unsafe.Sizeof(li.layout_size)),
			f("request_size", unsafe.Offsetof(li.request_size), unsafe.Sizeof(li.request_size)),
			f("request_align", unsafe.Offsetof(li.request_align), unsafe.Sizeof(li.request_align)),
			f("request_struct_size", unsafe.Offsetof(li.request_struct_size), unsafe.Sizeof(li.request_struct_size)),
			f("request_item_count", unsafe.Offsetof(li.request_item_count), unsafe.Sizeof(li.request_item_count)),
			f("request_subtotal_cents", unsafe.Offsetof(li.request_subtotal_cents), unsafe.Sizeof(li.request_subtotal_cents)),
			f("request_region_id", unsafe.Offsetof(li.request_region_id), unsafe.Sizeof(li.request_region_id)),
			f("request_customer_tier", unsafe.Offsetof(li.request_customer_tier), unsafe.Sizeof(li.request_customer_tier)),
			f("request_coupon", unsafe.Offsetof(li.request_coupon), unsafe.Sizeof(li.request_coupon)),
			f("request_coupon_len", unsafe.Offsetof(li.request_coupon_len), unsafe.Sizeof(li.request_coupon_len)),
			f("result_size", unsafe.Offsetof(li.result_size), unsafe.Sizeof(li.result_size)),
			f("result_align", unsafe.Offsetof(li.result_align), unsafe.Sizeof(li.result_align)),
			f("result_struct_size", unsafe.Offsetof(li.result_struct_size), unsafe.Sizeof(li.result_struct_size)),
			f("result_final_price_cents", unsafe.Offsetof(li.result_final_price_cents), unsafe.Sizeof(li.result_final_price_cents)),
			f("result_discount_cents", unsafe.Offsetof(li.result_discount_cents), unsafe.Sizeof(li.result_discount_cents)),
			f("result_tax_cents", unsafe.Offsetof(li.result_tax_cents), unsafe.Sizeof(li.result_tax_cents)),
		}},
		"tally_options": {int64(unsafe.Sizeof(opts)), int64(unsafe.Alignof(opts)), []FieldLayout{
			f("struct_size", unsafe.Offsetof(opts.struct_size), unsafe.Sizeof(opts.struct_size)),
			f("mode", unsafe.Offsetof(opts.mode), unsafe.Sizeof(opts.mode)),
			f("flags", unsafe.Offsetof(opts.flags), unsafe.Sizeof(opts.flags)),
			f("min_len", unsafe.Offsetof(opts.min_len), unsafe.Sizeof(opts.min_len)),
		}},
		"tally_entry": {int64(unsafe.Sizeof(ent)), int64(unsafe.Alignof(ent)), []FieldLayout{
			f("count", unsafe.Offsetof(ent.count), unsafe.Sizeof(ent.count)),
			f("token_len", unsafe.Offsetof(ent.token_len), unsafe.Sizeof(ent.token_len)),
			f("token", unsafe.Offsetof(ent.token), unsafe.Sizeof(ent.token)),
		}},
	}
}
