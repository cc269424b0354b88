package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EngineNames lists the contract's engines, the reference first.
func (c *Contract) EngineNames() []string {
	out := make([]string, len(c.Engines))
	for i, e := range c.Engines {
		out[i] = e.Name
	}
	return out
}

// Library turns an engine spec into the path of its library in a build variant:
//   - an engine the contract names (cpp, rust)  -> its pattern with {variant}
//   - "mutant:NAME"                              -> the mutants pattern with {variant} and {name}
//   - "NAME=PATTERN"                             -> PATTERN with {variant} (a build the contract does not name)
//   - anything else                              -> the path of a library, as given
//
// A library that is not there is an error that says how to get it.
func (c *Contract) Library(spec, variant string) (string, error) {
	if spec == "" {
		return "", fmt.Errorf("empty engine name: use %s, mutant:NAME or a library path", strings.Join(c.EngineNames(), ", "))
	}
	var path, what string
	if name, pattern, ok := strings.Cut(spec, "="); ok {
		path, what = strings.ReplaceAll(pattern, "{variant}", variant), fmt.Sprintf("engine %s (variant %s)", name, variant)
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	} else if name, ok := strings.CutPrefix(spec, "mutant:"); ok {
		if c.Mutants == "" {
			return "", fmt.Errorf("engine %s: contract %s names no mutants pattern", spec, c.Path)
		}
		path = strings.NewReplacer("{variant}", variant, "{name}", name).Replace(c.Mutants)
		what = fmt.Sprintf("mutant %s (variant %s)", name, variant)
	} else {
		for _, e := range c.Engines {
			if e.Name == spec {
				path = strings.ReplaceAll(e.Library, "{variant}", variant)
				what = fmt.Sprintf("engine %s (variant %s)", spec, variant)
			}
		}
	}
	if path == "" {
		abs, err := filepath.Abs(spec)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("engine %s: no such library; give %s, mutant:NAME or the path of a .so", spec, strings.Join(c.EngineNames(), ", "))
		}
		return abs, nil
	}
	if _, err := os.Stat(path); err != nil {
		hint := "build it"
		if c.Build != "" && !strings.Contains(spec, "=") {
			hint = fmt.Sprintf("build it (`%s` in %s)", c.Build, c.Dir)
		}
		return "", fmt.Errorf("%s: %s is not built: %s", what, path, hint)
	}
	return path, nil
}
