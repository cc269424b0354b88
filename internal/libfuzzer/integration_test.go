package libfuzzer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/checkout"
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
	root, err := checkout.Root()
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(root, "build", "asan", "mutants", "cpp-overread.so")); err != nil {
		t.Skipf("the asan build confirms crashers and is missing: %v", err)
	}
	t.Setenv("SEAM_ROOT", root)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := cli.Main([]string{"fuzz", "-mode", "libfuzzer", "-contract", filepath.Join(root, "native", "pricing", "contract.yaml"),
		"-engines", "mutant:cpp-overread", "-target", "pricing_rules_load",
		"-budget", "20s", "-corpus", dir}, &out, &errb)
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	require.Equal(t, cli.ExitFindings, code)
	assert.Contains(t, out.String(), "NEW CRASH")
	assert.Contains(t, out.String(), "reproduce: seam repro -contract native/pricing/contract.yaml -engines mutant:cpp-overread -variant asan ")

	sidecars, err := filepath.Glob(filepath.Join(dir, "pricing.pricing_rules_load", "*.json"))
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

// A target derived from the tally contract, built as a libFuzzer binary the way ClusterFuzzLite
// ships it (Install: the binary, seam-engines/ and seam-contract/ beside it, a seed corpus zip),
// finds the seeded one-byte heap overflow of native/tally/mutants/cpp-token-overflow.patch,
// loaded from seam-engines/ by its file name, and stays quiet on the correct engines. It starts
// and runs inputs where no C compiler is, as on ClusterFuzzLite's runner, and a shipped C
// configuration snapshot that lost a file stops it with one line saying what to do:
//
//	SEAM_LIBFUZZER_TEST=1 go test ./internal/libfuzzer -run ContractTarget -v
func TestIntegrationContractTargetFindsTallyMutant(t *testing.T) {
	if testing.Short() || os.Getenv("SEAM_LIBFUZZER_TEST") != "1" {
		t.Skip("builds a clang binary and fuzzes for up to 2 min: run with SEAM_LIBFUZZER_TEST=1 (and without -short)")
	}
	if !libfuzzer.HaveClang() {
		t.Skip("clang-19 is not installed: run scripts/install-clang.sh")
	}
	root, err := checkout.Root()
	require.NoError(t, err)
	ctx := context.Background()
	build := exec.Command(filepath.Join(root, "scripts", "build-native.sh"), "-m", "tally/cpp-token-overflow", "fuzzer")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	corpus := t.TempDir()
	seeds := filepath.Join(corpus, "tally.tally_feed")
	require.NoError(t, os.MkdirAll(seeds, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(seeds, "0a1b"), []byte("seed"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(seeds, "0a1b.json"), []byte("{}"), 0o644))
	dir := t.TempDir()
	bins, err := libfuzzer.Install{Contract: filepath.Join(root, "native", "tally", "contract.yaml"), Out: dir,
		Corpus: corpus, Targets: []string{"tally_feed"}}.Run(ctx, root)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "tally_tally_feed")}, bins)
	for _, f := range []string{"seam-engines/libtally_cpp.so", "seam-engines/libtally_rust.so",
		"seam-contract/tally/contract.yaml", "seam-contract/tally/include/tally.h", "seam-contract/tally/seam-cc/manifest.json"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	options, err := os.ReadFile(bins[0] + ".options")
	require.NoError(t, err)
	assert.Equal(t, "[libfuzzer]\nlen_control = 0\nentropic_scale_per_exec_time = 1\n", string(options))
	zr, err := zip.OpenReader(bins[0] + "_seed_corpus.zip")
	require.NoError(t, err)
	require.Len(t, zr.File, 1, "the entry, not its sidecar")
	assert.Equal(t, "0a1b", zr.File[0].Name)
	zr.Close()
	lib, err := os.ReadFile(filepath.Join(root, "build", "fuzzer", "tally", "mutants", "cpp-token-overflow.so"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seam-engines", "cpp-token-overflow.so"), lib, 0o755))

	fuzz := func(engines string, budget time.Duration) (libfuzzer.Result, []*libfuzzer.Crash) {
		var crashes []*libfuzzer.Crash
		res, err := libfuzzer.Run(ctx, libfuzzer.Config{
			Binary: bins[0], WorkDir: t.TempDir(), Budget: budget, Args: libfuzzer.ContractArgs,
			Env: []string{"SEAM_ENGINES=" + engines},
			Crash: func(_ context.Context, c *libfuzzer.Crash) bool {
				crashes = append(crashes, c)
				return true
			},
		})
		require.NoError(t, err)
		return res, crashes
	}
	res, crashes := fuzz("mutant:cpp-token-overflow", 2*time.Minute)
	require.NotEmpty(t, crashes, "no crash in %s (%d execs)", res.Elapsed, res.Execs)
	t.Logf("found after %s; %d execs, %.0f execs/s", crashes[0].FoundAfter, res.Execs, res.ExecsPerSec)
	log := string(crashes[0].Log)
	assert.True(t, crashes[0].Reproduced)
	assert.Contains(t, log, "heap-buffer-overflow")
	assert.Contains(t, log, "complete_pending")
	assert.Contains(t, log, "seam libfuzzer: contract "+filepath.Join(dir, "seam-contract", "tally", "contract.yaml"), "the shipped contract")
	assert.Contains(t, log, "cpp-token-overflow="+filepath.Join(dir, "seam-engines", "cpp-token-overflow.so"), "the shipped mutant")

	res, crashes = fuzz("cpp,rust", 15*time.Second)
	assert.Positive(t, res.Execs)
	assert.Empty(t, crashes, "the correct engines crash")

	// The runner's environment: PATH holds no C compiler and CC is unset, so cc.NewConfig
	// cannot run one.
	noCompiler := func(t *testing.T) (string, error) {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "CC=") {
				env = append(env, kv)
			}
		}
		seeds := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(seeds, "seed"), []byte("seed"), 0o644))
		cmd := exec.Command(bins[0], "-runs=200", "-seed=1", seeds)
		cmd.Env = append(env, "PATH="+t.TempDir(), "SEAM_ENGINES=cpp,rust", "ASAN_OPTIONS=intercept_tls_get_addr=0")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Run("starts without a C compiler", func(t *testing.T) {
		out, err := noCompiler(t)
		require.NoError(t, err, "%s", out)
		assert.Contains(t, out, "seam libfuzzer: contract "+filepath.Join(dir, "seam-contract", "tally", "contract.yaml"))
		assert.Contains(t, out, "Done 200 runs")
	})
	t.Run("a snapshot that lost a file", func(t *testing.T) {
		var stdint string
		require.NoError(t, filepath.Walk(filepath.Join(dir, "seam-contract", "tally", "seam-cc"), func(p string, _ os.FileInfo, err error) error {
			if filepath.Base(p) == "stdint.h" && stdint == "" {
				stdint = p
			}
			return err
		}))
		require.NotEmpty(t, stdint)
		require.NoError(t, os.Remove(stdint))
		out, err := noCompiler(t)
		require.Error(t, err)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		last := lines[len(lines)-1]
		assert.True(t, strings.HasPrefix(last, "seam libfuzzer: "), "%s", out)
		assert.Contains(t, last, "stdint.h")
		assert.Contains(t, last, "re-run seam ci build-fuzzers")
	})
}
