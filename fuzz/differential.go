// Fuzz target "differential": the same rules and requests through two engines (the C++ and
// the Rust one by default); any difference in status, quote, description or export bytes is a
// finding with the field, both values and a reason ("rounding drift" for a cent or two).
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzDifferential$' -fuzztime=1m      (or: seam fuzz -target differential)
package fuzz

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
)

var differentialTarget = register(Target{
	Name: "differential", FuzzFunc: "FuzzDifferential", Pair: true, pair: fuzzDifferential,
	Seeds: [][]byte{{}, []byte("\x00\x01\x02\x03"), []byte("diff SAVE10 1,1,1500,825,SAVE10:1000")},
})

func fuzzDifferential(a, b *engine.Engine, data []byte) error {
	g := gen.New(data)
	text := rulesText(g)
	ra, err := mustNew(a)
	if err != nil {
		return err
	}
	defer ra.Free()
	rb, err := mustNew(b)
	if err != nil {
		return err
	}
	defer rb.Free()
	invalidUTF8 := !text.Null && !utf8.Valid(text.Data)
	if err := compareStatus("pricing_rules_load", a, b, ra.Load(text), rb.Load(text), invalidUTF8); err != nil {
		return err
	}
	for n := 1 + g.Choose(4); n > 0; n-- {
		q := quoteArgs(g)
		resA, stA := ra.QuoteWith(q)
		resB, stB := rb.QuoteWith(q)
		bad := !q.Req.Coupon.Null && !utf8.Valid(q.Req.Coupon.Data)
		if err := compareStatus("pricing_quote", a, b, stA, stB, bad); err != nil {
			return err
		}
		if stA == engine.OK {
			if field, detail, reason, ok := ResultDiff(resA, resB, a.Name(), b.Name()); ok {
				return mismatch("pricing_quote", field, reason, "%s for %s", detail, describeArgs(q, false))
			}
		}
		region := q.Req.RegionID
		da, sa := ra.DescribeAll(region)
		db, sb := rb.DescribeAll(region)
		if err := compareStatus(fmt.Sprintf("pricing_rules_describe(region=%d)", region), a, b, sa, sb, false); err != nil {
			return err
		}
		if !bytes.Equal(da, db) {
			return mismatch("pricing_rules_describe", "text", "output bytes differ", "%s=%q %s=%q", a.Name(), clip(string(da)), b.Name(), clip(string(db)))
		}
	}
	ea, sa := ra.Export()
	eb, sb := rb.Export()
	if err := compareStatus("pricing_rules_export", a, b, sa, sb, false); err != nil {
		return err
	}
	if !bytes.Equal(ea, eb) {
		return mismatch("pricing_rules_export", "bytes", "exported bytes differ", "%s=%q %s=%q", a.Name(), clip(string(ea)), b.Name(), clip(string(eb)))
	}
	return nil
}

func compareStatus(op string, a, b *engine.Engine, sa, sb engine.Status, invalidUTF8 bool) error {
	if sa == sb {
		return nil
	}
	reason := "status differs"
	if invalidUTF8 {
		reason = "UTF-8 validation differs"
	}
	return mismatch(op, "status", reason, "%s=%v %s=%v", a.Name(), sa, b.Name(), sb)
}
