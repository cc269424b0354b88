package campaign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/summary"
)

func loadContract(t *testing.T, name string) *contract.Contract {
	t.Helper()
	root, err := checkout.Root()
	require.NoError(t, err)
	c, err := contract.Load(filepath.Join(root, "native", name, "contract.yaml"))
	require.NoError(t, err)
	return c
}

// The nightly fuzzes the cov build (edges and comparison feedback) when every engine has one,
// and says why when it falls back to asan.
func TestNightlyFuzzVariant(t *testing.T) {
	c := loadContract(t, "pricing")
	if _, err := c.Library("cpp", "cov"); err != nil {
		t.Skip("the cov variant is not built: run make native")
	}
	v, why := nightlyFuzzVariant(c, []string{"cpp", "rust"})
	assert.Equal(t, "cov", v)
	assert.Empty(t, why)
	// A thread mutant is built for tsan, asan and debug only.
	v, why = nightlyFuzzVariant(c, []string{"cpp", "mutant:cpp-race-cache"})
	assert.Equal(t, "asan", v)
	assert.Contains(t, why, "mutant:cpp-race-cache has no cov build")
}

// The night's table: every boundary's steps in order, then stress and threads, each named
// with the budget it gets; a build command shared by two boundaries runs once per directory.
func TestNightlyStepsInOrder(t *testing.T) {
	n := &nightlyRun{cfg: NightlyConfig{Targets: []string{"pricing_quote"}}, fuzzBudget: 2 * time.Minute, stressFor: 15 * time.Second,
		tsanFor: 7500 * time.Millisecond}
	for _, b := range []string{"pricing", "tally"} {
		n.boundaries = append(n.boundaries, nightBoundary{c: loadContract(t, b), specs: []string{"cpp", "rust"}, fuzzVariant: "cov"})
	}
	var names []string
	for _, s := range nightlySteps(n) {
		names = append(names, s.name(n))
	}
	assert.Equal(t, []string{
		"[pricing] build (make -C ../.. native)", "[pricing] contract check + abi (debug, asan)", "[pricing] replay corpus (asan, cpp,rust)",
		"[pricing] fuzz (pricing_quote, 2m0s, cov)",
		"[tally] build (make -C ../.. native)", "[tally] contract check + abi (debug, asan)", "[tally] replay corpus (asan, cpp,rust)",
		"[tally] fuzz (pricing_quote, 2m0s, cov)",
		"[pricing] stress (asan, 15s per engine)", "[pricing] stress (tsan, 7.5s per engine)", "[pricing] threads (claim table, tsan)",
		"[tally] stress (asan, 15s per engine)", "[tally] stress (tsan, 7.5s per engine)", "[tally] threads (claim table, tsan)",
	}, names)
	n.cfg.Targets = nil
	assert.Equal(t, "[tally] fuzz (all targets, 2m0s, cov)", fuzzStepName(n, &n.boundaries[1]))
}

// A step is recorded with its result; an error of a required step ends the night there.
func TestNightlyStepRecorded(t *testing.T) {
	var out strings.Builder
	n := &nightlyRun{out: &out}
	s := nightlyStep{name: named("build"), required: true,
		run: func(context.Context, *nightlyRun) stepResult { return errored(errors.New("no compiler")) }}
	assert.Equal(t, summary.Errored, s.runStep(context.Background(), n))
	require.Len(t, n.report.Steps, 1)
	assert.Equal(t, "no compiler", n.report.Steps[0].Reason)
	assert.Equal(t, "== build\n   error no compiler\n", out.String())
}

// The same bug found by replay and by fuzzing is one entry of the report; findings keep the
// head of their report only.
func TestNightlyFoundDedupes(t *testing.T) {
	n := &nightlyRun{}
	long := strings.Repeat("line\n", 40)
	n.found(Finding{Signature: "a", Target: "rules", Excerpt: long, Source: "replay"}, Finding{Signature: "a", Target: "rules", Source: "fuzz"},
		Finding{Signature: "b", Target: "abi"})
	dedupe(&n.report)
	require.Len(t, n.report.New, 2)
	assert.Equal(t, "abi", n.report.New[0].Target, "sorted by target")
	assert.Equal(t, "replay", n.report.New[1].Source, "the first one found stays")
	assert.Equal(t, 20, strings.Count(n.report.New[1].Excerpt, "\n")+1)
}

func TestABINote(t *testing.T) {
	out := "ok    engine=cpp abi=1 dwarf=3 layout=16  build/debug/libseam_cpp.so\nok    engine=rust abi=1 dwarf=3 layout=16  x.so\n"
	assert.Equal(t, "cpp: abi 1, 3 structs (DWARF) and 16 layout values agree; rust: abi 1, 3 structs (DWARF) and 16 layout values agree", abiNote(out))
	assert.Equal(t, "seam abi: no such engine", abiNote("seam abi:   no such engine\n"))
}

// The reports are written from the run's findings as they are, report.json reading back.
func TestWriteReports(t *testing.T) {
	dir := t.TempDir()
	r := summary.Run{Verdict: VerdictNewFindings, New: []Finding{{Signature: "s", Type: "t", Title: "x", Engine: "cpp", Target: "rules",
		Reproduce: "seam repro x", Source: "fuzz"}}}
	require.NoError(t, writeReports(dir, r))
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	got, err := summary.ReadJSON(b)
	require.NoError(t, err)
	assert.Equal(t, r.New, got.New)
	for _, f := range []string{"summary.md", "junit.xml", "results.sarif"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	assert.NoFileExists(t, filepath.Join(dir, "rss.svg"), "no stress, no plot")
}
