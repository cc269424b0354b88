package summary

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// The memory-trend rule (issue 16 #2). In a 15 s stress on the correct engines, RSS climbed
// from 37 to 60 MiB in the first seconds (ASan's quarantine filling, the allocators' arenas
// warming up), and a line fitted through those seconds read as a leak. A leak grows with the
// calls for the whole run; a warm-up rises and flattens. So:
//
//  1. Warm-up: the samples of the first WarmupShare of the run's calls are not fitted. (A
//     share of the calls, not of the time: the warm-up is a number of calls, whatever the
//     machine's speed.) Samples taken while the calls did not advance are dropped.
//  2. The slope is the least-squares fit over the rest, in bytes per million calls.
//  3. It is a finding when it is over the threshold, the fitted part grew by at least
//     MinGrowth (below that, page-granular RSS noise decides), and the growth persists: each
//     half of the fitted part, fitted alone, is over the threshold too. A warm-up that
//     outlasts the cut (a slow machine, a short budget) is still flattening in its later
//     half; a leak is not.

// WarmupShare is the leading share of a run's calls whose RSS samples are not fitted.
const WarmupShare = 1.0 / 3

// MinGrowth is the least growth over the fitted samples that a finding needs.
const MinGrowth = 4 << 20

// Trend is the verdict on one RSS series.
type Trend struct {
	Slope       float64 // bytes per million calls, fitted after the warm-up
	From        int     // index of the first fitted sample
	Fitted      int     // samples fitted
	Growth      int64   // bytes, last fitted sample minus first
	EarlySlope  float64 // the first half of the fitted samples alone
	LateSlope   float64 // the second half alone
	Finding     bool
	Explanation string // why it is, or is not, a finding
}

// JudgeRSS applies the memory-trend rule to samples (in call order) with a threshold in bytes
// per million calls.
func JudgeRSS(samples []RSSSample, maxSlope float64) Trend {
	var t Trend
	if len(samples) == 0 {
		t.Explanation = "no samples"
		return t
	}
	samples = advancing(samples)
	cut := int64(float64(samples[len(samples)-1].Calls) * WarmupShare)
	for t.From < len(samples) && samples[t.From].Calls < cut {
		t.From++
	}
	fit := samples[t.From:]
	t.Fitted = len(fit)
	if len(fit) < 4 {
		t.Explanation = fmt.Sprintf("%d samples after the warm-up: too few to fit", len(fit))
		return t
	}
	t.Slope = FitSlope(fit)
	t.Growth = fit[len(fit)-1].RSSBytes - fit[0].RSSBytes
	half := len(fit) / 2
	t.EarlySlope, t.LateSlope = FitSlope(fit[:half+1]), FitSlope(fit[half:])
	switch {
	case t.Slope <= maxSlope:
		t.Explanation = fmt.Sprintf("slope %+.0f bytes per million calls after the warm-up is within %.0f", t.Slope, maxSlope)
	case t.Growth < MinGrowth:
		t.Explanation = fmt.Sprintf("slope %+.0f is over %.0f but RSS grew only %.1f MiB after the warm-up (a finding needs %d MiB)",
			t.Slope, maxSlope, float64(t.Growth)/(1<<20), MinGrowth>>20)
	case t.EarlySlope <= maxSlope || t.LateSlope <= maxSlope:
		t.Explanation = fmt.Sprintf("slope %+.0f is over %.0f but does not persist (%+.0f then %+.0f): still warming up",
			t.Slope, maxSlope, t.EarlySlope, t.LateSlope)
	default:
		t.Finding = true
		t.Explanation = fmt.Sprintf("RSS grows %+.0f bytes per million calls after the warm-up (limit %.0f; %+.0f then %+.0f; %.1f MiB over %d samples)",
			t.Slope, maxSlope, t.EarlySlope, t.LateSlope, float64(t.Growth)/(1<<20), len(fit))
	}
	return t
}

// advancing keeps the samples whose call count moved on from the previous one kept: a child
// that stalled (a loaded machine, memory pressure: seen for 5 s in the leaking mutant's series)
// says nothing about growth per call, and its flat stretch would read as a warm-up's plateau.
func advancing(samples []RSSSample) []RSSSample {
	out := samples[:1:1]
	for _, p := range samples[1:] {
		if p.Calls > out[len(out)-1].Calls {
			out = append(out, p)
		}
	}
	return out
}

// WriteRSSJSON writes series as JSON (rss.json beside rss.svg), the form the trend tests
// replay.
func WriteRSSJSON(w io.Writer, series []RSSSeries) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(series)
}

// ReadRSSJSON reads what WriteRSSJSON wrote.
func ReadRSSJSON(path string) ([]RSSSeries, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s []RSSSeries
	return s, json.Unmarshal(b, &s)
}

// JudgeCapped is JudgeRSS for a run whose loops were stopped when RSS passed capBytes: the
// rule's verdict when it has one, else a finding when RSS grew over the threshold across the
// whole run (no warm-up takes a child to the cap; a leak on every failed call reached it in
// about a second, too few samples for the rule).
func JudgeCapped(samples []RSSSample, maxSlope float64, capBytes int64) Trend {
	t := JudgeRSS(samples, maxSlope)
	if t.Finding || len(samples) < 2 {
		return t
	}
	if all := FitSlope(advancing(samples)); all > maxSlope {
		t.Finding, t.Slope = true, all
		t.Explanation = fmt.Sprintf("RSS passed the %d MiB cap after %d calls, growing %+.0f bytes per million calls (limit %.0f)",
			capBytes>>20, samples[len(samples)-1].Calls, all, maxSlope)
	}
	return t
}
