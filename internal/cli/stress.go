package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/stress"
)

func init() {
	register("stress", "concurrent loops on one engine: the contract's operations, crash isolation with culprit replay, hangs, leaks, RSS trend", runStress)
}

func runStress(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stress", stderr)
	var bf boundaryFlags
	bf.register(fs)
	workers := fs.Int("workers", runtime.NumCPU()*4, "concurrent workers")
	duration := fs.Duration("duration", 60*time.Second, "how long to run (per engine)")
	calls := fs.Int64("calls", 0, "stop after this many calls (per engine; 0 = use -duration)")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	out := fs.String("out", "", "directory for rss.svg and rss.json (optional)")
	maxRSS := fs.Int64("max-rss", 0, "stop the loops when the child's RSS passes this many MiB (0 = 3072)")
	maxSlope := fs.Float64("max-slope", 1<<20, "RSS growth in bytes per million calls that counts as a finding")
	pool := fs.Int("pool", stress.DefaultPoolSize, "prepared inputs per worker (a power of two)")
	refresh := fs.Int("refresh", 0, "calls per worker between replacing one prepared input by a freshly generated one (1 = a new input nearly every call, slower; 0 = every 128 calls or more, so that generating inputs takes at most a sixteenth of the time of the calls)")
	weights := fs.String("weights", "", "operation weights, OPERATION=N,... (a function, FUNC/private or cycle/TYPE; 0 leaves it out); default: the contract's")
	replay := fs.String("replay", "", "replay one stress input (a corpus entry of <boundary>.stress) alone on each engine, instead of running the loops")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	path, err := bf.contractPath()
	if err != nil {
		return fail(stderr, "stress", err)
	}
	c, err := contract.Load(path)
	if err != nil {
		return fail(stderr, "stress", err)
	}
	if _, err := bf.libraries(c); err != nil {
		return fail(stderr, "stress", err)
	}
	specs := bf.specs()
	if !flagSet(fs, "engines") && os.Getenv("SEAM_ENGINES") == "" {
		specs = c.EngineNames()
	}
	w, err := loadgen.ParseWeights(*weights)
	if err != nil {
		return fail(stderr, "stress", usageError{err.Error()})
	}
	if bf.variant == "cov" {
		return fail(stderr, "stress", usageError{"-variant cov: the coverage build is for fuzzing (its edge counters are not meant for concurrent loops); stress runs in asan, tsan, debug or release"})
	}
	if *workers < 1 {
		return fail(stderr, "stress", usageError{"-workers must be at least 1"})
	}
	if *pool < 1 || *pool&(*pool-1) != 0 {
		return fail(stderr, "stress", usageError{"-pool must be a power of two"})
	}
	if *refresh < 0 {
		return fail(stderr, "stress", usageError{"-refresh must be at least 1 (or 0: adaptive)"})
	}
	setReportRoot()
	cfg := campaign.StressConfig{Contract: c.Path, Weights: w, Specs: specs, Variant: bf.variant, Workers: *workers,
		Duration: *duration, Calls: *calls, CorpusDir: *dir, Timeout: 10 * time.Second, MaxSlope: *maxSlope, Out: stdout,
		Pool: *pool, Refresh: *refresh, PlotDir: *out, MaxRSS: *maxRSS << 20}
	if *replay != "" {
		findings, err := campaign.StressReplay(context.Background(), cfg, *replay)
		if err != nil {
			return fail(stderr, "stress", err)
		}
		if len(findings) > 0 {
			return ExitFindings
		}
		return ExitClean
	}
	res, err := campaign.Stress(context.Background(), cfg)
	if err != nil {
		return fail(stderr, "stress", err)
	}
	if len(res.Findings) > 0 {
		fmt.Fprintf(stdout, "%d finding(s)\n", len(res.Findings))
		return ExitFindings
	}
	fmt.Fprintln(stdout, "no findings")
	return ExitClean
}
