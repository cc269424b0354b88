package cli

import (
	"fmt"
	"io"

	"github.com/seamfuzz/seam/engine"
)

func init() {
	register("abi", "check that every engine agrees with the header on ABI version and struct layout", runABI)
}

// runABI prints one line per engine; any skew exits 1 naming struct, field and both values.
func runABI(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("abi", stderr)
	var ef engineFlags
	ef.register(fs)
	verbose := fs.Bool("v", false, "print every compared size and offset")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	paths, err := ef.resolve()
	if err != nil {
		return fail(stderr, "abi", err)
	}
	engines, err := openEngines(paths)
	if err != nil {
		return fail(stderr, "abi", err)
	}
	code := ExitClean
	for _, e := range engines {
		r := engine.CheckABI(e)
		if r.OK() {
			fmt.Fprintf(stdout, "ok    engine=%s abi=%d layout=%d values agree  %s\n", r.Engine, r.Version, len(r.Fields), r.Path)
		} else {
			code = ExitFindings
			fmt.Fprintf(stdout, "SKEW  engine=%s abi=%d  %s\n", r.Engine, r.Version, r.Path)
			for _, p := range r.Problems() {
				fmt.Fprintf(stdout, "      %s\n", p)
			}
		}
		if *verbose {
			for _, f := range r.Fields {
				fmt.Fprintf(stdout, "      %-18s %-18s engine=%-4d go=%d\n", f.Struct, f.Field, f.Engine, f.Go)
			}
		}
	}
	return code
}
