// Fuzz target "describe": buffer capacities around the needed size (0, one short, exact, one
// over), NULL buffers and NULL *needed; the output buffer is exact-size, so a write past cap is
// a sanitizer report or a guard-page fault.
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzDescribe$' -fuzztime=1m      (or: seam fuzz -target describe)
package fuzz

import (
	"fmt"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
)

var describeTarget = register(Target{
	Name: "describe", FuzzFunc: "FuzzDescribe", one: fuzzDescribe,
	Seeds: [][]byte{{}, []byte("\x01\x00\x01\x00\x00\x00"), []byte("describe 1,1,1500,825,SAVE10:1000")},
})

func fuzzDescribe(e *engine.Engine, data []byte) error {
	g := gen.New(data)
	r, err := rulesFromFuzz(e, g)
	if err != nil {
		return err
	}
	defer r.Free()
	for n := 1 + g.Choose(3); n > 0; n-- {
		if err := checkDescribe(r, g.Uint32(1, engine.MaxRegionID), g); err != nil {
			return err
		}
	}
	return nil
}

func checkDescribe(r *engine.Rules, region uint32, g *gen.Gen) error {
	_, needed, st := r.Describe(engine.DescribeArgs{Region: region, Cap: 0, NullBuf: g.Bool()})
	if region > engine.MaxRegionID {
		return expectOneOf(fmt.Sprintf("describe(region=%d)", region), st, engine.BadInput)
	}
	switch {
	case st == engine.NoRule && needed == 0:
		return nil
	case st == engine.BadInput && needed > 0:
	case st == engine.OK && needed == 0:
		return contract("pricing_rules_describe", "status", "status not allowed", "region=%d cap=0 returned SEAM_OK with needed=0; a region without rules is SEAM_NO_RULE", region)
	default:
		return contract("pricing_rules_describe", "status", "status not allowed", "region=%d cap=0 returned %v with needed=%d", region, st, needed)
	}
	c := g.Cap(needed)
	nullNeeded := g.Choose(16) == 0
	text, n2, st := r.Describe(engine.DescribeArgs{Region: region, Cap: c, NullNeeded: nullNeeded})
	if nullNeeded {
		return expectOneOf("describe(needed=NULL)", st, engine.BadInput)
	}
	if n2 != needed {
		return contract("pricing_rules_describe", "needed", "needed not stable", "region=%d: %d with cap 0 but %d with cap %d", region, needed, n2, c)
	}
	if c < needed {
		return expectOneOf(fmt.Sprintf("describe(cap=%d < needed=%d)", c, needed), st, engine.BadInput)
	}
	if st != engine.OK || len(text) != needed {
		return contract("pricing_rules_describe", "status", "large enough buffer refused", "region=%d cap=%d >= needed=%d returned %v with %d bytes", region, c, needed, st, len(text))
	}
	if _, err := ParseDescription(text); err != nil {
		return contract("pricing_rules_describe", "text", "format differs from the header", "%v", err)
	}
	return nil
}
