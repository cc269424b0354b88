package loadgen_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/stress"
)

func TestQuoteRateProbe(t *testing.T) {
	ws := map[string]int{}
	for _, n := range []string{"cycle/pricing_rules", "pricing_rules_describe", "pricing_rules_export", "pricing_rules_load", "pricing_rules_load/private", "seam_abi_version", "seam_engine_name", "seam_last_error", "seam_layout"} {
		ws[n] = 0
	}
	for _, refresh := range []int{128} {
		w, err := loadgen.Open(contracts["pricing"], "cpp", "release", loadgen.Options{Workers: 8, Weights: ws})
		require.NoError(t, err)
		st, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: 8, Duration: 2 * time.Second, Seed: 1, RefreshEvery: refresh, WALPath: t.TempDir() + "/wal"}, w)
		require.NoError(t, err)
		t.Logf("refresh %d: %d calls/s %v", refresh, st.Calls/2, st.ByStatus)
	}
}
