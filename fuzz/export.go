// Fuzz target "export": repeated export/seam_bytes_free and new/load/free cycles on generated
// rules; every export must be identical and load back to the same rules.
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzExport$' -fuzztime=1m      (or: seam fuzz -target export)
package fuzz

import (
	"bytes"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
)

var exportTarget = register(Target{
	Name: "export", FuzzFunc: "FuzzExport", one: fuzzExport,
	Seeds: [][]byte{{}, []byte("\x02\x10export"), []byte("1,1,1500,825,SAVE10:1000")},
})

func fuzzExport(e *engine.Engine, data []byte) error {
	g := gen.New(data)
	r, err := rulesFromFuzz(e, g)
	if err != nil {
		return err
	}
	defer r.Free()
	first, st := r.Export()
	if st != engine.OK {
		return contract("pricing_rules_export", "status", "status not allowed", "returned %v", st)
	}
	for n := 1 + g.Choose(32); n > 0; n-- {
		switch g.Choose(4) {
		case 0:
			if err := exportRoundTrip(e, r); err != nil {
				return err
			}
		case 1:
			_, st := r.ExportWith(engine.ExportArgs{NullOut: g.Bool(), NullLen: true})
			if err := expectOneOf("export(out_len=NULL)", st, engine.BadInput); err != nil {
				return err
			}
		default:
			again, st := r.Export()
			if st != engine.OK || !bytes.Equal(first, again) {
				return contract("pricing_rules_export", "bytes", "export not stable", "export #%d (%v) %q vs first %q", n, st, clip(string(again)), clip(string(first)))
			}
		}
	}
	return nil
}
