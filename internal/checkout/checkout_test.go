package checkout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The root is found from any directory below it, and nowhere else (a team's repository with a
// go.mod of its own is not seam's checkout).
func TestRootIsTheModulesDirectory(t *testing.T) {
	t.Setenv("SEAM_ROOT", "")
	root, err := Root()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "internal", "checkout", "checkout.go"))

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/team\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(other, "sub"), 0o755))
	t.Chdir(filepath.Join(other, "sub"))
	_, err = Root()
	assert.ErrorContains(t, err, "cannot find the seam checkout")
}
