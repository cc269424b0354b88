package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/corpus"
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

	// Both reference boundaries agree in debug and asan builds; tally has no layout function,
	// so its skew is seen in the engine's DWARF alone.
	tally := "../../native/tally/contract.yaml"
	for _, c := range []string{"../../native/pricing/contract.yaml", tally} {
		for _, v := range []string{"debug", "asan"} {
			code, out, _ = seam("abi", "-contract", c, "-variant", v)
			assert.Equal(t, ExitClean, code, out)
			assert.Equal(t, 2, strings.Count(out, "ok    engine="), "%s %s: %s", c, v, out)
		}
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
	assert.Contains(t, out, "CRASH  heap-buffer-overflow READ | pricing_quote | guard | pricing_quote")
	// Kept as the call trace the request stands for.
	entries, err := corpus.Open(dir).List("pricing.trace")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, corpus.SourceProduction, entries[0].Source)
	assert.Equal(t, "prod-7", entries[0].RequestID)
	_, data, err := corpus.Open(dir).Get("pricing.trace", entries[0].ID)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"call":"pricing_quote"`)
}

// The cov variant is asan plus coverage: its children check for leaks too (the nightly fuzzes
// in cov, and a leak there must not go unseen).
func TestCovVariantChecksLeaks(t *testing.T) {
	in := filepath.Join(t.TempDir(), "bad-rules.json")
	badRules := `{"id": "bad-rules", "calls": [{"call": "pricing_rules_new", "args": {}, "as": "r"}, {"call": "pricing_rules_load", "args": {"r": "$r", "text": {"text": "x,1\n"}}}]}`
	require.NoError(t, os.WriteFile(in, []byte(badRules), 0o644))
	code, out, _ := seam("repro", "-engines", "mutant:cpp-leak-on-error", "-variant", "cov", in)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "LEAK")
	code, out, _ = seam("repro", "-engines", "cpp", "-variant", "cov", in)
	assert.Equal(t, ExitClean, code, out)
}

// Minimization keeps the signature and shrinks a padded crasher; the original stays.
func TestCorpusMinShrinksPaddedCrasher(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEAM_CORPUS", dir)
	// The comment over-read's input of the loader's target, padded: the crash comes first.
	found, err := os.ReadFile("../../corpus/pricing.pricing_rules_load/ab26c7595446fa08")
	require.NoError(t, err)
	in := filepath.Join(t.TempDir(), "in")
	require.NoError(t, os.WriteFile(in, append(found, bytes.Repeat([]byte("padding "), 8)...), 0o644))
	code, out, _ := seam("repro", "-engines", "mutant:cpp-comment-overread", "-variant", "asan", "-target", "pricing_rules_load", "-save", in)
	require.Equal(t, ExitFindings, code, out)
	entries, _ := corpus.Open(dir).List("pricing.pricing_rules_load")
	require.Len(t, entries, 1)
	code, out, errs := seam("corpus", "min", "-budget", "60s", entries[0].ID)
	require.Equal(t, ExitClean, code, out+errs)
	after, _ := corpus.Open(dir).List("pricing.pricing_rules_load")
	require.Len(t, after, 2, "the minimized input is added, the original kept")
	for _, e := range after {
		assert.Equal(t, entries[0].Signature, e.Signature)
		if e.ID != entries[0].ID {
			assert.Less(t, e.Size, entries[0].Size)
			assert.Equal(t, entries[0].ID, e.MinimizedFrom)
		}
	}
}
