package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A team's repository holds a contract, its header and built libraries, and nothing of seam's:
// the installed seam binary works there (no checkout to find, the sanitizer re-exec included).
func TestSeamRunsInATeamsRepository(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	// Installed as `make seam` leaves it: the binary and its fuzz worker binary side by side.
	bindir := t.TempDir()
	bin := filepath.Join(bindir, "seam")
	for _, args := range [][]string{{"build", "-o", bin, "."}, {"test", "-c", "-fuzz=.", "-o", filepath.Join(bindir, "seam-fuzz.test"), "../../fuzz"}} {
		build := exec.Command("go", args...)
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
		built, err := build.CombinedOutput()
		require.NoError(t, err, "%s", built)
	}

	team := t.TempDir()
	copyFile(t, filepath.Join(root, "native/tally/include/tally.h"), filepath.Join(team, "include/tally.h"))
	for _, v := range []string{"debug", "asan", "tsan"} {
		for _, e := range []string{"cpp", "rust"} {
			src := filepath.Join(root, "build", v, "tally", "libtally_"+e+".so")
			if _, err := os.Stat(src); err != nil {
				t.Skipf("%s is not built: run make native", src)
			}
			name := map[string]string{"cpp": "old", "rust": "new"}[e]
			copyFile(t, src, filepath.Join(team, "build", v, "lib"+name+".so"))
		}
	}
	c, err := os.ReadFile(filepath.Join(root, "native/tally/contract.yaml"))
	require.NoError(t, err)
	text := string(c)
	text = strings.Replace(text, "  cpp: ../../build/{variant}/tally/libtally_cpp.so\n  rust: ../../build/{variant}/tally/libtally_rust.so\n",
		"  old: build/{variant}/libold.so\n  new: build/{variant}/libnew.so\n", 1)
	text = strings.Replace(text, "mutants: ../../build/{variant}/tally/mutants/{name}.so\n", "", 1)
	text = strings.Replace(text, "build: make -C ../.. native\n", "", 1)
	require.NotContains(t, text, "../..", "the team's contract names nothing of seam's checkout")
	require.NoError(t, os.WriteFile(filepath.Join(team, "contract.yaml"), []byte(text), 0o644))

	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = team
		cmd.Env = cleanEnv()
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), b.String()
		}
		require.NoError(t, err)
		return 0, b.String()
	}
	code, out := run("contract", "check", "-contract", "contract.yaml")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, "ok: the tally contract fits its header and 2 engine libraries\n", out)
	code, out = run("contract", "table", "-contract", "contract.yaml")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "| `tally_top` |")
	code, out = run("abi", "-contract", "contract.yaml", "-engines", "./build/debug/libold.so,./build/debug/libnew.so")
	assert.Equal(t, 0, code, out)
	assert.Equal(t, 2, strings.Count(out, "ok    engine="), out)
	code, out = run("abi", "-contract", "contract.yaml", "-variant", "asan")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "engine=old abi=2")
	assert.Contains(t, out, "engine=new abi=2")
	code, out = run("abi", "-contract", "contract.yaml", "-variant", "asan", "-engines", "mine=build/{variant}/libnew.so")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "engine=mine abi=2")
	assert.Contains(t, out, filepath.Join(team, "build/asan/libnew.so"))

	// A production call trace: a verdict per engine (each in an isolated child of the
	// installed binary), the differential, -save into the team's corpus, and a library given
	// by its path that crashes on it.
	trace := `{"id": "req-1", "calls": [{"call": "tally_new", "args": {"opts": {"mode": "TALLY_MODE_WORDS", "flags": 1, "min_len": 1}}, "as": "t"}, {"call": "tally_feed", "args": {"t": "$t", "data": {"text": "abc abc"}}}, {"call": "tally_finish", "args": {"t": "$t"}}, {"call": "tally_count", "args": {"t": "$t", "token": {"text": "abc"}}}]}`
	require.NoError(t, os.WriteFile(filepath.Join(team, "trace.json"), []byte(trace+"\n"), 0o644))
	code, out = run("repro", "-contract", "contract.yaml", "-save", "trace.json")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "engine old: clean  engine=old: 4 calls:")
	assert.Contains(t, out, "tally_count -> ok count=2")
	assert.Contains(t, out, "engines old vs new: agree")
	assert.Contains(t, out, "saved as tally.trace/")
	saved, _ := filepath.Glob(filepath.Join(team, "corpus", "tally.trace", "*.json"))
	assert.Len(t, saved, 1)
	mutant := filepath.Join(root, "build", "asan", "tally", "mutants", "cpp-count-overread.so")
	if _, err := os.Stat(mutant); err == nil {
		copyFile(t, mutant, filepath.Join(team, "build", "asan", "libbad.so"))
		code, out = run("repro", "-contract", "contract.yaml", "-engines", "./build/asan/libbad.so", "-emit-c", "repro.c", "trace.json")
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, "CRASH  heap-buffer-overflow READ | tally_count | guard | tally_count")
		assert.Contains(t, out, "cc -g -fsanitize=address,undefined -I"+filepath.Join(team, "include")+" repro.c -ldl -o ./repro")
		assert.FileExists(t, filepath.Join(team, "repro.c"))
		code, out = run("repro", "-contract", "contract.yaml", "-engines", "./build/asan/libbad.so", "trace.json")
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, "C reproducer: seam repro -contract contract.yaml -engines ./build/asan/libbad.so -emit-c repro.c trace.json\n")

		// Fuzzing the contract's derived target, go test -fuzz workers included: the crash is
		// confirmed, saved in the team's corpus, and its reproduce command works.
		code, out = run("fuzz", "-contract", "contract.yaml", "-engines", "old,./build/asan/libbad.so", "-target", "tally_count", "-budget", "20s", "-parallel", "2")
		assert.Equal(t, 1, code, out)
		assert.Contains(t, out, "NEW CRASH")
		assert.Contains(t, out, "heap-buffer-overflow READ | tally_count | guard | tally_count")
		assert.Contains(t, out, "engine=libbad="+filepath.Join(team, "build/asan/libbad.so")+" variant=asan")
		entries, _ := filepath.Glob(filepath.Join(team, "corpus", "tally.tally_count", "*.json"))
		require.NotEmpty(t, entries, out)
		i := strings.Index(out, "reproduce: seam repro -contract contract.yaml")
		require.GreaterOrEqual(t, i, 0, out)
		cmdline := strings.Fields(strings.SplitN(out[i+len("reproduce: seam "):], "\n", 2)[0])
		code, out = run(cmdline...)
		assert.Equal(t, 1, code, out)
		assert.Regexp(t, `engine libbad: CRASH  \S+ READ \| tally_count \| guard \| tally_count`, out)

		// The nightly job of the team's boundary: every step from the contract, the four
		// reports, the finding already in the team's corpus known, and nothing else new.
		code, out = run("nightly", "-contract", "contract.yaml", "-targets", "tally_count,tally_top", "-budget", "12s", "-out", "out/nightly")
		assert.Contains(t, []int{0, 1}, code, out)
		for _, f := range []string{"summary.md", "report.json", "junit.xml", "results.sarif"} {
			assert.FileExists(t, filepath.Join(team, "out", "nightly", f), out)
		}
		md, err := os.ReadFile(filepath.Join(team, "out", "nightly", "summary.md"))
		require.NoError(t, err)
		assert.Contains(t, string(md), "Boundaries: **tally** (`contract.yaml`: old, new).")
		for _, step := range []string{"[tally] contract check + abi", "[tally] replay corpus", "[tally] fuzz", "[tally] stress (asan", "[tally] threads"} {
			assert.Contains(t, string(md), "| "+step, "summary.md names the step")
		}
	}

	// Without -contract, outside the checkout: one line that says what to do.
	code, out = run("abi")
	assert.Equal(t, 2, code)
	assert.Equal(t, "seam abi: no -contract given and not inside the seam checkout: give -contract FILE (or set SEAM_CONTRACT) (see seam abi -h)\n", out)
}

// cleanEnv is the environment without seam's own settings, as a team's shell has it.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEAM_") && !strings.HasPrefix(kv, "LD_PRELOAD=") && !strings.HasPrefix(kv, "ASAN_OPTIONS=") {
			env = append(env, kv)
		}
	}
	return env
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, b, 0o755))
}
