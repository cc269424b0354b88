// Package spec is the pricing boundary's model of what its contract cannot declare
// (derive.Spec): the rules text grammar, the exact arithmetic of seam_pricing.h, the
// description and export formats. With it a single engine is checked to the cent without a
// second one to compare with. The contract names this package (spec:); a binary that runs
// pricing's targets links it with `import _ "github.com/seamfuzz/seam/native/pricing/spec"`.
package spec

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
)

func init() { derive.RegisterSpec("pricing", Model{}) }

// The header's limits (seam_pricing.h).
const (
	maxRegion   = 65535
	tierCount   = 3
	maxBP       = 10000
	maxCoupon   = 32
	maxText     = 65536
	maxLine     = 256
	maxRules    = 1024
	roundDivide = 10000
)

// Reasons of the model's findings.
const (
	ReasonGrammar       = "rules grammar differs from the header"
	ReasonLookup        = "rule lookup differs from the rules loaded"
	ReasonRoundingDrift = "rounding drift"
	ReasonWrongValue    = "wrong value"
	ReasonDescription   = "description differs from the header"
	ReasonExport        = "export differs from the header"
)

// Model checks pricing calls against the header. It holds no state: a handle's rules are
// the last text loaded into it successfully, read from the call's history.
type Model struct{}

// Check implements derive.Spec. Calls that break a precondition were judged by the contract,
// and busy or internal are not the model's to predict.
func (Model) Check(c derive.Call) error {
	if len(c.Broken) > 0 || c.Result.Status == "busy" || c.Result.Status == "internal" {
		return nil
	}
	switch c.Func {
	case "pricing_rules_load":
		return checkLoad(c)
	case "pricing_quote":
		return checkQuote(c)
	case "pricing_rules_describe":
		return checkDescribe(c)
	case "pricing_rules_export":
		return checkExport(c)
	}
	return nil
}

// Rule is one rule of a rule set.
type Rule struct {
	DiscountBP, TaxBP, ExtraBP int64
	Code                       string
}

// Key is a rule's (region, tier).
type Key struct{ Region, Tier int64 }

// Rules is a parsed rule set.
type Rules map[Key]Rule

// rulesOf is the rule set handle h holds at call c: the last text loaded into it with ok (a
// failed load keeps the old rules), empty when none was.
func rulesOf(c derive.Call, h *boundary.Handle) Rules {
	load := c.Last("pricing_rules_load", h, "ok")
	if load == nil {
		return Rules{}
	}
	rules, err := Parse(load.Args["text"].Bytes)
	if err != nil {
		return Rules{} // checkLoad reported the load already
	}
	return rules
}

func checkLoad(c derive.Call) error {
	text := c.Args["text"]
	_, err := Parse(text.Bytes)
	want := "ok"
	if err != nil {
		want = "bad_input"
	}
	if c.Result.Status != want {
		why := "the text follows the grammar"
		if err != nil {
			why = err.Error()
		}
		return derive.Breach(c.Func, "text", ReasonGrammar, "returned %s, the header says %s (%s) for %q", c.Result.Status, want, why, clip(text.Bytes))
	}
	return nil
}

func checkQuote(c derive.Call) error {
	req := c.Args["req"].Fields
	key := Key{Region: req["region_id"].Int, Tier: req["customer_tier"].Int}
	rule, ok := rulesOf(c, c.Handle("r"))[key]
	want := "no_rule"
	if ok {
		want = "ok"
	}
	if c.Result.Status != want {
		return derive.Breach(c.Func, "status", ReasonLookup, "returned %s for region %d tier %d, want %s", c.Result.Status, key.Region, key.Tier, want)
	}
	if !ok {
		return nil
	}
	final, discount, tax := Price(rule, req["subtotal_cents"].Int, req["coupon"].Bytes)
	got := c.Result.Out["out"].Fields
	for _, f := range []struct {
		name string
		want int64
	}{{"final_price_cents", final}, {"discount_cents", discount}, {"tax_cents", tax}} {
		if g := got[f.name].Int; g != f.want {
			reason := ReasonWrongValue
			if d := g - f.want; d >= -2 && d <= 2 {
				reason = ReasonRoundingDrift
			}
			return derive.Breach(c.Func, "out."+f.name, reason, "engine=%d spec=%d for subtotal %d, rule %+v, coupon %q", g, f.want, req["subtotal_cents"].Int, rule, req["coupon"].Bytes)
		}
	}
	return nil
}

func checkDescribe(c derive.Call) error {
	region := c.Args["region"].Int
	want := Describe(rulesOf(c, c.Handle("r")), region)
	if needed, set := c.Result.Out["needed"]; set && needed.Int != int64(len(want)) {
		return derive.Breach(c.Func, "needed", ReasonDescription, "needed=%d, the description of region %d is %d bytes: %q", needed.Int, region, len(want), want)
	}
	status := "ok"
	switch capacity := c.Args["buf"].Int; {
	case len(want) == 0:
		status = "no_rule"
	case c.Args["buf"].Null:
		// NULL is fine with cap 0 (a size query), which is then too small.
		if capacity = c.Args["cap"].Int; uint64(capacity) < uint64(len(want)) {
			status = "bad_input"
		}
	case uint64(capacity) < uint64(len(want)):
		status = "bad_input"
	}
	if c.Result.Status != status {
		return derive.Breach(c.Func, "status", ReasonLookup, "returned %s for region %d, want %s", c.Result.Status, region, status)
	}
	if buf := c.Result.Out["buf"].Bytes; status == "ok" && len(buf) >= len(want) && !bytes.Equal(buf[:len(want)], want) {
		return derive.Breach(c.Func, "buf", ReasonDescription, "engine %q, header %q", clip(buf[:len(want)]), want)
	}
	return nil
}

