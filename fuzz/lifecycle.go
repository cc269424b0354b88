// Fuzz target "lifecycle": a sequence of operations decoded from the bytes (new, load, quote,
// describe, export, free, reuse) over a small pool of handles, so bugs that need a particular
// history (use after reload, free after a failed load, repeated alloc/free) are reachable.
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzLifecycle$' -fuzztime=1m      (or: seam fuzz -target lifecycle)
package fuzz

import (
	"fmt"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
)

var lifecycleTarget = register(Target{
	Name: "lifecycle", FuzzFunc: "FuzzLifecycle", one: fuzzLifecycle,
	Seeds: [][]byte{{}, []byte("\x00\x01\x02\x03\x04\x05\x06\x00\x01\x02"), []byte("lifecycle 1,0,1000,825 HALF")},
})

const (
	opNew = iota
	opLoad
	opQuote
	opDescribe
	opExport
	opFree
	opReuse
	opCount
)

var opNames = [opCount]string{"new", "load", "quote", "describe", "export", "free", "reuse"}

// Weights favour the operations that change state, so histories get long enough to matter.
var opWeights = []int{opNew: 3, opLoad: 4, opQuote: 4, opDescribe: 2, opExport: 2, opFree: 2, opReuse: 2}

const maxHandles, maxOps = 4, 64

func fuzzLifecycle(e *engine.Engine, data []byte) error {
	g := gen.New(data)
	var pool []*engine.Rules
	defer func() {
		for _, r := range pool {
			r.Free()
		}
	}()
	pick := func() *engine.Rules { return pool[g.Choose(len(pool))] }
	for step := 0; step < maxOps && g.More(); step++ {
		op := g.Op(opWeights)
		if len(pool) == 0 && op != opNew {
			op = opNew
		}
		var err error
		switch op {
		case opNew:
			if len(pool) < maxHandles {
				var r *engine.Rules
				if r, err = mustNew(e); err == nil {
					pool = append(pool, r)
				}
			}
		case opLoad:
			text := rulesText(g)
			err = expectOneOf("pricing_rules_load", pick().Load(text), loadAllowed(text)...)
		case opQuote:
			err = checkQuote(e, pick(), quoteArgs(g), false)
		case opDescribe:
			err = checkDescribe(pick(), g.Uint32(1, engine.MaxRegionID), g)
		case opExport:
			_, st := pick().Export()
			err = expectOneOf("pricing_rules_export", st, engine.OK)
		case opFree:
			i := g.Choose(len(pool))
			pool[i].Free()
			pool = append(pool[:i], pool[i+1:]...)
		case opReuse:
			r := pick()
			if st := r.Load(engine.Null(0)); st != engine.OK {
				err = contract("pricing_rules_load", "status", "empty rule set refused", "reloading an empty rule set returned %v", st)
			} else if _, st := r.Quote(engine.NewRequest(1, 100, 1, 0)); st != engine.NoRule {
				err = contract("pricing_quote", "status", "stale rules after reload", "after loading an empty rule set returned %v, want SEAM_NO_RULE", st)
			} else {
				err = expectOneOf("pricing_rules_load", r.Load(engine.Bytes([]byte(RefRules))), engine.OK)
			}
		}
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", step, opNames[op], err)
		}
	}
	return nil
}
