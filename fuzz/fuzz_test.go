package fuzz

import (
	"os"
	"testing"

	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// TestMain: load the variant's sanitizer runtime (re-executing if needed), serve child jobs,
// and, in a go test -fuzz worker, keep stderr: Go discards a worker's stderr, and with it the
// sanitizer report of every native crash.
func TestMain(m *testing.M) {
	if err := sanrt.Ensure(sanrt.For(Variant())); err != nil {
		os.Stderr.WriteString("seam fuzz tests: " + err.Error() + "\n")
		os.Exit(2)
	}
	isolate.ServeIfChild()
	CaptureWorkerOutput()
	os.Exit(m.Run())
}

// FuzzContract runs the contract target SEAM_TARGET of SEAM_CONTRACT (see ContractTarget):
//
//	SEAM_CONTRACT=$PWD/../native/tally/contract.yaml SEAM_TARGET=tally_top \
//	  SEAM_ENGINES=cpp,mutant:rust-split-token go test -run '^$' -fuzz '^FuzzContract$' ./fuzz
func FuzzContract(f *testing.F) {
	if os.Getenv(EnvContract) == "" {
		f.Skip("set SEAM_CONTRACT and SEAM_TARGET to fuzz a target derived from a contract")
	}
	// The target's regression corpus seeds it (and plain `go test` replays it).
	name, err := ContractCorpusTarget()
	if err != nil {
		f.Fatalf("%v", err)
	}
	seeds, err := CorpusInputs(name)
	if err != nil {
		f.Fatalf("corpus for %s: %v", name, err)
	}
	for _, s := range seeds {
		f.Add(s.Data)
	}
	f.Fuzz(func(tt *testing.T, data []byte) {
		t, engines, err := ContractTarget()
		if err != nil {
			tt.Fatalf("%v", err)
		}
		if err := guard(data, func(in []byte) error { return t.Run(engines, in) }); err != nil {
			tt.Fatalf("%v", err)
		}
	})
}
