// Package refheader gives seam's tests the headers of the two reference
// boundaries: their paths, and the struct layouts the C compiler gives them
// through cgo, to hold a header parser to.
package refheader

import (
	"fmt"
	"os"
	"path/filepath"
)

// Pricing and Tally are the reference headers, relative to the repository root.

const (
	Pricing = "native/pricing/include/seam_pricing.h"
	Tally   = "native/tally/include/tally.h"
)

// Path returns the absolute path of rel, a path relative to the repository
// root, found by walking up from the working directory to go.mod.
func Path(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: cannot find %s", rel)
		}
		dir = parent
	}
}
