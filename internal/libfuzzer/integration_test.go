package libfuzzer_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/internal/cli"
	"github.com/seamfuzz/seam/internal/libfuzzer"
)

// Crashers are confirmed in isolated children that re-execute this test binary.
func TestMain(m *testing.M) {
	cli.ServeChild()
	os.Exit(m.Run())
}

// libFuzzer mode finds the seeded over-read (native/pricing/mutants/cpp-overread.patch) and stores it in
// the corpus format of the go test mode, with the same signature and a sidecar. It builds the
// fuzzer variant and the harness (cached in build/), then fuzzes for 20 s:
//
//	SEAM_LIBFUZZER_TEST=1 go test ./internal/libfuzzer -run Integration -v
func TestIntegrationFindsSeededOverread(t *testing.T) {
	if testing.Short() || os.Getenv("SEAM_LIBFUZZER_TEST") != "1" {
		t.Skip("builds clang binaries and fuzzes for 20 s: run with SEAM_LIBFUZZER_TEST=1 (and without -short)")
	}
	if !libfuzzer.HaveClang() {
		t.Skip("clang-19 is not installed: run scripts/install-clang.sh")
	}
	root, err := engine.Root()
	require.NoError(t, err)
	if _, err := engine.Resolve("mutant:cpp-overread", "asan"); err != nil {
		t.Skipf("the asan build confirms crashers and is missing: %v", err)
	}
	t.Setenv("SEAM_ROOT", root)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := cli.Main([]string{"fuzz", "-mode", "libfuzzer", "-engines", "mutant:cpp-overread", "-target", "rules",
		"-budget", "20s", "-corpus", dir}, &out, &errb)
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	require.Equal(t, cli.ExitFindings, code)
	assert.Contains(t, out.String(), "NEW CRASH")
	assert.Contains(t, out.String(), "reproduce: seam repro -engines mutant:cpp-overread -variant asan ")

	sidecars, err := filepath.Glob(filepath.Join(dir, "rules", "*.json"))
	require.NoError(t, err)
	require.Len(t, sidecars, 1, "one signature, one corpus entry")
	var meta struct {
		Signature string   `json:"signature"`
		Engines   []string `json:"engines"`
		Variant   string   `json:"variant"`
		Source    string   `json:"source"`
	}
	b, err := os.ReadFile(sidecars[0])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &meta))
	assert.True(t, strings.HasPrefix(meta.Signature, "heap-buffer-overflow READ | parse_rules"), meta.Signature)
	assert.Equal(t, []string{"mutant:cpp-overread"}, meta.Engines)
	assert.Equal(t, "asan", meta.Variant)
	assert.Equal(t, "fuzz", meta.Source)
	data, err := os.ReadFile(strings.TrimSuffix(sidecars[0], ".json"))
	require.NoError(t, err)
	assert.LessOrEqual(t, len(data), 8, "libFuzzer's minimizer shrinks the input: %q", data)
}
