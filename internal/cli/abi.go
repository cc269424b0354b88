package cli

import (
	"fmt"
	"io"

	"github.com/seamfuzz/seam/abi"
)

func init() {
	register("abi", "check that every engine agrees with the header on ABI version and struct layout (DWARF and the contract's layout function)", runABI)
}

// runABI prints one line per engine; any skew exits 1 with one line per struct field that
// disagrees, naming both values.
func runABI(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("abi", stderr)
	var bf boundaryFlags
	bf.register(fs)
	verbose := fs.Bool("v", false, "also print layout notes (fields the engine names differently)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	b, libs, err := bf.open()
	if err != nil {
		return fail(stderr, "abi", err)
	}
	code := ExitClean
	for _, l := range libs {
		e, err := b.Open(l.name, l.path)
		if err != nil {
			return fail(stderr, "abi", err)
		}
		r, err := abi.CheckEngine(b, e)
		if err != nil {
			return fail(stderr, "abi", err)
		}
		state := "ok   "
		if !r.OK() {
			state, code = "SKEW ", ExitFindings
		}
		fmt.Fprintf(stdout, "%s engine=%s abi=%d dwarf=%d layout=%d  %s\n", state, l.name, r.Version, r.DWARF.Checked, len(b.Contract.ABI.LayoutFields), r.Path)
		for _, line := range r.Lines(*verbose) {
			fmt.Fprintf(stdout, "      %s\n", line)
		}
		e.Close()
	}
	return code
}
