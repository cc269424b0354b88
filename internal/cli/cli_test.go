package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/corpus"
)

// The test binary is also the child that isolated runs and stress loops start.
func TestMain(m *testing.M) {
	ServeChild()
	os.Exit(m.Run())
}

func seam(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Bad input to seam itself: exit 2 and one line that says what to do.
func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"abi", "-engines", "/no/such.so"},
		{"abi", "-variant", "bogus"},
		{"nosuchcommand"},
		{"repro", "-json", `{"request_id": "x", "request": {"subtotal": 5}}`},
		{"repro", "-json", `{"request_id": `},
		{"fuzz", "-target", "nosuchtarget"},
		{"fuzz", "-mode", "bogus"},
		{"nightly", "-targets", "nosuchtarget"},
		{"stress", "-duration", "soon"},
		{"stress", "-variant", "cov", "-engines", "cpp"},
		{"corpus", "min"},
		{"triage", "/no/such/log"},
	} {
		code, _, errs := seam(args...)
		assert.Equal(t, ExitError, code, "%v", args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, "%v: one line, got %q", args, errs)
	}
	_, _, errs := seam("repro", "-json", `{"request_id": "x", "request": {"subtotal": 5}}`)
	assert.Contains(t, errs, `"subtotal"`)
	assert.Contains(t, errs, "byte")
}

func TestABIExitCodes(t *testing.T) {
	code, out, _ := seam("abi", "-engines", "cpp,rust", "-variant", "debug")
	assert.Equal(t, ExitClean, code, out)
	assert.Equal(t, 2, strings.Count(out, "\n"), "one line per engine")
	code, out, _ = seam("abi", "-engines", "mutant:cpp-layout-skew", "-variant", "debug")
	assert.Equal(t, ExitFindings, code)
	assert.Contains(t, out, "offsetof(pricing_request, subtotal_cents)")

	// tally has no layout function: its skew is seen in the engine's DWARF alone.
	tally := "../../native/tally/contract.yaml"
	for _, v := range []string{"debug", "asan"} {
		code, out, _ = seam("abi", "-contract", tally, "-variant", v)
		assert.Equal(t, ExitClean, code, out)
	}
	code, out, _ = seam("abi", "-contract", tally, "-engines", "mutant:cpp-layout-skew", "-variant", "debug")
	assert.Equal(t, ExitFindings, code)
	assert.Contains(t, out, "layout skew: tally_new param 0 opts (tally_options): offsetof(flags): engine DWARF says 12, header says 8")
}

func TestReproVerdictsAndSave(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEAM_CORPUS", dir)
	req := `{"request_id": "prod-7", "request": {"item_count": 1, "subtotal_cents": 10000, "region_id": 1, "customer_tier": 1, "coupon": "SAVE10"}, "rules": "1,1,1500,825,SAVE10:1000\n"}`
	code, out, _ := seam("repro", "-engines", "cpp,rust", "-variant", "asan", "-json", req)
	assert.Equal(t, ExitClean, code, out)
	assert.Contains(t, out, "engines cpp vs rust: agree")
	code, out, _ = seam("repro", "-engines", "mutant:cpp-nul-terminator,rust", "-variant", "asan", "-save", "-json", req)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "CRASH  heap-buffer-overflow READ {*} | operator() | guard | pricing_quote")
	entries, err := corpus.Open(dir).List("request")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, corpus.SourceProduction, entries[0].Source)
	assert.Equal(t, "prod-7", entries[0].RequestID)
}

// The cov variant is asan plus coverage: its children check for leaks too (the nightly fuzzes
// in cov, and a leak there must not go unseen).
func TestCovVariantChecksLeaks(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	require.NoError(t, os.WriteFile(in, []byte("x,1\n"), 0o644))
	code, out, _ := seam("repro", "-engines", "mutant:cpp-leak-on-error", "-variant", "cov", "-target", "rules", in)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "LEAK")
	code, out, _ = seam("repro", "-engines", "cpp", "-variant", "cov", "-target", "rules", in)
	assert.Equal(t, ExitClean, code, out)
}

