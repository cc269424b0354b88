package cli

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/seamfuzz/seam/campaign"
)

func init() {
	register("repro", "replay one input (production JSON request, corpus file, raw bytes) or a JSON Lines log: a verdict per engine", runRepro)
}

func runRepro(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("repro", stderr)
	var ef engineFlags
	ef.register(fs)
	if !flagSet(fs, "variant") && os.Getenv("SEAM_VARIANT") == "" {
		fs.Lookup("variant").Value.Set("asan")
		fs.Lookup("variant").DefValue = "asan"
	}
	target := fs.String("target", "", "target of a raw input file (corpus files and JSON requests know theirs)")
	jsonReq := fs.String("json", "", "a production request as JSON: {\"request_id\": ..., \"request\": {...}, \"rules\": ...}")
	save := fs.Bool("save", false, "add the input to the corpus (source production for requests)")
	timeout := fs.Duration("timeout", 10*time.Second, "hang timeout per input")
	logDir := fs.String("log", "", "write each engine's full output to DIR/<engine>.log")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	setReportRoot()
	var inputs []campaign.Input
	var err error
	switch {
	case *jsonReq != "":
		inputs, err = campaign.RequestInputs([]byte(*jsonReq), "-json")
	case fs.NArg() == 1:
		inputs, err = campaign.FileInputs(fs.Arg(0), *target)
	default:
		return fail(stderr, "repro", usageError{"give one FILE, - (stdin) or -json '{...}'"})
	}
	if err != nil {
		return fail(stderr, "repro", asUsage(err))
	}
	if _, err := ef.resolve(); err != nil {
		return fail(stderr, "repro", err)
	}
	findings, err := campaign.Repro(context.Background(), campaign.ReproConfig{Specs: ef.specs(), Variant: ef.variant, Timeout: *timeout,
		Save: *save, CorpusDir: corpusDirDefault(), LogDir: *logDir, Out: stdout, Progress: stderr}, inputs)
	if err != nil {
		return fail(stderr, "repro", err)
	}
	if len(findings) > 0 {
		return ExitFindings
	}
	return ExitClean
}
