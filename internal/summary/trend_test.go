package summary

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const threshold = 1 << 20 // bytes per million calls: seam stress's default -max-slope

// prefix is the samples of the first seconds of a series: the same run at a shorter budget.
func prefix(s []RSSSample, seconds float64) []RSSSample {
	var out []RSSSample
	for _, p := range s {
		if p.Seconds <= seconds {
			out = append(out, p)
		}
	}
	return out
}

func recorded(t *testing.T, name string) []RSSSeries {
	t.Helper()
	s, err := ReadRSSJSON("testdata/rss/" + name + ".json")
	require.NoError(t, err)
	require.NotEmpty(t, s)
	return s
}

// issue 16 #2: the correct engines, 60 s of seam stress -variant asan each (recorded with
// `seam stress -engines cpp,rust -variant asan -duration 60s -out DIR`, DIR/rss.json): no
// finding and a slope under the threshold over the whole run and at half the budget; no
// finding at the 15 s of the nightly that read the Rust engine's warm-up as a leak. (At 15 s the
// Rust engine, six times slower than C++, has made 1.3 M calls: its slow creep of about
// 1 MiB, the quarantine still filling, is over the per-call threshold but under MinGrowth.)
func TestTrendCorrectEnginesNoFinding(t *testing.T) {
	for _, s := range recorded(t, "correct-60s") {
		for _, secs := range []float64{60, 30, 15} {
			tr := JudgeRSS(prefix(s.Samples, secs), threshold)
			assert.False(t, tr.Finding, "%s over %.0fs: %s", s.Engine, secs, tr.Explanation)
			if secs >= 30 {
				assert.Less(t, tr.Slope, float64(threshold), "%s over %.0fs: %s", s.Engine, secs, tr.Explanation)
			}
			t.Logf("%s %2.0fs: slope %+9.0f (%d of %d samples fitted); whole run fitted: %+9.0f", s.Engine, secs, tr.Slope, tr.Fitted,
				len(prefix(s.Samples, secs)), FitSlope(prefix(s.Samples, secs)))
		}
	}
}

// A leaking mutant's recorded series is a finding, at the full budget and at half of it.
func TestTrendLeakingMutantIsAFinding(t *testing.T) {
	s := recorded(t, "leak-diag-on-error")[0]
	for _, frac := range []float64{1, 0.5} {
		secs := s.Samples[len(s.Samples)-1].Seconds * frac
		tr := JudgeRSS(prefix(s.Samples, secs), threshold)
		assert.True(t, tr.Finding, "%.0fs: %s", secs, tr.Explanation)
		t.Logf("%.1fs: %s", secs, tr.Explanation)
	}
}

// synthetic: a warm-up that rises 23 MiB and flattens, over calls in millions.
func synthetic(n int, warmupCalls, leakPerMillion float64) []RSSSample {
	var out []RSSSample
	for i := 0; i < n; i++ {
		calls := float64(i) * 0.25e6
		rss := 37<<20 + 23<<20*(1-math.Exp(-calls/warmupCalls)) + leakPerMillion*calls/1e6
		out = append(out, RSSSample{Seconds: float64(i) / 2, Calls: int64(calls), RSSBytes: int64(rss)})
	}
	return out
}

// The rule's two sides on series whose truth is known: a warm-up that outlasts the cut (a slow
// machine, a short budget) is not a finding, because its later half is flat; a leak at twice
// the threshold behind the same warm-up is one.
func TestTrendRuleSyntheticSides(t *testing.T) {
	slow := synthetic(30, 2.5e6, 0) // 15 s, warm-up over a third of the run
	tr := JudgeRSS(slow, threshold)
	assert.False(t, tr.Finding, tr.Explanation)
	assert.Greater(t, FitSlope(slow[len(slow)/2:]), float64(threshold), "the old rule (fit the second half) read it as a leak")

	leak := synthetic(120, 2.5e6, 2*threshold)
	tr = JudgeRSS(leak, threshold)
	assert.True(t, tr.Finding, tr.Explanation)
	assert.InDelta(t, 2*threshold, tr.Slope, 0.3*threshold)

	assert.False(t, JudgeRSS(synthetic(3, 1e6, 0), threshold).Finding, "too few samples: no verdict")
	flat := synthetic(120, 1e5, 0.5*threshold)
	assert.False(t, JudgeRSS(flat, threshold).Finding, "under the threshold")
}

// A run stopped at the RSS cap within a second has too few samples for the rule; reaching the
// cap while growing over the threshold is the finding.
func TestTrendCappedRun(t *testing.T) {
	fast := []RSSSample{{0.5, 0, 60 << 20}, {1, 160e3, 400 << 20}, {1.5, 330e3, 800 << 20}}
	assert.False(t, JudgeRSS(fast, threshold).Finding, "too few samples for the rule")
	tr := JudgeCapped(fast, threshold, 768<<20)
	assert.True(t, tr.Finding, tr.Explanation)
	assert.Contains(t, tr.Explanation, "passed the 768 MiB cap after 330000 calls")
}
