package campaign_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/engine"
)

// fuzzWithKnown fuzzes target on spec for budget with a corpus holding only the entry id of
// corpus/<entryTarget>/ (so its crash is known from the start).
func fuzzWithKnown(t *testing.T, spec, target, entryTarget, id string, budget time.Duration) (campaign.TargetStats, string) {
	t.Helper()
	root, err := engine.Root()
	require.NoError(t, err)
	dir := t.TempDir()
	c := filepath.Join(dir, "corpus", entryTarget)
	require.NoError(t, os.MkdirAll(c, 0o755))
	for _, ext := range []string{"", ".json"} {
		b, err := os.ReadFile(filepath.Join(root, "corpus", entryTarget, id+ext))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(c, id+ext), b, 0o644))
	}
	var out strings.Builder
	res, err := campaign.Fuzz(context.Background(), campaign.FuzzConfig{Targets: []string{target}, Specs: []string{spec}, Variant: "asan",
		Budget: budget, CorpusDir: filepath.Join(dir, "corpus"), WorkDir: filepath.Join(dir, "work"), Timeout: 10 * time.Second, Out: &out})
	require.NoError(t, err)
	require.Len(t, res.Targets, 1)
	res.WriteSummary(&out)
	return res.Targets[0], out.String()
}

// issue 16 #1, end to end: with the shallow comment over-read known, describe keeps fuzzing in
// the same go test -fuzz run (the workers drop the inputs that reach it: no restart), and the
// report says it was fuzzed past; a known UBSan crash, which a worker cannot continue past,
// still restarts the fuzzer, and the target is listed as blocked, with the command to fix it.
func TestKnownCrashesFuzzedPastOrBlocking(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzes for about 30 s")
	}
	st, out := fuzzWithKnown(t, "mutant:cpp-comment-overread", "describe", "rules", "334359b90efed75d", 12*time.Second)
	assert.Zero(t, st.Restarts, "no restart for the known crash\n%s", out)
	require.Len(t, st.KnownCrashes, 1, out)
	k := st.KnownCrashes[0]
	assert.Positive(t, k.Absorbed, out)
	assert.False(t, k.Blocks(), out)
	assert.Contains(t, out, "[describe] fuzzed past known crash heap-buffer-overflow READ | parse_rules")

	st, out = fuzzWithKnown(t, "mutant:cpp-enum-index", "quote", "quote", "873119235154cbdb", 12*time.Second)
	require.NotEmpty(t, st.KnownCrashes, out)
	k = st.KnownCrashes[0]
	assert.True(t, k.Blocks(), "UBSan is fatal: the crash still ends the fuzzer\n%s", out)
	assert.Positive(t, k.Restarts, out)
	assert.Contains(t, k.Reproduce, "seam repro -engines mutant:cpp-enum-index", out)
	assert.Contains(t, out, "[quote] BLOCKED by known crash index-out-of-bounds | pricing_quote")
}
