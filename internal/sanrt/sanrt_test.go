package sanrt

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFor(t *testing.T) {
	assert.Equal(t, ASan, For("asan"))
	assert.Equal(t, ASan, For("cov"))
	assert.Equal(t, TSan, For("tsan"))
	assert.Equal(t, None, For("debug"))
	assert.Equal(t, None, For("release"))
}

func TestEnvKeepsUserOptions(t *testing.T) {
	env := Env(ASan, []string{"ASAN_OPTIONS=detect_leaks=0"})
	assert.Contains(t, env, "ASAN_OPTIONS=detect_leaks=0")
	n := 0
	for _, kv := range env {
		if strings.HasPrefix(kv, "ASAN_OPTIONS=") {
			n++
		}
	}
	assert.Equal(t, 1, n)
	assert.Contains(t, strings.Join(env, " "), "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
}

// Ensure must re-exec the test binary with each runtime really loaded.
func TestEnsureLoadsRuntime(t *testing.T) {
	if want := os.Getenv("SEAM_SANRT_CHILD"); want != "" {
		if err := Ensure(Runtime(want)); err != nil {
			println("ensure:", err.Error())
			os.Exit(3)
		}
		if Loaded() != Runtime(want) {
			os.Exit(4)
		}
		if os.Getenv("LD_PRELOAD") != "" {
			os.Exit(5) // tools started from here must not inherit the sanitizer
		}
		os.Exit(0)
	}
	require.Equal(t, None, Loaded(), "the plain test binary has no sanitizer runtime")
	for _, rt := range []Runtime{ASan, TSan} {
		if _, err := Path(rt); err != nil {
			t.Skipf("no %s runtime here: %v", rt, err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnsureLoadsRuntime$")
		cmd.Env = append(os.Environ(), "SEAM_SANRT_CHILD="+string(rt))
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "runtime %s: %s", rt, out)
	}
}

func TestCleanEnv(t *testing.T) {
	env := CleanEnv([]string{"A=1", "LD_PRELOAD=/x.so", reexecMarker + "=/x.so", "B=2"})
	assert.Equal(t, []string{"A=1", "B=2"}, env)
}
