// Package checkout finds seam's own source tree, where the reference boundaries, the build
// tree and the regression corpus live (commands run inside it default to them).
package checkout

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is the module path in the go.mod at the checkout's root.
const Module = "github.com/seamfuzz/seam"

// Variants are the build variants scripts/build-native.sh produces.
var Variants = []string{"debug", "release", "asan", "tsan", "cov"}

// TestVariant is the build variant the checkout's tests load: SEAM_VARIANT, default asan (the
// variant make test replays the regression corpus in).
func TestVariant() string {
	if v := os.Getenv("SEAM_VARIANT"); v != "" {
		return v
	}
	return "asan"
}

// Root is the checkout's root: SEAM_ROOT, else the first directory above the working directory
// whose go.mod declares Module.
func Root() (string, error) {
	if r := os.Getenv("SEAM_ROOT"); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find the seam checkout (a go.mod of module %s) above the working directory: run from inside it or set SEAM_ROOT", Module)
		}
		dir = parent
	}
}

func declaresModule(goMod string) bool {
	f, err := os.Open(goMod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.TrimSpace(m) == Module
		}
	}
	return false
}
