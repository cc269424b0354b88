package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/seamfuzz/seam/internal/corpus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sidecar signed by older rules is migrated by `seam corpus check`, which says so (old ->
// new); a second check has nothing to do; a finding that is not a crash report keeps its own
// signature.
func TestCorpusCheckMigratesChangedSignatures(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../report/testdata/asan/2")
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
