// Fuzz target "rules": raw bytes straight into pricing_rules_load (the parser), then the
// export round trip for whatever loaded.
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzRules$' -fuzztime=1m      (or: seam fuzz -target rules)
package fuzz

import (
	"bytes"

	"github.com/seamfuzz/seam/engine"
)

var rulesTarget = register(Target{
	Name: "rules", FuzzFunc: "FuzzRules", one: fuzzRules,
	Seeds: [][]byte{[]byte(RefRules), {}, []byte("1,0,0,0"), []byte("#\xff\n"), []byte("1,0,0,0,A:1\r\n2,1,2,2\r")},
})

func fuzzRules(e *engine.Engine, data []byte) error {
	r, err := mustNew(e)
	if err != nil {
		return err
	}
	defer r.Free()
	text := engine.Bytes(data)
	st := r.Load(text)
	if err := expectOneOf("pricing_rules_load", st, loadAllowed(text)...); err != nil {
		return err
	}
	if st != engine.OK {
		return nil
	}
	return exportRoundTrip(e, r)
}

// exportRoundTrip: exporting, loading the export into a new handle and exporting again must
// give the same bytes (the header: "loading the export gives the same rules").
func exportRoundTrip(e *engine.Engine, r *engine.Rules) error {
	out, st := r.Export()
	if st != engine.OK {
		return contract("pricing_rules_export", "status", "status not allowed", "after a successful load returned %v", st)
	}
	r2, err := mustNew(e)
	if err != nil {
		return err
	}
	defer r2.Free()
	if st := r2.Load(engine.Bytes(out)); st != engine.OK {
		return contract("pricing_rules_load", "status", "export does not load", "loading the export returned %v: %q", st, clip(string(out)))
	}
	again, st := r2.Export()
	if st != engine.OK || !bytes.Equal(out, again) {
		return contract("pricing_rules_export", "bytes", "export round trip differs", "(%v) %q then %q", st, clip(string(out)), clip(string(again)))
	}
	return nil
}
