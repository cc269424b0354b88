// Package layout is cgo's view of the pricing header's struct layouts as abi.Layout values,
// keyed the way the header reaches them, so abi's tests can prove that an engine's DWARF says
// what the C compiler that builds seam lays out. The layouts come from internal/refheader; this
// package only keys them, apart from abi so that abi itself needs no cgo.
package layout

import (
	"github.com/seamfuzz/seam/abi"
	"github.com/seamfuzz/seam/internal/refheader"
)

// Pricing returns the layouts of pricing_request and pricing_result keyed the way the header
// reaches them: pricing_quote(const pricing_rules *r, const pricing_request *req,
// pricing_result *out), so req is parameter 1 and out parameter 2.
func Pricing() map[abi.Key]abi.Layout {
	all := refheader.Layouts()
	layout := func(name string) abi.Layout {
		l := all[name]
		out := abi.Layout{Name: name, Size: l.Size, Align: l.Align}
		for _, f := range l.Fields {
			out.Fields = append(out.Fields, abi.FieldLayout{Name: f.Name, Offset: f.Offset, Size: f.Size})
		}
		return out
	}
	return map[abi.Key]abi.Layout{
		{Func: "pricing_quote", Param: 1}: layout("pricing_request"),
		{Func: "pricing_quote", Param: 2}: layout("pricing_result"),
	}
}
