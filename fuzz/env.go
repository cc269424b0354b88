// Package fuzz is the go test -fuzz side of seam: FuzzContract runs any target derived from a
// contract (package derive; SEAM_CONTRACT and SEAM_TARGET name it, SEAM_ENGINES defaults to the
// contract's engines, SEAM_VARIANT to asan), with the worker machinery around it (known
// crashes, the coverage bridge, comparison solving) and the regression corpus replay. The same
// targets run in seam's isolated children (ContractJobKind) and in libFuzzer mode
// (fuzz/libfuzzer).
package fuzz

import (
	"os"
	"strings"
)

// EngineSpecs reads SEAM_ENGINES (nil when unset: the contract's engines).
func EngineSpecs() []string {
	var out []string
	for _, s := range strings.Split(os.Getenv("SEAM_ENGINES"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Variant reads SEAM_VARIANT.
func Variant() string {
	if v := os.Getenv("SEAM_VARIANT"); v != "" {
		return v
	}
	return "asan"
}
