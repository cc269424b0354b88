package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/seamfuzz/seam/campaign"
)

func init() {
	register("stress", "concurrent loops on one engine: crash isolation with culprit replay, hangs, leaks, RSS trend", runStress)
}

func runStress(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stress", stderr)
	var ef engineFlags
	ef.register(fs)
	workers := fs.Int("workers", runtime.NumCPU()*4, "concurrent workers")
	duration := fs.Duration("duration", 60*time.Second, "how long to run (per engine)")
	calls := fs.Int64("calls", 0, "stop after this many calls (per engine; 0 = use -duration)")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	out := fs.String("out", "", "directory for rss.svg and rss.json (optional)")
	maxRSS := fs.Int64("max-rss", 0, "stop the loops when the child's RSS passes this many MiB (0 = 3072)")
	maxSlope := fs.Float64("max-slope", 1<<20, "RSS growth in bytes per million calls that counts as a finding")
	pool := fs.Int("pool", 64, "prepared inputs per worker (a power of two)")
	refresh := fs.Int("refresh", 128, "calls per worker between replacing one prepared input by a freshly generated one (1 = a new input nearly every call, slower)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if _, err := ef.resolve(); err != nil {
		return fail(stderr, "stress", err)
	}
	if ef.variant == "cov" {
		return fail(stderr, "stress", usageError{"-variant cov: the coverage build is for fuzzing (its edge counters are not meant for concurrent loops); stress runs in asan, tsan, debug or release"})
	}
	if *workers < 1 {
		return fail(stderr, "stress", usageError{"-workers must be at least 1"})
	}
	if *pool < 1 || *pool&(*pool-1) != 0 {
		return fail(stderr, "stress", usageError{"-pool must be a power of two"})
	}
	if *refresh < 1 {
		return fail(stderr, "stress", usageError{"-refresh must be at least 1"})
	}
	setReportRoot()
	res, err := campaign.Stress(context.Background(), campaign.StressConfig{Specs: ef.specs(), Variant: ef.variant, Workers: *workers,
		Duration: *duration, Calls: *calls, CorpusDir: *dir, Timeout: 10 * time.Second, MaxSlope: *maxSlope, Out: stdout,
		Pool: *pool, Refresh: *refresh, PlotDir: *out, MaxRSS: *maxRSS << 20})
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
