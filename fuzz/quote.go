// Fuzz target "quote": a request struct filled with adversarial values for every field, priced
// against generated rules, checked against the header's status rules and exact arithmetic.
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzQuote$' -fuzztime=1m      (or: seam fuzz -target quote)
package fuzz

import (
	"fmt"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
)

var quoteTarget = register(Target{
	Name: "quote", FuzzFunc: "FuzzQuote", one: fuzzQuote,
	Seeds: [][]byte{{}, []byte("\x00\x00\x00\x00\x00\x00\x00\x00"), []byte("SAVE10 1,1,1500,825,SAVE10:1000")},
})

func fuzzQuote(e *engine.Engine, data []byte) error {
	g := gen.New(data)
	r, err := rulesFromFuzz(e, g)
	if err != nil {
		return err
	}
	defer r.Free()
	for n := 1 + g.Choose(4); n > 0; n-- {
		if err := checkQuote(e, r, quoteArgs(g), g.Choose(32) == 0); err != nil {
			return err
		}
	}
	return nil
}

// checkQuote prices one request and holds the result to the spec model.
func checkQuote(e *engine.Engine, r *engine.Rules, a engine.QuoteArgs, nullRules bool) error {
	h := r
	if nullRules {
		h = e.NullRules()
	}
	res, st := h.QuoteWith(a)
	if QuoteInputStatus(a, nullRules) == engine.BadInput {
		if st != engine.BadInput {
			return contract("pricing_quote", "status", "invalid input accepted", "returned %v for %s; the header requires SEAM_BAD_INPUT", st, describeArgs(a, nullRules))
		}
		return nil
	}
	desc, dst := r.DescribeAll(a.Req.RegionID)
	var rule *Rule
	if dst == engine.OK {
		rules, err := ParseDescription(desc)
		if err != nil {
			return contract("pricing_rules_describe", "text", "format differs from the header", "%v", err)
		}
		for i := range rules {
			if rules[i].Tier == a.Req.CustomerTier {
				rule = &rules[i]
			}
		}
	} else if dst != engine.NoRule {
		return contract("pricing_rules_describe", "status", "status not allowed", "region %d returned %v", a.Req.RegionID, dst)
	}
	if rule == nil {
		if st != engine.NoRule {
			return contract("pricing_quote", "status", "rule lookup differs from describe", "returned %v for region %d tier %d, which has no rule; want SEAM_NO_RULE", st, a.Req.RegionID, a.Req.CustomerTier)
		}
		return nil
	}
	if st != engine.OK {
		return contract("pricing_quote", "status", "valid request refused", "returned %v for %s", st, describeArgs(a, false))
	}
	if err := checkPrice(res, a, *rule); err != nil {
		return err
	}
	// The same request at the nearest rounding tie: where a rounding rule that is wrong shows.
	edge, ok := RoundingEdge(*rule, a.Req.Coupon.Data, a.Req.SubtotalCents, a.Req.SubtotalCents%2 == 0)
	if !ok || edge == a.Req.SubtotalCents {
		return nil
	}
	a.Req.SubtotalCents = edge
	if res, st = h.QuoteWith(a); st != engine.OK {
		return contract("pricing_quote", "status", "valid request refused", "returned %v for %s", st, describeArgs(a, false))
	}
	return checkPrice(res, a, *rule)
}

// checkPrice holds a valid quote's result to the spec model's arithmetic.
func checkPrice(res engine.Result, a engine.QuoteArgs, rule Rule) error {
	want := Price(rule, a.Req.SubtotalCents, a.Req.Coupon.Data)
	if field, detail, reason, ok := ResultDiff(res, want, "engine", "spec"); ok {
		return contract("pricing_quote", field, reason, "%s for subtotal %d, rule %+v, coupon %q", detail, a.Req.SubtotalCents, rule, a.Req.Coupon.Data)
	}
	return nil
}

func describeArgs(a engine.QuoteArgs, nullRules bool) string {
	q := a.Req
	coupon := fmt.Sprintf("%q", clip(string(q.Coupon.Data)))
	if q.Coupon.Null {
		coupon = fmt.Sprintf("NULL len=%d", q.Coupon.Len)
	}
	return fmt.Sprintf("rules_null=%v req_null=%v out_null=%v struct_size=%d/%d items=%d subtotal=%d region=%d tier=%d coupon=%s",
		nullRules, a.NullReq, a.NullOut, q.StructSize, a.ResultStructSize, q.ItemCount, q.SubtotalCents, q.RegionID, q.CustomerTier, coupon)
}
