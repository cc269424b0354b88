package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seamfuzz/seam/internal/checkout"
)

// BuiltinEngines are the engine names resolved inside the build tree.
var BuiltinEngines = []string{"cpp", "rust"}

// Resolve turns an engine spec into a library path:
//   - "cpp", "rust"                                → build/<variant>/libseam_<name>.so
//   - "mutant:NAME", "native/pricing/mutants/NAME" → build/<variant>/mutants/NAME.so
//   - anything else                                → a path to a .so implementing the contract
func Resolve(spec, variant string) (string, error) {
	if spec == "" {
		return "", fmt.Errorf("empty engine name: use cpp, rust, mutant:NAME or a path to a .so")
	}
	name, isMutant := mutantName(spec)
	isBuiltin := false
	for _, b := range BuiltinEngines {
		isBuiltin = isBuiltin || spec == b
	}
	if !isBuiltin && !isMutant {
		if _, err := os.Stat(spec); err != nil {
			return "", fmt.Errorf("engine %s: no such library; give cpp, rust, mutant:NAME or the path of a .so", spec)
		}
		return filepath.Abs(spec)
	}
	if !validVariant(variant) {
		return "", fmt.Errorf("unknown variant %q: use one of %s", variant, strings.Join(checkout.Variants, ", "))
	}
	root, err := checkout.Root()
	if err != nil {
		return "", err
	}
	var p string
	if isMutant {
		p = filepath.Join(root, "build", variant, "mutants", name+".so")
	} else {
		p = filepath.Join(root, "build", variant, "libseam_"+spec+".so")
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("engine %s (variant %s): %s is not built: run `make native`", spec, variant, p)
	}
	return p, nil
}

func mutantName(spec string) (string, bool) {
	if n, ok := strings.CutPrefix(spec, "mutant:"); ok {
		return n, true
	}
	clean := filepath.ToSlash(filepath.Clean(spec))
	if i := strings.Index(clean, "native/pricing/mutants/"); i >= 0 && !strings.HasSuffix(clean, ".so") {
		return strings.TrimSuffix(clean[i+len("native/pricing/mutants/"):], ".patch"), true
	}
	return "", false
}

func validVariant(v string) bool {
	for _, x := range checkout.Variants {
		if v == x {
			return true
		}
	}
	return false
}
