package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/seamfuzz/seam/report"
)

func init() {
	register("triage", "parse a sanitizer/panic/hang log (FILE or -): TYPE, TITLE, SIGNATURE, FRAME lines", runTriage)
}

// runTriage uses the same parser as every other command, so a signature printed here matches
// the corpus and the nightly report.
func runTriage(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("triage", stderr)
	excerpt := fs.Bool("excerpt", false, "also print the report's first lines")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return fail(stderr, "triage", usageError{"give one log file, or - for standard input"})
	}
	var data []byte
	var err error
	if fs.Arg(0) == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(fs.Arg(0))
	}
	if err != nil {
		return fail(stderr, "triage", err)
	}
	setReportRoot()
	r, ok := report.Parse(data)
	if !ok {
		fmt.Fprintln(stdout, "no crash report found")
		return ExitClean
	}
	for _, l := range r.Lines() {
		fmt.Fprintln(stdout, l)
	}
	if *excerpt {
		fmt.Fprintln(stdout, "\n"+r.Excerpt)
	}
	return ExitFindings
}
