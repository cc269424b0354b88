package main_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/contract"
)

// Every spec plug-in a contract of the checkout names is linked into the seam binary, the fuzz
// worker and the tests that run seam's commands in-process (scripts/link-specs.sh writes the
// files): a contract whose spec is not linked
// would make derive.Plan refuse its targets.
func TestSpecPluginsLinked(t *testing.T) {
	paths, err := filepath.Glob("../../native/*/contract.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, file := range []string{"specs.go", "../../fuzz/specs_test.go", "../../fuzz/libfuzzer/specs.go", "../../internal/cli/specs_test.go", "../../campaign/specs_test.go", "../../internal/libfuzzer/specs_test.go"} {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, p := range paths {
			c, err := contract.Load(p)
			require.NoError(t, err)
			if c.Spec != "" {
				assert.Contains(t, string(b), `_ "`+c.Spec+`"`, "%s does not link %s's spec: run scripts/link-specs.sh", file, c.Boundary)
			}
		}
	}
}
