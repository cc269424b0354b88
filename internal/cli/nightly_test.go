package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/summary"
)

// seam nightly end to end, as CI runs it (a built seam binary, not this test process): on a
// seeded-bug library it exits 1, writes the four reports, and summary.md names the finding with
// a reproduce command that reproduces it.
func TestNightlyOnSeededBugExits1WithWorkingReproduce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds seam and runs a short nightly")
	}
	root, err := checkout.Root()
	require.NoError(t, err)
	dir := t.TempDir()
	bin := filepath.Join(dir, "seam")
	build := exec.Command("go", "build", "-o", bin, "./cmd/seam")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	reports, corpusDir := filepath.Join(dir, "report"), filepath.Join(dir, "corpus")
	cmd := exec.Command(bin, "nightly", "-contract", "native/tally/contract.yaml", "-engines", "cpp,mutant:cpp-count-overread",
		"-targets", "tally_count", "-budget", "15s", "-out", reports, "-corpus", corpusDir)
	cmd.Dir = root
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", out)
	require.Equal(t, ExitFindings, exit.ExitCode(), "%s", out)

	md, err := os.ReadFile(filepath.Join(reports, "summary.md"))
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(md), "\n")
	assert.Contains(t, first, "NEW FINDINGS")
	assert.Contains(t, string(md), `\| tally_count \| guard \| tally_count`)
	assert.Contains(t, string(md), "Boundaries: **tally** (`native/tally/contract.yaml`: cpp, mutant:cpp-count-overread).")

	b, err := os.ReadFile(filepath.Join(reports, "report.json"))
	require.NoError(t, err)
	report, err := summary.ReadJSON(b)
	require.NoError(t, err)
	assert.Equal(t, "new-findings", report.Verdict)
	require.NotEmpty(t, report.New)
	for _, f := range report.New { // every step ran; only the mutant may have findings
		assert.Equal(t, "mutant:cpp-count-overread", f.Engine, "%s: %s (%s)", f.Signature, f.Title, f.Source)
	}
	for _, f := range []string{"junit.xml", "results.sarif"} {
		b, err := os.ReadFile(filepath.Join(reports, f))
		require.NoError(t, err)
		if strings.HasSuffix(f, ".xml") {
			assert.NoError(t, xml.Unmarshal(b, new(any)), f)
		} else {
			assert.True(t, json.Valid(b), f)
		}
	}

	// The reproduce command in the summary reproduces the finding.
	m := regexp.MustCompile("(?m)^seam repro .*$").FindString(string(md))
	require.NotEmpty(t, m, "no reproduce command in summary.md")
	repro := exec.Command(bin, strings.Fields(strings.TrimPrefix(m, "seam "))...)
	repro.Dir = root
	out, err = repro.CombinedOutput()
	require.ErrorAs(t, err, &exit, "%s", out)
	assert.Equal(t, ExitFindings, exit.ExitCode(), "%s", out)
	// ASan calls the 65-byte over-read heap-buffer-overflow or, when the block's end is not
	// granule-aligned, unknown-crash: the same bug, as the signature's frames say.
	assert.Regexp(t, `(heap-buffer-overflow|unknown-crash) READ \| tally_count`, string(out))
}