func checkExport(c derive.Call) error {
	if c.Result.Status != "ok" {
		return derive.Breach(c.Func, "status", ReasonExport, "returned %s; export fails only on allocation failure", c.Result.Status)
	}
	want := Export(rulesOf(c, c.Handle("r")))
	got := c.Result.Out["out"]
	if len(want) == 0 && !got.Null {
		return derive.Breach(c.Func, "out", ReasonExport, "an empty rule set exported %q, the header says NULL", clip(got.Bytes))
	}
	if !bytes.Equal(got.Bytes, want) {
		return derive.Breach(c.Func, "out", ReasonExport, "engine %q, header %q", clip(got.Bytes), clip(want))
	}
	return nil
}

// Parse reads rules text by the header's grammar.
func Parse(text []byte) (Rules, error) {
	if len(text) > maxText {
		return nil, fmt.Errorf("longer than SEAM_MAX_RULES_TEXT")
	}
	if !utf8.Valid(text) {
		return nil, fmt.Errorf("not valid UTF-8")
	}
	rules := Rules{}
	count := 0
	for rest := text; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r")) // one '\r' before '\n' or at the end
		if len(line) > maxLine {
			return nil, fmt.Errorf("a line is longer than SEAM_MAX_LINE_LEN")
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if count++; count > maxRules {
			return nil, fmt.Errorf("more than SEAM_MAX_RULES rules")
		}
		key, rule, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %q", err, line)
		}
		if _, dup := rules[key]; dup {
			return nil, fmt.Errorf("region %d tier %d twice", key.Region, key.Tier)
		}
		rules[key] = rule
	}
	return rules, nil
}

func parseLine(line []byte) (Key, Rule, error) {
	fields := bytes.Split(line, []byte(","))
	if len(fields) != 4 && len(fields) != 5 {
		return Key{}, Rule{}, fmt.Errorf("%d fields", len(fields))
	}
	var nums [4]int64
	limits := [4]int64{maxRegion, tierCount - 1, maxBP, maxBP}
	for i := range nums {
		n, ok := number(fields[i], limits[i])
		if !ok {
			return Key{}, Rule{}, fmt.Errorf("field %d is not a number in range", i+1)
		}
		nums[i] = n
	}
	rule := Rule{DiscountBP: nums[2], TaxBP: nums[3]}
	if len(fields) == 5 {
		code, extra, ok := bytes.Cut(fields[4], []byte(":"))
		if !ok || len(code) == 0 || len(code) > maxCoupon || bytes.ContainsFunc(code, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) {
			return Key{}, Rule{}, fmt.Errorf("coupon is not CODE:extra_bp")
		}
		if rule.ExtraBP, ok = number(extra, maxBP); !ok {
			return Key{}, Rule{}, fmt.Errorf("extra_bp is not a number in range")
		}
		rule.Code = string(code)
	}
	return Key{Region: nums[0], Tier: nums[1]}, rule, nil
}

// number reads 1 to 5 ASCII digits (leading zeros allowed) up to max.
func number(b []byte, max int64) (int64, bool) {
	if len(b) < 1 || len(b) > 5 {
		return 0, false
	}
	var v int64
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		v = v*10 + int64(d-'0')
	}
	return v, v <= max
}

// RoundHalfEven divides n >= 0 by 10000, rounding half to even (the header's round()).
func RoundHalfEven(n int64) int64 {
	q, r := n/roundDivide, n%roundDivide
	if r > roundDivide/2 || (r == roundDivide/2 && q%2 == 1) {
		q++
	}
	return q
}

// Price is the header's arithmetic for a valid request.
func Price(rule Rule, subtotal int64, coupon []byte) (final, discount, tax int64) {
	bp := rule.DiscountBP
	if len(coupon) > 0 && rule.Code != "" && string(coupon) == rule.Code {
		bp += rule.ExtraBP
	}
	discount = RoundHalfEven(subtotal * min(bp, maxBP))
	taxable := subtotal - discount
	tax = RoundHalfEven(taxable * rule.TaxBP)
	return taxable + tax, discount, tax
}

func sortedKeys(rules Rules) []Key {
	keys := make([]Key, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Region != keys[j].Region {
			return keys[i].Region < keys[j].Region
		}
		return keys[i].Tier < keys[j].Tier
	})
	return keys
}

// Describe is the header's description of a region's rules (empty when it has none).
func Describe(rules Rules, region int64) []byte {
	var b []byte
	for _, k := range sortedKeys(rules) {
		if k.Region != region {
			continue
		}
		r := rules[k]
		b = fmt.Appendf(b, "tier=%d discount_bp=%d tax_bp=%d", k.Tier, r.DiscountBP, r.TaxBP)
		if r.Code != "" {
			b = fmt.Appendf(b, " coupon=%s extra_bp=%d", r.Code, r.ExtraBP)
		}
		b = append(b, '\n')
	}
	return b
}

// Export is the header's canonical rules text of a rule set (empty for an empty set).
func Export(rules Rules) []byte {
	var b []byte
	for _, k := range sortedKeys(rules) {
		r := rules[k]
		b = fmt.Appendf(b, "%d,%d,%d,%d", k.Region, k.Tier, r.DiscountBP, r.TaxBP)
		if r.Code != "" {
			b = fmt.Appendf(b, ",%s:%d", r.Code, r.ExtraBP)
		}
		b = append(b, '\n')
	}
	return b
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:60]) + "...(" + strconv.Itoa(len(b)) + " bytes)"
	}
	return string(b)
}
