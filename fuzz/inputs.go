package fuzz

// Only the pricing stress workload (workload.go, stressop/stressbatch) uses this file: it goes
// when that workload moves to package loadgen.

import (
	"fmt"
	"unicode/utf8"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
)

// Shapes of valid pricing inputs the generator mutates, so fuzzing reaches past the parser.
var (
	ruleLines = [][]byte{
		[]byte("1,0,1000,825"), []byte("1,1,1500,825,SAVE10:1000"), []byte("1,2,0,0"),
		[]byte("2,0,250,2000"), []byte("7,0,5000,1000,HALF:5000"), []byte("65535,2,1,1"),
		[]byte("00009,1,10000,10000,ZZ:10000"), []byte("# comment ✓"), []byte(""), []byte("3,2,9999,1"),
		[]byte("4,0,1,9999,ABCDEFGHIJKLMNOPQRSTUVWXYZ012345:1"),
	}
	coupons = [][]byte{[]byte("SAVE10"), []byte("HALF"), []byte("ZZ"), []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345")}
)

// RefRules is the reference rule set (the behaviour table's) used as a seed.
const RefRules = "1,0,1000,825\n1,1,1500,825,SAVE10:1000\n1,2,0,0\n2,0,250,2000\n7,0,5000,1000,HALF:5000\n65535,2,1,1\n"

// rulesText picks a rules text: usually generated from the line shapes, sometimes raw bytes.
func rulesText(g *gen.Gen) engine.In {
	switch g.Choose(4) {
	case 0:
		return engine.Bytes([]byte(RefRules))
	case 1:
		return engine.In(g.Bytes(engine.MaxRulesText))
	default:
		return engine.In(g.Text(ruleFragments, engine.MaxRulesText))
	}
}

// Regions that have rules in the seed rule sets: a request must hit a rule to reach the
// arithmetic.
var ruleRegions = []uint32{1, 2, 7, 9, 65535}

// subtotal picks an adversarial subtotal, or one whose discount or tax lands on exactly half a
// cent (x5 with 10%-multiple rates): where rounding rules differ.
func subtotal(g *gen.Gen) int64 {
	if g.Choose(3) == 0 {
		return int64(g.Choose(1<<20))*10 + 5
	}
	return g.Int64(engine.MaxSubtotalCents)
}

// quoteArgs fills a request from the fuzz bytes with adversarial values for every field.
func quoteArgs(g *gen.Gen) engine.QuoteArgs {
	region := g.Uint32(1, engine.MaxRegionID)
	if g.Bool() {
		region = ruleRegions[g.Choose(len(ruleRegions))]
	}
	a := engine.QuoteArgs{
		Req: engine.Request{
			StructSize:    g.StructSize(engine.RequestSize),
			ItemCount:     g.Uint32(1, engine.MaxItemCount),
			SubtotalCents: subtotal(g),
			RegionID:      region,
			CustomerTier:  g.Enum(engine.TierCount),
			Coupon:        engine.In(g.BytesFrom(engine.MaxCouponLen, coupons)),
		},
		ResultStructSize: g.StructSize(engine.ResultSize),
	}
	switch g.Choose(32) {
	case 0:
		a.NullReq = true
	case 1:
		a.NullOut = true
	}
	return a
}

func mustNew(e *engine.Engine) (*engine.Rules, error) {
	r, st := e.NewRules()
	if st != engine.OK {
		return nil, contract("pricing_rules_new", "status", "status not allowed", "returned %v", st)
	}
	return r, nil
}

// expectOneOf is a finding unless st is one of allowed.
func expectOneOf(op string, st engine.Status, allowed ...engine.Status) error {
	for _, a := range allowed {
		if st == a {
			return nil
		}
	}
	reason := "status not allowed"
	if len(allowed) == 1 && allowed[0] == engine.BadInput {
		reason = "invalid input accepted"
	}
	return contract(op, "status", reason, "returned %v, the header allows only %v", st, allowed)
}

// loadExpectation: the statuses the header allows for loading text.
func loadAllowed(text engine.In) []engine.Status {
	if text.Null {
		if text.Len == 0 {
			return []engine.Status{engine.OK}
		}
		return []engine.Status{engine.BadInput}
	}
	if len(text.Data) > engine.MaxRulesText || !utf8.Valid(text.Data) {
		return []engine.Status{engine.BadInput}
	}
	return []engine.Status{engine.OK, engine.BadInput}
}

// ResultDiff finds the first field where two results differ: its name, the two values and the
// reason. Differences of one or two cents are "rounding drift": the arithmetic rule is not
// followed. ok is false when they are equal.
func ResultDiff(a, b engine.Result, la, lb string) (field, detail, reason string, ok bool) {
	fields := []struct {
		name string
		x, y int64
	}{
		{"final_price_cents", a.FinalPriceCents, b.FinalPriceCents},
		{"discount_cents", a.DiscountCents, b.DiscountCents},
		{"tax_cents", a.TaxCents, b.TaxCents},
	}
	for _, f := range fields {
		if f.x == f.y {
			continue
		}
		reason := "wrong value"
		if d := f.x - f.y; d >= -2 && d <= 2 {
			reason = "rounding drift"
		}
		return f.name, fmt.Sprintf("%s=%d %s=%d", la, f.x, lb, f.y), reason, true
	}
	return "", "", "", false
}

// describeArgs prints a quote's arguments for a finding.
func describeArgs(a engine.QuoteArgs, nullRules bool) string {
	q := a.Req
	coupon := fmt.Sprintf("%q", clip(string(q.Coupon.Data)))
	if q.Coupon.Null {
		coupon = fmt.Sprintf("NULL len=%d", q.Coupon.Len)
	}
	return fmt.Sprintf("rules_null=%v req_null=%v out_null=%v struct_size=%d/%d items=%d subtotal=%d region=%d tier=%d coupon=%s",
		nullRules, a.NullReq, a.NullOut, q.StructSize, a.ResultStructSize, q.ItemCount, q.SubtotalCents, q.RegionID, q.CustomerTier, coupon)
}
