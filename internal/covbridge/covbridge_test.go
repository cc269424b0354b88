package covbridge

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ffi"
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
	l, err := ffi.Open(lib)
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

// Every edge of a module gets its own slot: 1000 sibling branches (which hashing PCs into 4096
// slots merged by the dozen) reach 1000 distinct slots, the same in a second process.
func TestEachEdgeSiteHasItsOwnSlot(t *testing.T) {
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("int branchy(int x) {\n\tint r = 0;\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&src, "\tif (x == %d) r += %d;\n", i, i*7+1)
	}
	src.WriteString("\treturn r;\n}\n")
	lib := filepath.Join(dir, "libmany.so")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "many.c"), []byte(src.String()), 0o644))
	out, err := exec.Command("gcc", "-O0", "-shared", "-fPIC", "-fsanitize-coverage=trace-pc", filepath.Join(dir, "many.c"), "-o", lib).CombinedOutput()
	require.NoError(t, err, "%s", out)
	l, err := ffi.Open(lib)
	require.NoError(t, err)
	f, err := l.Sym("branchy")
	require.NoError(t, err)
	common := map[uint16]bool{}
	Reset()
	callInt(f, -1)
	for _, s := range LastSlots() {
		common[s] = true
	}
	own := map[uint16]int{}
	for x := 0; x < 1000; x++ {
		Reset()
		callInt(f, x)
		for _, s := range LastSlots() {
			if !common[s] {
				own[s]++
			}
		}
	}
	assert.Equal(t, 1000, len(own), "each taken branch must reach a slot of its own")
	for s, n := range own {
		assert.Equal(t, 1, n, "slot %d is shared by %d branches", s, n)
	}
}
