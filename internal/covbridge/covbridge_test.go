package covbridge

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/dl"
)

// A trace-pc instrumented library's edges reach the bridge, and different paths hit
// different slots.
func TestNativeEdgesReachTheBridge(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "f.c")
	require.NoError(t, os.WriteFile(src, []byte(`
int branchy(int x) {
	int r = 0;
	if (x & 1) r += 1; else r -= 1;
	if (x & 2) { r *= 3; if (x & 4) r ^= 7; }
	for (int i = 0; i < (x & 8); i++) r++;
	return r;
}`), 0o644))
	lib := filepath.Join(dir, "libf.so")
	out, err := exec.Command("gcc", "-O1", "-shared", "-fPIC", "-fsanitize-coverage=trace-pc", src, "-o", lib).CombinedOutput()
	require.NoError(t, err, "%s", out)
	l, err := dl.Open(lib)
	require.NoError(t, err, "the executable must export __sanitizer_cov_trace_pc")
	f, err := l.Sym("branchy")
	require.NoError(t, err)
	slotsFor := func(x int) int {
		Reset()
		callInt(f, x)
		return Feed()
	}
	a, b := slotsFor(0), slotsFor(7)
	assert.Positive(t, a)
	assert.Greater(t, b, a, "the branchier path hits more slots")
	assert.Positive(t, Edges())
}
