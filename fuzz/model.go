package fuzz

// Only the pricing stress workload (workload.go, stressop/stressbatch) uses this file: it goes
// when that workload moves to package loadgen.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seamfuzz/seam/engine"
)

// The spec model: what the header says a status must be, and the exact arithmetic, in Go. It
// lets a single engine be checked without a second one (the differential target compares two).

// Rule is one pricing rule as an engine describes it.
type Rule struct {
	Tier, DiscountBP, TaxBP uint32
	Code                    string
	ExtraBP                 uint32
}

// roundHalfEven divides n >= 0 by 10000 with banker's rounding, as the header specifies.
func roundHalfEven(n int64) int64 {
	q, r := n/10000, n%10000
	if r > 5000 || (r == 5000 && q%2 == 1) {
		q++
	}
	return q
}

// Price is the header's arithmetic.
func Price(rule Rule, subtotal int64, coupon []byte) engine.Result {
	discount := roundHalfEven(subtotal * discountBP(rule, coupon))
	taxable := subtotal - discount
	tax := roundHalfEven(taxable * int64(rule.TaxBP))
	return engine.Result{FinalPriceCents: taxable + tax, DiscountCents: discount, TaxCents: tax}
}

func discountBP(rule Rule, coupon []byte) int64 {
	bp := int64(rule.DiscountBP)
	if len(coupon) > 0 && rule.Code != "" && string(coupon) == rule.Code {
		bp += int64(rule.ExtraBP)
	}
	return min(bp, int64(engine.MaxBP))
}

// QuoteInputStatus is the status the header requires for a quote's arguments alone:
// SEAM_BAD_INPUT for any invalid argument, else SEAM_OK (meaning "valid; OK or NO_RULE
// depending on the rules"). Busy is not modelled: targets do not share handles across threads.
func QuoteInputStatus(a engine.QuoteArgs, nullRules bool) engine.Status {
	q := a.Req
	switch {
	case nullRules, a.NullReq, a.NullOut:
		return engine.BadInput
	case q.StructSize != engine.RequestSize, a.ResultStructSize != engine.ResultSize:
		return engine.BadInput
	case q.ItemCount < 1 || q.ItemCount > engine.MaxItemCount:
		return engine.BadInput
	case q.SubtotalCents < 0 || q.SubtotalCents > engine.MaxSubtotalCents:
		return engine.BadInput
	case q.RegionID > engine.MaxRegionID, q.CustomerTier >= engine.TierCount:
		return engine.BadInput
	case q.Coupon.Null && q.Coupon.Len > 0:
		return engine.BadInput
	case !q.Coupon.Null && (len(q.Coupon.Data) > engine.MaxCouponLen || !utf8.Valid(q.Coupon.Data)):
		return engine.BadInput
	}
	return engine.OK
}

// ParseDescription parses describe output; a line that does not follow the header's format is
// an error (and a finding: describe's format is part of the contract).
func ParseDescription(b []byte) ([]Rule, error) {
	var rules []Rule
	text := string(b)
	if text == "" {
		return nil, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("describe output does not end with a newline: %q", clip(text))
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		var r Rule
		fields := strings.Split(line, " ")
		if len(fields) != 3 && len(fields) != 5 {
			return nil, fmt.Errorf("describe line has %d fields: %q", len(fields), line)
		}
		want := []string{"tier", "discount_bp", "tax_bp", "coupon", "extra_bp"}
		for i, f := range fields {
			k, v, ok := strings.Cut(f, "=")
			if !ok || k != want[i] {
				return nil, fmt.Errorf("describe field %d is %q, want %s=...: %q", i, f, want[i], line)
			}
			if k == "coupon" {
				r.Code = v
				continue
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || (len(v) > 1 && v[0] == '0') {
				return nil, fmt.Errorf("describe %s=%q is not a canonical number: %q", k, v, line)
			}
			switch k {
			case "tier":
				r.Tier = uint32(n)
			case "discount_bp":
				r.DiscountBP = uint32(n)
			case "tax_bp":
				r.TaxBP = uint32(n)
			case "extra_bp":
				r.ExtraBP = uint32(n)
			}
		}
		if len(rules) > 0 && r.Tier <= rules[len(rules)-1].Tier {
			return nil, fmt.Errorf("describe tiers not ascending: %q", text)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
