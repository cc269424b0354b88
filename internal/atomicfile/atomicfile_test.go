package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteReplacesAndWriteNewRefuses(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, WriteNew(p, []byte("one")))
	assert.ErrorIs(t, WriteNew(p, []byte("two")), os.ErrExist)
	b, _ := os.ReadFile(p)
	assert.Equal(t, "one", string(b), "WriteNew never replaces a file")
	require.NoError(t, Write(p, []byte("three")))
	b, _ = os.ReadFile(p)
	assert.Equal(t, "three", string(b))
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".tmp-*"))
	assert.Empty(t, left, "no temporary file is left behind")
}
