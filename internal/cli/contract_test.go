package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/checkout"
)

func TestContractCommands(t *testing.T) {
	root, err := checkout.Root()
	require.NoError(t, err)
	for _, b := range []string{"pricing", "tally"} {
		path := filepath.Join(root, "native", b, "contract.yaml")
		code, out, errs := seam("contract", "check", "-contract", path, "-variant", "debug")
		if strings.Contains(errs, "is not built") {
			t.Skipf("engines not built: %s", errs)
		}
		assert.Equal(t, ExitClean, code, out+errs)
		assert.Equal(t, "ok: the "+b+" contract fits its header and 2 engine libraries\n", out)

		code, out, errs = seam("contract", "table", "-contract", path)
		assert.Equal(t, ExitClean, code, errs)
		assert.True(t, strings.HasPrefix(out, "# "+b+": ownership table\n"), out)
	}

	// A contract that names what its header lacks: one line per problem, exit 2.
	src, err := os.ReadFile(filepath.Join(root, "native", "tally", "contract.yaml"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "include"), 0o755))
	hdr, err := os.ReadFile(filepath.Join(root, "native", "tally", "include", "tally.h"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "include", "tally.h"), hdr, 0o644))
	bad := strings.Replace(string(src), "seed: {int: any}", "salt: {int: any}", 1)
	path := filepath.Join(dir, "contract.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	code, _, out := seam("contract", "check", "-contract", path, "-engines", filepath.Join(root, "build", "debug", "tally", "libtally_cpp.so"))
	if _, err := os.Stat(filepath.Join(root, "build", "debug", "tally", "libtally_cpp.so")); err == nil {
		assert.Equal(t, ExitError, code, out)
		assert.Contains(t, out, path+":")
		assert.Contains(t, out, "tally_checksum.salt is not a parameter of tally_checksum")
		assert.Equal(t, 2, strings.Count(out, "\n"), "one line per problem: %s", out)
	}

	// init drafts from a header, and never over an existing file.
	code, out, errs := seam("contract", "init", filepath.Join(dir, "include", "tally.h"))
	assert.Equal(t, ExitClean, code, errs)
	assert.Contains(t, out, "boundary: tally")
	code, _, errs = seam("contract", "init", "-o", path, filepath.Join(dir, "include", "tally.h"))
	assert.Equal(t, ExitError, code)
	assert.Contains(t, errs, "exists")
	drafted := filepath.Join(dir, "draft.yaml")
	code, _, errs = seam("contract", "init", "-o", drafted, filepath.Join(dir, "include", "tally.h"))
	assert.Equal(t, ExitClean, code, errs)
	assert.FileExists(t, drafted)

	for _, args := range [][]string{{"contract"}, {"contract", "bogus"}, {"contract", "init"}, {"contract", "init", "/no/such.h"}} {
		code, _, errs := seam(args...)
		assert.Equal(t, ExitError, code, "%v", args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, "%v: one line, got %q", args, errs)
	}
}
