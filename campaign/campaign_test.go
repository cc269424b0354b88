package campaign_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/internal/cli"
)

// The test binary is also the child that isolated runs and stress loops start.
func TestMain(m *testing.M) {
	cli.ServeChild()
	os.Exit(m.Run())
}

// stressFor runs the loops of one engine on 4 workers, into a fresh corpus.
func stressFor(t *testing.T, spec, variant string, d time.Duration, maxSlope float64) campaign.StressResult {
	res, err := campaign.Stress(context.Background(), campaign.StressConfig{Specs: []string{spec}, Variant: variant, Workers: 4, Duration: d,
		CorpusDir: t.TempDir(), Timeout: 10 * time.Second, MaxSlope: maxSlope, Out: io.Discard})
	require.NoError(t, err)
	return res
}

// seam stress in the tsan variant: the loops' threads and hand-offs are annotated, so the
// correct engines are clean and the shared-cache race is a data race found under load.
func TestStressUnderTSan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	run := func(spec string, d time.Duration) campaign.StressResult { return stressFor(t, spec, "tsan", d, 1<<20) }
	for _, spec := range []string{"cpp", "rust"} {
		res := run(spec, 3*time.Second)
		assert.Empty(t, res.Findings, "%s under TSan: %v", spec, res.Findings)
		assert.Positive(t, res.Rate[spec], spec)
	}
	res := run("mutant:cpp-race-cache", 10*time.Second)
	require.NotEmpty(t, res.Findings)
	f := res.Findings[0]
	assert.Equal(t, "data-race", f.Type)
	// No call races alone: the reproduce command is the stress run, not a replay of one call.
	assert.Equal(t, campaign.NeedsLoopsNote, f.Note)
	assert.True(t, strings.HasPrefix(f.Reproduce, "seam stress -engines mutant:cpp-race-cache -variant tsan"), f.Reproduce)
}

// seam stress: clean on the correct engine; finds the 5000th-call bug (with the in-flight
// call saved) and the every-1000th-call leak (with the batch that leaks saved).
func TestStressFindsHistoryAndLeakBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	run := func(spec string, d time.Duration) campaign.StressResult { return stressFor(t, spec, "asan", d, 1<<30) }
	assert.Empty(t, run("cpp", 4*time.Second).Findings, "the correct engine is clean")
	res := run("mutant:cpp-fail-after-5000", 15*time.Second)
	require.NotEmpty(t, res.Findings)
	assert.Equal(t, "heap-buffer-overflow WRITE", res.Findings[0].Type, "the access size is in the title, not the type")
	assert.True(t, strings.HasPrefix(res.Findings[0].Title, "heap-buffer-overflow WRITE 4 in "), res.Findings[0].Title)
	assert.NotEmpty(t, res.Findings[0].CorpusID, "the in-flight call is saved")
	res = run("mutant:cpp-leak-every-n", 3*time.Second)
	var leak *campaign.Finding
	for i, f := range res.Findings {
		if f.Type == "leak" {
			leak = &res.Findings[i]
		}
	}
	require.NotNil(t, leak, "the per-operation leak batch finds the every-1000th leak")
	// The leaking batch is stored as the stressbatch input it is, and its reproduce command
	// replays it to the same leak.
	assert.Equal(t, "stressbatch", leak.Target)
	require.True(t, strings.HasPrefix(leak.Reproduce, "seam repro "), leak.Reproduce)
	var out bytes.Buffer
	code := cli.Main(strings.Fields(leak.Reproduce)[1:], &out, &out)
	assert.Equal(t, cli.ExitFindings, code, out.String())
	assert.Contains(t, out.String(), "LEAK  "+leak.Signature)
}

// issue 16: an engine that leaks 64 KiB on every failed load (mutant cpp-leak-diag-on-error)
// used to drown the leak batch's check (a NEW HANG of load-private after 60 s) while RSS grew
// by gigabytes. It must be a leak with its allocation stack, and a memory-growth finding, and
// never a hang; the loops stop at the RSS cap instead of eating the machine.
func TestStressReportsLeakOnFailedCallsAsLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	var out strings.Builder
	res, err := campaign.Stress(context.Background(), campaign.StressConfig{Specs: []string{"mutant:cpp-leak-diag-on-error"}, Variant: "asan",
		Workers: 4, Duration: 20 * time.Second, CorpusDir: t.TempDir(), Timeout: 10 * time.Second, MaxSlope: 1 << 20, MaxRSS: 768 << 20, Out: &out})
	require.NoError(t, err)
	var leak, growth bool
	for _, f := range res.Findings {
		assert.NotEqual(t, "hang", f.Kind, "a leak is not a hang: %s\n%s", f.Signature, out.String())
		if f.Kind == "leak" && f.Type == "leak" {
			leak = true
			assert.Contains(t, f.Excerpt, "allocated from", "the leak comes with its allocation stack")
			assert.Contains(t, f.Signature, "pricing_rules_load")
			assert.Contains(t, f.Title, "batch of 100 calls", "found by the short batch, whose check is cheap")
		}
		growth = growth || f.Type == "memory-growth"
	}
	assert.True(t, leak, "the leak is reported as a leak\n%s", out.String())
	assert.True(t, growth, "the RSS slope over the threshold is a finding\n%s", out.String())
	assert.Contains(t, out.String(), "stopped early: RSS passed 768 MiB", "the loops stop at the RSS cap")
}
