package cli

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/sanrt"
)

// A raw input of a target derived from the contract (what a fuzz finding's corpus entry
// holds) replays as the call trace it makes, and -emit-c writes it as a C program that
// crashes the mutant as seam's run does; the hint printed names the target.
func TestReproTargetInputEmitsC(t *testing.T) {
	dir := t.TempDir()
	// tally_top's input for cpp-token-overflow (derive's TestTallyCrashSeeds spells it):
	// tally_new ordinary; tally_top n=1; one fill (0x80: the fills are a byte's leading one
	// bits), tally_feed of a 64-byte token and a space.
	in := []byte{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x80, 0, 1, 0}
	in = binary.BigEndian.AppendUint32(in, 65)
	in = append(append(in, strings.Repeat("a", 64)+" "...), 0, 0, 0, 0)
	input := filepath.Join(dir, "finding")
	require.NoError(t, os.WriteFile(input, in, 0o644))

	code, out, errs := seam("repro", "-contract", tallyContract, "-target", "tally_top", input)
	assert.Equal(t, ExitClean, code, out+errs)
	assert.Contains(t, out, "input "+input+" (target tally.tally_top, ")
	assert.Contains(t, out, "engines cpp vs rust: agree")

	code, out, _ = seam("repro", "-contract", tallyContract, "-target", "tally_top", "-engines", "mutant:cpp-token-overflow", input)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "engine mutant:cpp-token-overflow: CRASH  heap-buffer-overflow WRITE")
	assert.Contains(t, out, "C reproducer: seam repro -contract "+tallyContract+" -target tally_top -engines mutant:cpp-token-overflow -emit-c repro.c "+input)

	cfile := filepath.Join(dir, "repro.c")
	code, out, _ = seam("repro", "-contract", tallyContract, "-target", "tally_top", "-engines", "mutant:cpp-token-overflow", "-emit-c", cfile, input)
	assert.Equal(t, ExitFindings, code, out)
	require.Contains(t, out, "wrote "+cfile+": the trace's 3 calls in C; build and run it:\n  cc ")
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	build := strings.SplitN(strings.SplitN(out, "\n  ", 2)[1], "\n", 2)[0]
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir, cmd.Env = dir, sanrt.CleanEnv(os.Environ())
	bout, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", build, bout)
	lib, err := filepath.Abs("../../build/asan/tally/mutants/cpp-token-overflow.so")
	require.NoError(t, err)
	run := exec.Command(filepath.Join(dir, "repro"), lib)
	run.Env = sanrt.CleanEnv(os.Environ())
	rout, err := run.CombinedOutput()
	require.Error(t, err, "%s", rout)
	assert.Contains(t, string(rout), "heap-buffer-overflow")
}
