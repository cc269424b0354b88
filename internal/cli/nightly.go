package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/fuzz"
)

func init() {
	register("nightly", "the nightly job: build, ABI, corpus replay, fuzz, import, reports (exit 1 on anything new)", runNightly)
}

func runNightly(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("nightly", stderr)
	var ef engineFlags
	ef.register(fs)
	budget := fs.Duration("budget", 3*time.Minute, "fuzzing budget for the whole night (e.g. 8h)")
	out := fs.String("out", "out/nightly", "report directory")
	statePath := fs.String("state", "", "state file of known signatures and throughput (default: <out>/../state/state.json)")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	targetList := fs.String("targets", "all", "fuzz targets to run, comma-separated ("+strings.Join(fuzz.Names(), ", ")+")")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	targets, err := campaign.Targets(*targetList)
	if err != nil {
		return fail(stderr, "nightly", asUsage(err))
	}
	if *targetList == "all" {
		targets = nil // the report says "all targets"
	}
	setReportRoot()
	self, _ := os.Executable()
	run, err := campaign.Nightly(context.Background(), campaign.NightlyConfig{Specs: ef.specs(), Budget: *budget, OutDir: *out,
		StatePath: *statePath, CorpusDir: *dir, Targets: targets, Seam: self, Out: stdout})
	if err != nil {
		return fail(stderr, "nightly", err)
	}
	switch run.Verdict {
	case campaign.VerdictError:
		return ExitError
	case campaign.VerdictNewFindings:
		return ExitFindings
	}
	return ExitClean
}
