package abi_test

import (
	"errors"
	"fmt"

	"github.com/seamfuzz/seam/abi"
	"github.com/seamfuzz/seam/native/pricing/layout"
)

// The caller's side of the check: one skip line for a library without debug info, one line
// per skew otherwise.
func ExampleCompare() {
	for _, path := range []string{"../build/debug/libseam_rust.so", "../build/debug/mutants/cpp-layout-skew.so"} {
		lib, err := abi.ReadDWARF(path)
		if errors.Is(err, abi.ErrNoDebugInfo) {
			fmt.Printf("abi: %v, layout check skipped\n", err)
			continue
		}
		if err != nil {
			fmt.Println("abi:", err)
			continue
		}
		r := abi.Compare(lib, layout.Pricing())
		fmt.Printf("%s: %d layouts checked, ok=%v\n", path, r.Checked, r.OK())
		lines := r.Lines(false)
		for _, line := range lines[:min(2, len(lines))] {
			fmt.Println("  " + line)
		}
	}
	// Output:
	// ../build/debug/libseam_rust.so: 2 layouts checked, ok=true
	// ../build/debug/mutants/cpp-layout-skew.so: 2 layouts checked, ok=false
	//   layout skew: pricing_quote param 1 req (pricing_request): sizeof: engine DWARF says 48, header says 40
	//   layout skew: pricing_quote param 1 req (pricing_request): offsetof(item_count): engine DWARF says 8, header says 4
}
