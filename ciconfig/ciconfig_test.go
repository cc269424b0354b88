package ciconfig_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ciconfig"
	"github.com/seamfuzz/seam/internal/cli"
)

// teamRepo is a git repository that is not seam's, holding a copy of the tally contract and
// header under lib/; build replaces the contract's build line ("" drops it).
func teamRepo(t *testing.T, build string) (repo, contractPath string) {
	repo = t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "native", "tally", "contract.yaml"))
	require.NoError(t, err)
	header, err := os.ReadFile(filepath.Join("..", "native", "tally", "include", "tally.h"))
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "build:") {
			if build == "" {
				continue
			}
			l = "build: " + build
		}
		lines = append(lines, l)
	}
	contractPath = filepath.Join(repo, "lib", "contract.yaml")
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "lib", "include"), 0o755))
	require.NoError(t, os.WriteFile(contractPath, []byte(strings.Join(lines, "\n")), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "lib", "include", "tally.h"), header, 0o644))
	out, err := exec.Command("git", "-C", repo, "init", "-q").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return repo, contractPath
}

func seam(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = cli.Main(args, &o, &e)
	return code, o.String(), e.String()
}

func TestInitWritesThenLeavesAloneThenRefusesUnlessForced(t *testing.T) {
	repo, contractPath := teamRepo(t, "make engines")
	paths := []string{ciconfig.NightlyWorkflow, ciconfig.ClusterFuzzWorkflow, ciconfig.ClusterFuzzProject, ciconfig.ClusterFuzzDocker, ciconfig.ClusterFuzzBuild}
	lines := func(outcome string, paths ...string) string {
		var b strings.Builder
		for _, p := range paths {
			b.WriteString(outcome + strings.Repeat(" ", 10-len(outcome)) + p + "\n")
		}
		return b.String()
	}

	// No -dir: the git top level of the contract.
	code, out, errOut := seam("ci", "init", "-contract", contractPath)
	require.Equal(t, cli.ExitClean, code, errOut)
	assert.Equal(t, lines("written", paths...), out)
	build := filepath.Join(repo, ".clusterfuzzlite", "build.sh")
	st, err := os.Stat(build)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())

	code, out, _ = seam("ci", "init", "-contract", contractPath, "-dir", repo)
	require.Equal(t, cli.ExitClean, code)
	assert.Equal(t, lines("unchanged", paths...), out)

	edited := []byte("#!/bin/bash\necho a team's edit\n")
	require.NoError(t, os.WriteFile(build, edited, 0o755))
	code, out, errOut = seam("ci", "init", "-contract", contractPath)
	assert.Equal(t, cli.ExitError, code)
	assert.Equal(t, lines("unchanged", paths[:4]...)+lines("refused", ciconfig.ClusterFuzzBuild), out)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, "-force")
	b, err := os.ReadFile(build)
	require.NoError(t, err)
	assert.Equal(t, edited, b, "a refused file is left alone")

	code, out, _ = seam("ci", "init", "-contract", contractPath, "-force")
	assert.Equal(t, cli.ExitClean, code)
	assert.Equal(t, lines("unchanged", paths[:4]...)+lines("written", ciconfig.ClusterFuzzBuild), out)
}

// A team's repository gets seam from its module; paths are relative to the repository root.
func TestTeamRepositoryFiles(t *testing.T) {
	repo, contractPath := teamRepo(t, "make engines")
	files, err := ciconfig.Generate(ciconfig.Options{Contract: contractPath, Dir: repo})
	require.NoError(t, err)
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = string(f.Data)
	}
	assert.Contains(t, byPath[ciconfig.NightlyWorkflow], `git clone --depth 1 --branch main https://github.com/seamfuzz/seam "$RUNNER_TEMP/seam"`)
	assert.Contains(t, byPath[ciconfig.NightlyWorkflow], `make -C "$RUNNER_TEMP/seam" seam`)
	assert.Contains(t, byPath[ciconfig.NightlyWorkflow], "seam nightly -contract lib/contract.yaml ")
	assert.Contains(t, byPath[ciconfig.NightlyWorkflow], "go-version: stable")
	assert.Contains(t, byPath[ciconfig.ClusterFuzzDocker], "git clone --depth 1 --branch main https://github.com/seamfuzz/seam $SRC/seam\n")
	assert.Contains(t, byPath[ciconfig.ClusterFuzzBuild], "(cd lib && SEAM_BUILD_VARIANT=fuzzer make engines)\n")
	assert.Contains(t, byPath[ciconfig.ClusterFuzzBuild], `ci build-fuzzers -contract lib/contract.yaml -out "$OUT"`)
	assert.NotContains(t, byPath[ciconfig.ClusterFuzzProject], "main_repo", "no https origin: none")
	assert.NotContains(t, strings.Join([]string{byPath[ciconfig.NightlyWorkflow], byPath[ciconfig.ClusterFuzzBuild]}, ""), repo, "no absolute path")
}

func TestInitRefusesWhatItCannotWrite(t *testing.T) {
	_, noBuild := teamRepo(t, "")
	code, _, errOut := seam("ci", "init", "-contract", noBuild)
	assert.Equal(t, cli.ExitError, code)
	assert.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, "names no build command")

	_, contractPath := teamRepo(t, "make engines")
	code, _, errOut = seam("ci", "init", "-contract", contractPath, "-dir", t.TempDir())
	assert.Equal(t, cli.ExitError, code)
	assert.Contains(t, errOut, "outside the repository")

	outside := filepath.Join(t.TempDir(), "contract.yaml")
	b, err := os.ReadFile(contractPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(outside, b, 0o644))
	code, _, errOut = seam("ci", "init", "-contract", outside)
	assert.Equal(t, cli.ExitError, code)
	assert.Contains(t, errOut, "not inside a git repository: give the repository root with -dir")
}
