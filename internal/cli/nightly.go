package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seamfuzz/seam/campaign"
)

func init() {
	register("nightly", "the nightly job: build, ABI, corpus replay, fuzz, import, reports (exit 1 on anything new)", runNightly)
}

func runNightly(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("nightly", stderr)
	var ef engineFlags
	ef.register(fs)
	fs.Lookup("engines").Usage = "engines of every boundary, comma-separated (default: each contract's own; meant for one -contract, e.g. a mutant against the reference)"
	contracts := fs.String("contract", os.Getenv("SEAM_CONTRACT"), "the boundaries' contract files, comma-separated (default: every native/*/contract.yaml of the seam checkout; env SEAM_CONTRACT)")
	budget := fs.Duration("budget", 3*time.Minute, "fuzzing budget for the whole night (e.g. 8h)")
	out := fs.String("out", "out/nightly", "report directory")
	statePath := fs.String("state", "", "state file of known signatures and throughput (default: <out>/../state/state.json)")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	targetList := fs.String("targets", "all", "fuzz targets to run, comma-separated: a contract's target names (`seam fuzz -contract F -list`)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *budget <= 0 {
		return fail(stderr, "nightly", usageError{"-budget must be positive"})
	}
	cfg := campaign.NightlyConfig{Budget: *budget, OutDir: *out, StatePath: *statePath, CorpusDir: *dir, Out: stdout}
	if *contracts != "" {
		for _, c := range strings.Split(*contracts, ",") {
			cfg.Contracts = append(cfg.Contracts, strings.TrimSpace(c))
		}
	}
	if flagSet(fs, "engines") || os.Getenv("SEAM_ENGINES") != "" {
		cfg.Specs = ef.specs()
	}
	if *targetList != "all" {
		cfg.Targets = strings.Split(*targetList, ",")
	}
	setReportRoot()
	cfg.Seam, _ = os.Executable()
	run, err := campaign.Nightly(context.Background(), cfg)
	if err != nil {
		return fail(stderr, "nightly", asUsage(err))
	}
	switch run.Verdict {
	case campaign.VerdictError:
		return ExitError
	case campaign.VerdictNewFindings:
		return ExitFindings
	}
	return ExitClean
}
