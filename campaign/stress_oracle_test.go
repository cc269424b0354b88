package campaign_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/loadgen"
)

// violations are a stress run's contract findings as "REASON in FUNCTION" (a signature is
// "TYPE | FUNCTION | FIELD | REASON | ..."), so an assertion names the reason and the function
// it is put on, never just a substring of the signature.
func violations(t *testing.T, res campaign.StressResult) []string {
	t.Helper()
	var out []string
	for _, f := range res.Findings {
		parts := strings.Split(f.Signature, " | ")
		require.GreaterOrEqual(t, len(parts), 4, "a violation's signature: %s", f.Signature)
		require.True(t, strings.HasPrefix(parts[0], derive.KindContract+"-"), "only contract findings expected: %s (%s)", f.Signature, f.Excerpt)
		out = append(out, parts[3]+" in "+parts[1])
	}
	return out
}

// Each oracle reason that needs threads is proven by a seeded bug under real load, on the
// function whose claim it breaks, and the diagnosis is the right one (the debug build: the
// oracle needs no sanitizer, and asan's leak batches after the loops would triple the time):
//   - a quote built in a static another thread overwrites returns another request's price, while
//     the same quote on the worker's own handle still answers right: concurrency, never "changed";
//   - a load that zeroes the rules before it finds the handle busy: the busy load changed the
//     state (the readers that see the zeroed rules meanwhile are corrupted results too);
//   - a load that says internal instead of busy under contention: neither done nor refused.
//
// The correct engines' quiet is TestStressFindsPricingMutants' and loadgen's
// TestCorrectEnginesAreClean.
func TestStressOracleReasonsOnSeededBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	const (
		concurrency = loadgen.ReasonConcurrency
		busyChanged = loadgen.ReasonBusyChanged
		exclusive   = loadgen.ReasonExclusive
	)
	for _, m := range []struct {
		spec string
		want string
		// allowed are all the findings the run may have besides want.
		allowed []string
	}{
		{"mutant:cpp-race-cache", concurrency + " in pricing_quote", nil},
		{"mutant:cpp-busy-clears-rules", busyChanged + " in pricing_rules_load",
			[]string{concurrency + " in pricing_quote", concurrency + " in pricing_rules_describe", concurrency + " in pricing_rules_export"}},
		{"mutant:cpp-busy-as-internal", exclusive + " in pricing_rules_load", nil},
	} {
		start := time.Now()
		res := stressFor(t, pricingContract, m.spec, "debug", 3*time.Second, 1<<30)
		got := violations(t, res)
		t.Logf("%s in %s: %v", m.spec, time.Since(start).Round(time.Millisecond), got)
		assert.Contains(t, got, m.want, m.spec)
		for _, v := range got {
			assert.Contains(t, append([]string{m.want}, m.allowed...), v, "%s: a wrong diagnosis", m.spec)
		}
	}
}
