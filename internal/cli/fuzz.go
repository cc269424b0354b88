package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
)

func init() {
	register("fuzz", "fuzz every target (go test -fuzz under a supervisor that keeps going), saving findings to the corpus", runFuzz)
}

func runFuzz(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fuzz", stderr)
	var ef engineFlags
	ef.register(fs)
	if !flagSet(fs, "variant") && os.Getenv("SEAM_VARIANT") == "" {
		fs.Lookup("variant").Value.Set("asan")
	}
	target := fs.String("target", "all", "target name or all ("+strings.Join(fuzz.Names(), ", ")+")")
	budget := fs.Duration("budget", 5*time.Minute, "total fuzzing time, split over the targets")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	timeout := fs.Duration("timeout", 10*time.Second, "hang timeout when confirming a crasher")
	parallel := fs.Int("parallel", 0, "fuzz workers per target (default GOMAXPROCS)")
	state := fs.String("state", "", "fuzzer state kept between runs (generated corpora; default build/fuzz); a fresh directory starts from nothing but -corpus")
	mode := fs.String("mode", campaign.ModeGoTest, "gotest (go test -fuzz) or libfuzzer (each target as a libFuzzer binary, clang-19; -parallel is ignored)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *mode != campaign.ModeGoTest && *mode != campaign.ModeLibFuzzer {
		return fail(stderr, "fuzz", usageError{fmt.Sprintf("unknown -mode %q (want gotest or libfuzzer)", *mode)})
	}
	if *budget <= 0 {
		return fail(stderr, "fuzz", usageError{"-budget must be positive"})
	}
	targets, err := campaign.Targets(*target)
	if err != nil {
		return fail(stderr, "fuzz", asUsage(err))
	}
	if _, err := ef.resolve(); err != nil {
		return fail(stderr, "fuzz", err)
	}
	root, err := engine.Root()
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	setReportRoot()
	res, err := campaign.Fuzz(context.Background(), campaign.FuzzConfig{
		Targets: targets, Specs: ef.specs(), Variant: ef.variant, Budget: *budget, CorpusDir: *dir,
		WorkDir: filepath.Join(root, "build", "fuzz"), StateDir: *state, Timeout: *timeout, Parallel: *parallel, Out: stdout, Mode: *mode,
	})
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	res.WriteSummary(stdout)
	if res.NewCount() > 0 {
		return ExitFindings
	}
	return ExitClean
}
