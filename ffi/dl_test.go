package ffi

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func buildLib(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	c := filepath.Join(dir, "lib.c")
	require.NoError(t, os.WriteFile(c, []byte(src), 0o644))
	so := filepath.Join(dir, "libt.so")
	out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", so, c).CombinedOutput()
	require.NoError(t, err, string(out))
	return so
}

func TestOpenSymClose(t *testing.T) {
	lib, err := Open(buildLib(t, "int seam_answer(void){return 42;}"))
	require.NoError(t, err)
	p, err := lib.Sym("seam_answer")
	require.NoError(t, err)
	assert.NotNil(t, p)
	_, err = lib.Sym("seam_missing")
	assert.ErrorIs(t, err, ErrNoSymbol)
	assert.Contains(t, err.Error(), "seam_missing")
	require.NoError(t, lib.Close())
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open("/no/such.so")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/no/such.so")
}

func TestOpenNotALibrary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.so")
	require.NoError(t, os.WriteFile(p, []byte("not elf"), 0o644))
	_, err := Open(p)
	require.Error(t, err)
}

func TestProcessHas(t *testing.T) {
	assert.True(t, ProcessHas("malloc"))
	assert.False(t, ProcessHas("seam_no_such_symbol_anywhere"))
}
