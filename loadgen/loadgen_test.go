package loadgen_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/stress"
)

var contracts = map[string]string{"pricing": "../native/pricing/contract.yaml", "tally": "../native/tally/contract.yaml"}

// loops runs the workload of spec in this process (debug build: no sanitizer runtime needed).
func loops(t *testing.T, boundaryName, spec string, d time.Duration) stress.Stats {
	w, err := loadgen.Open(contracts[boundaryName], spec, "debug", loadgen.Options{Workers: 4})
	require.NoError(t, err)
	st, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: 4, Duration: d, Seed: 1}, w)
	require.NoError(t, err)
	return st
}

func TestCorrectEnginesAreClean(t *testing.T) {
	for b := range contracts {
		for _, spec := range []string{"cpp", "rust"} {
			st := loops(t, b, spec, time.Second)
			t.Logf("%s %s: %d calls %v %v", b, spec, st.Calls, st.PerOp, st.ByStatus)
			assert.Empty(t, st.Findings, "%s %s", b, spec)
		}
	}
}

func TestMutantsProbe(t *testing.T) {
	for _, c := range [][2]string{{"pricing", "mutant:rust-rounding-drift"},
		{"tally", "mutant:cpp-fail-after-n"}, {"tally", "mutant:cpp-race-checksum"}} {
		st := loops(t, c[0], c[1], 2*time.Second)
		t.Logf("%s: %d calls, findings %d: %.300v", c[1], st.Calls, len(st.Findings), st.Findings)
	}
}

func TestQuoteRateProbe(t *testing.T) {
	ws := map[string]int{}
	for _, n := range []string{"cycle/pricing_rules", "pricing_rules_describe", "pricing_rules_export", "pricing_rules_load", "pricing_rules_load/private", "seam_abi_version", "seam_engine_name", "seam_last_error", "seam_layout"} {
		ws[n] = 0
	}
	w, err := loadgen.Open(contracts["pricing"], "cpp", "release", loadgen.Options{Workers: 8, Weights: ws})
	require.NoError(t, err)
	st, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: 8, Duration: 2 * time.Second, Seed: 1}, w)
	require.NoError(t, err)
	t.Logf("%d calls/s %v %v %v", st.Calls/2, st.PerOp, st.ByStatus, st.Findings)
}
