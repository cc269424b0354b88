package engine

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/seamfuzz/seam/internal/sanrt"
)

// Variants are the build variants scripts/build-native.sh produces.
var Variants = []string{"debug", "release", "asan", "tsan", "cov"}

// BuiltinEngines are the engine names resolved inside the build tree.
var BuiltinEngines = []string{"cpp", "rust"}

// Root finds the repository root (the directory holding native/pricing/include/seam_pricing.h) from
// SEAM_ROOT or by walking up from the working directory.
func Root() (string, error) {
	if r := os.Getenv("SEAM_ROOT"); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "native", "pricing", "include", "seam_pricing.h")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find the seam repository (native/pricing/include/seam_pricing.h) above the working directory: run from inside it or set SEAM_ROOT")
		}
		dir = parent
	}
}

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
		return "", fmt.Errorf("unknown variant %q: use one of %s", variant, strings.Join(Variants, ", "))
	}
	root, err := Root()
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
	for _, x := range Variants {
		if v == x {
			return true
		}
	}
	return false
}

// RuntimeOf inspects a library's dynamic section: an ASan or TSan build imports the runtime's
// symbols (gcc adds libasan/libtsan to DT_NEEDED; rustc -Zsanitizer leaves __asan_* undefined).
func RuntimeOf(path string) (sanrt.Runtime, error) {
	f, err := elf.Open(path)
	if err != nil {
		return sanrt.None, err
	}
	defer f.Close()
	libs, _ := f.ImportedLibraries()
	for _, l := range libs {
		switch {
		case strings.HasPrefix(l, "libasan"):
			return sanrt.ASan, nil
		case strings.HasPrefix(l, "libtsan"):
			return sanrt.TSan, nil
		}
	}
	syms, _ := f.ImportedSymbols()
	for _, s := range syms {
		switch {
		case strings.HasPrefix(s.Name, "__asan_"):
			return sanrt.ASan, nil
		case strings.HasPrefix(s.Name, "__tsan_"):
			return sanrt.TSan, nil
		}
	}
	return sanrt.None, nil
}
