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
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/checkout"
)

func init() {
	register("fuzz", "fuzz every target (go test -fuzz under a supervisor that keeps going), saving findings to the corpus", runFuzz)
}

func runFuzz(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fuzz", stderr)
	var bf boundaryFlags
	bf.register(fs)
	fs.Lookup("contract").Usage = "fuzz the targets derived from this contract file (default: the pricing example's, inside the seam checkout; env SEAM_CONTRACT)"
	if !flagSet(fs, "variant") && os.Getenv("SEAM_VARIANT") == "" {
		fs.Lookup("variant").Value.Set("asan")
	}
	target := fs.String("target", "all", "target names or all: the contract's derived targets, as `seam fuzz -contract F -list` lists them")
	first := fs.Bool("first", false, "stop at the first new finding")
	list := fs.Bool("list", false, "list the contract's targets and exit")
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
	cfg := campaign.FuzzConfig{Variant: bf.variant, Budget: *budget, CorpusDir: *dir, StateDir: *state, Timeout: *timeout,
		Parallel: *parallel, Out: stdout, Mode: *mode, StopAtFirst: *first}
	path, err := bf.contractPath()
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	c, err := contract.Load(path)
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	if *list {
		names, err := campaign.ContractTargetNames(c.Path)
		if err != nil {
			return fail(stderr, "fuzz", err)
		}
		fmt.Fprintln(stdout, strings.Join(names, "\n"))
		return ExitClean
	}
	libs, err := bf.libraries(c)
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	cfg.Contract = c.Path
	for _, l := range libs {
		cfg.Specs = append(cfg.Specs, l.workerSpec(c))
	}
	if *target != "all" {
		cfg.Targets = strings.Split(*target, ",")
	}
	// Outside a checkout the work goes beside the contract.
	cfg.WorkDir = filepath.Join(c.Dir, "build", "fuzz")
	if root, err := checkout.Root(); err == nil {
		cfg.WorkDir = filepath.Join(root, "build", "fuzz")
	}
	if !flagSet(fs, "corpus") && os.Getenv("SEAM_CORPUS") == "" {
		if _, err := checkout.Root(); err != nil {
			cfg.CorpusDir = filepath.Join(c.Dir, "corpus")
		}
	}
	setReportRoot()
	res, err := campaign.Fuzz(context.Background(), cfg)
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	res.WriteSummary(stdout)
	if res.NewCount() > 0 {
		return ExitFindings
	}
	return ExitClean
}