// Minimization keeps the signature and shrinks a padded crasher; the original stays.
func TestCorpusMinShrinksPaddedCrasher(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEAM_CORPUS", dir)
	in := filepath.Join(t.TempDir(), "in")
	require.NoError(t, os.WriteFile(in, []byte("# padding padding padding\n2,1,5,5\n3,2,7,7\n1,0,0,0"), 0o644))
	code, out, _ := seam("repro", "-engines", "mutant:cpp-overread", "-variant", "asan", "-target", "rules", "-save", in)
	require.Equal(t, ExitFindings, code, out)
	entries, _ := corpus.Open(dir).List("rules")
	require.Len(t, entries, 1)
	code, out, errs := seam("corpus", "min", "-budget", "60s", entries[0].ID)
	require.Equal(t, ExitClean, code, out+errs)
	after, _ := corpus.Open(dir).List("rules")
	require.Len(t, after, 2, "the minimized input is added, the original kept")
	for _, e := range after {
		assert.Equal(t, entries[0].Signature, e.Signature)
		if e.ID != entries[0].ID {
			assert.Less(t, e.Size, entries[0].Size)
			assert.Equal(t, entries[0].ID, e.MinimizedFrom)
		}
	}
}

// seam threads: the correct engines verify every claim; each thread mutant is flagged by the
// check for the claim it breaks.
func TestThreadsVerifiesClaimsAndFlagsMutants(t *testing.T) {
	ctx := context.Background()
	rows, err := Threads(ctx, []string{"cpp", "rust"}, time.Minute, io.Discard)
	require.NoError(t, err)
	for _, r := range rows {
		assert.True(t, strings.HasPrefix(r.Verdict, "verified"), "%s on %s: %s %s", r.Function, r.Engine, r.Verdict, r.Note)
	}
	want := map[string]struct{ check, typ string }{
		"mutant:cpp-race-cache":      {"readers", "data-race"},
		"mutant:cpp-no-busy":         {"load-busy", "data-race"},
		"mutant:cpp-uaf-two-threads": {"free-busy", "heap-use-after-free"},
	}
	for spec, w := range want {
		// TSan reports a race only when the racing calls overlap in time, which a loaded
		// 2-core machine sometimes prevents for a whole run: up to three runs, like a nightly
		// that runs every night.
		flagged := false
		for attempt := 0; attempt < 3 && !flagged; attempt++ {
			rows, err := Threads(ctx, []string{spec}, time.Minute, io.Discard)
			require.NoError(t, err)
			for _, r := range rows {
				if r.Check == w.check && r.Finding != nil && strings.HasPrefix(r.Finding.Type, w.typ) {
					flagged = true
				}
			}
		}
		assert.True(t, flagged, "%s must be flagged by %s with %s (3 runs)", spec, w.check, w.typ)
	}
}

// seam stress in the tsan variant: the loops' threads and hand-offs are annotated, so the
// correct engines are clean and the shared-cache race is a data race found under load.
func TestStressUnderTSan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	ctx := context.Background()
	run := func(spec string, d time.Duration) StressResult {
		res, err := Stress(ctx, StressConfig{Specs: []string{spec}, Variant: "tsan", Workers: 4, Duration: d, CorpusDir: t.TempDir(),
			Timeout: 10 * time.Second, MaxSlope: 1 << 20, Out: io.Discard})
		require.NoError(t, err)
		return res
	}
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
	assert.Equal(t, needsLoopsNote, f.Note)
	assert.True(t, strings.HasPrefix(f.Reproduce, "seam stress -engines mutant:cpp-race-cache -variant tsan"), f.Reproduce)
}

// seam stress: clean on the correct engine; finds the 5000th-call bug (with the in-flight
// call saved) and the every-1000th-call leak.
func TestStressFindsHistoryAndLeakBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs stress loops")
	}
	ctx := context.Background()
	run := func(spec string, d time.Duration) StressResult {
		dir := t.TempDir()
		res, err := Stress(ctx, StressConfig{Specs: []string{spec}, Variant: "asan", Workers: 4, Duration: d, CorpusDir: dir,
			Timeout: 10 * time.Second, MaxSlope: 1 << 30, Out: io.Discard})
		require.NoError(t, err)
		return res
	}
	assert.Empty(t, run("cpp", 4*time.Second).Findings, "the correct engine is clean")
	res := run("mutant:cpp-fail-after-5000", 15*time.Second)
	require.NotEmpty(t, res.Findings)
	assert.Equal(t, "heap-buffer-overflow WRITE 4", res.Findings[0].Type)
	assert.NotEmpty(t, res.Findings[0].CorpusID, "the in-flight call is saved")
	res = run("mutant:cpp-leak-every-n", 3*time.Second)
	leak := false
	for _, f := range res.Findings {
		leak = leak || f.Type == "leak"
	}
	assert.True(t, leak, "the per-operation leak batch finds the every-1000th leak")
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
	res, err := Stress(context.Background(), StressConfig{Specs: []string{"mutant:cpp-leak-diag-on-error"}, Variant: "asan", Workers: 4,
		Duration: 20 * time.Second, CorpusDir: t.TempDir(), Timeout: 10 * time.Second, MaxSlope: 1 << 20, MaxRSS: 768 << 20, Out: &out})
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
