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

// The reference boundaries' contracts: stress runs any boundary from its contract.
const (
	pricingContract = "../native/pricing/contract.yaml"
	tallyContract   = "../native/tally/contract.yaml"
)

// stressFor runs the loops of one engine of a boundary on 4 workers, into a fresh corpus.
func stressFor(t *testing.T, contractPath, spec, variant string, d time.Duration, maxSlope float64) campaign.StressResult {
	res, err := campaign.Stress(context.Background(), campaign.StressConfig{Contract: contractPath, Specs: []string{spec}, Variant: variant, Workers: 4,
		Duration: d, CorpusDir: t.TempDir(), Timeout: 10 * time.Second, MaxSlope: maxSlope, Out: io.Discard})
	require.NoError(t, err)
	return res
}

// findingOf is the first finding whose type starts with typ and whose signature names fn.
func findingOf(res campaign.StressResult, typ, fn string) *campaign.Finding {
	for i, f := range res.Findings {
		if strings.HasPrefix(f.Type, typ) && strings.Contains(f.Signature, fn) {
			return &res.Findings[i]
		}
	}
	return nil
}

// seam stress in the tsan variant: the loops' threads and hand-offs are annotated, so the
// correct engines of both boundaries are clean, and a race in a thread-safe function is a data
// race found under load, on the function whose claim it breaks.
func TestStressUnderTSan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	for _, c := range []string{pricingContract, tallyContract} {
		res := stressFor(t, c, "cpp", "tsan", 2*time.Second, 1<<20)
		assert.Empty(t, res.Findings, "%s cpp under TSan: %v", c, res.Findings)
		assert.Positive(t, res.Rate["cpp"], c)
	}
	for _, m := range []struct{ contract, spec, fn string }{
		{pricingContract, "mutant:cpp-race-cache", "pricing_quote"},
		{tallyContract, "mutant:cpp-race-checksum", "tally_checksum"},
	} {
		res := stressFor(t, m.contract, m.spec, "tsan", 6*time.Second, 1<<20)
		f := findingOf(res, "data-race", m.fn)
		require.NotNil(t, f, "%s: a data race in %s: %v", m.spec, m.fn, res.Findings)
		// No call races alone: the reproduce command is the stress run, not a replay of one call.
		assert.Equal(t, campaign.NeedsLoopsNote, f.Note)
		assert.True(t, strings.HasPrefix(f.Reproduce, "seam stress -contract "), f.Reproduce)
		assert.Contains(t, f.Reproduce, "-engines "+m.spec+" -variant tsan", f.Reproduce)
	}
}

// seam stress under ASan, pricing: clean on the correct engine; finds the 5000th-call bug, the
// load that takes no writer lock (missing busy: its readers read freed rules) and the
// every-1000th-quote leak, with the batch that leaks saved and replayed by its reproduce command.
func TestStressFindsPricingMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	run := func(spec string, d time.Duration) campaign.StressResult {
		return stressFor(t, pricingContract, spec, "asan", d, 1<<30)
	}
	assert.Empty(t, run("cpp", 3*time.Second).Findings, "the correct engine is clean")
	res := run("mutant:cpp-fail-after-5000", 6*time.Second)
	f := findingOf(res, "heap-buffer-overflow WRITE", "pricing_rules_new")
	require.NotNil(t, f, "%v", res.Findings)
	assert.True(t, strings.HasPrefix(f.Title, "heap-buffer-overflow WRITE 4 in "), f.Title)
	assert.NotEmpty(t, f.CorpusID, "the in-flight call (or the batch) is saved")
	res = run("mutant:cpp-no-busy", 6*time.Second)
	// A reader of the rules a load freed under it. (On a loaded machine the report can take
	// longer than the hang timeout to print, and the death is then a hang with the report in it.)
	uaf := false
	for _, f := range res.Findings {
		uaf = uaf || strings.Contains(f.Excerpt, "heap-use-after-free") && strings.Contains(f.Excerpt, "in pricing_rules_load")
	}
	assert.True(t, uaf, "a load swapping the rules under its readers: %v", res.Findings)
	res = run("mutant:cpp-leak-every-n", 2*time.Second)
	leak := findingOf(res, "leak", "pricing_quote")
	require.NotNil(t, leak, "the per-operation leak batch finds the every-1000th leak: %v", res.Findings)
	// The leaking batch is stored as the stress input it is, and its reproduce command replays
	// it to the same leak.
	assert.Equal(t, "pricing.stress", leak.Target)
	// The batch is the operation's; the leak's allocation stack (its signature) names the
	// function. They can differ: a load's busy check reads the state back with a quote, and the
	// mutant's counter of quotes is global.
	assert.Contains(t, leak.Signature, "pricing_quote")
	assert.Contains(t, leak.Title, "(operation pricing_")
	require.True(t, strings.HasPrefix(leak.Reproduce, "seam stress "), leak.Reproduce)
	t.Chdir("..") // the command names the contract from the checkout's root
	var out bytes.Buffer
	code := cli.Main(strings.Fields(leak.Reproduce)[1:], &out, &out)
	assert.Equal(t, cli.ExitFindings, code, out.String())
	assert.Contains(t, out.String(), "LEAK  "+leak.Signature)
}

// seam stress under ASan, tally (a handle that is never shared): the handle pool that runs out
// after 5000 handles is an answer that changed without concurrency, on tally_new; the
// every-1000th-free leak is a leak of the handle cycle.
func TestStressFindsTallyMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	run := func(spec string, d time.Duration) campaign.StressResult {
		return stressFor(t, tallyContract, spec, "asan", d, 1<<30)
	}
	assert.Empty(t, run("cpp", 3*time.Second).Findings, "the correct engine is clean")
	res := run("mutant:cpp-fail-after-n", 4*time.Second)
	f := findingOf(res, "contract-answer-changed-without-concurrency", "tally_new")
	require.NotNil(t, f, "%v", res.Findings)
	for _, g := range res.Findings {
		assert.NotContains(t, g.Type, "concurrency-", "no thread is involved: %s", g.Signature)
	}
	res = run("mutant:cpp-leak-every-n", 2*time.Second)
	leak := findingOf(res, "leak", "tally_free")
	require.NotNil(t, leak, "%v", res.Findings)
	assert.Contains(t, leak.Title, "operation cycle/tally")
	assert.Equal(t, "tally.stress", leak.Target)
}

// A deterministic wrong answer (the Rust engine's tax rounded half up) is the same alone and
// under load: never a concurrency finding (the differential's business).
func TestStressDoesNotCallADeterministicBugConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	res := stressFor(t, pricingContract, "mutant:rust-rounding-drift", "debug", 3*time.Second, 1<<30)
	assert.Empty(t, res.Findings)
	assert.Positive(t, res.Calls["mutant:rust-rounding-drift"])
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
	res, err := campaign.Stress(context.Background(), campaign.StressConfig{Contract: pricingContract, Specs: []string{"mutant:cpp-leak-diag-on-error"}, Variant: "asan",
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
