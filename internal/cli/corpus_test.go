package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/seamfuzz/seam/corpus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sidecar signed by older rules is migrated by `seam corpus check`, which says so (old ->
// new); a second check has nothing to do; a finding that is not a crash report keeps its own
// signature.
func TestCorpusCheckMigratesChangedSignatures(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../report/testdata/asan/2")
	require.NoError(t, err)
	st := corpus.Open(dir)
	old := "heap-buffer-overflow READ {*} | operator() | guard | pricing_quote"
	crash, _, err := st.Add("quote", []byte("coupon"), corpus.Meta{Signature: old, Type: "heap-buffer-overflow READ {*}",
		Source: corpus.SourceFuzz, Report: string(raw)})
	require.NoError(t, err)
	mismatch := "mismatch-status-differs | pricing_quote | status | status differs"
	other, _, err := st.Add("quote", []byte("other"), corpus.Meta{Signature: mismatch, Type: "mismatch-status-differs",
		Source: corpus.SourceFuzz, Report: "mismatch in pricing_quote: status: rust=SEAM_BAD_INPUT cpp=SEAM_NO_RULE (status differs)"})
	require.NoError(t, err)

	code, out, _ := seam("corpus", "check", "-corpus", dir)
	assert.Equal(t, ExitClean, code, out)
	want := "signature migrated: " + old + " -> heap-buffer-overflow READ | pricing_quote | guard | pricing_quote"
	assert.Contains(t, out, crash+".json: "+want)
	assert.Contains(t, out, "1 signature(s) migrated")
	e, _, err := st.Get("quote", crash)
	require.NoError(t, err)
	assert.Equal(t, "heap-buffer-overflow READ | pricing_quote | guard | pricing_quote", e.Signature)
	assert.Equal(t, "heap-buffer-overflow READ", e.Type)
	e, _, err = st.Get("quote", other)
	require.NoError(t, err)
	assert.Equal(t, mismatch, e.Signature)

	code, out, _ = seam("corpus", "check", "-corpus", dir)
	assert.Equal(t, ExitClean, code)
	assert.Equal(t, "corpus ok", strings.TrimSpace(out))
}

// seam triage reads a report pasted from a bug tracker: a cut one says CORRUPTED instead of
// passing a guess off as a signature.
func TestTriageSaysWhereAReportIsCut(t *testing.T) {
	code, out, _ := seam("triage", "../../report/testdata/tsan/9")
	assert.Equal(t, ExitFindings, code)
	assert.Contains(t, out, "SIGNATURE: data-race | tvgexam::GlWindow::~GlWindow\n")
	assert.Contains(t, out, "CORRUPTED: the report is cut inside the stack\n")
	code, out, _ = seam("triage", "../../report/testdata/go/14")
	assert.Equal(t, ExitFindings, code)
	assert.Contains(t, out, "SIGNATURE: go-index-out-of-range | shop.(*Cart).At\n")
	assert.NotContains(t, out, "CORRUPTED")
}
