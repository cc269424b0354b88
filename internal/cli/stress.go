package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/corpus"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/stress"
)

func init() {
	register("stress", "concurrent loops on one engine: crash isolation with culprit replay, hangs, leaks, RSS trend", runStress)
}

// StressConfig is one `seam stress` run (nightly runs it too).
type StressConfig struct {
	Specs     []string
	Variant   string
	Workers   int
	Duration  time.Duration
	Calls     int64
	CorpusDir string
	Timeout   time.Duration
	MaxSlope  float64 // bytes per million calls above which RSS growth is a finding
	Out       io.Writer
	// Pool and Refresh: prepared inputs per worker, and calls between replacing one of them by a
	// freshly generated input (0: stress.RunLoops's defaults).
	Pool, Refresh int
	MaxRSS        int64 // stop the loops past this RSS (0: stress.DefaultMaxRSS)
}

// StressResult is what a run found and measured.
type StressResult struct {
	Findings []FoundFinding
	RSS      []summary.RSSSeries
	Calls    map[string]int64
	Rate     map[string]float64 // calls/s per engine
}

func runStress(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stress", stderr)
	var ef engineFlags
	ef.register(fs)
	workers := fs.Int("workers", runtime.NumCPU()*4, "concurrent workers")
	duration := fs.Duration("duration", 60*time.Second, "how long to run (per engine)")
	calls := fs.Int64("calls", 0, "stop after this many calls (per engine; 0 = use -duration)")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	out := fs.String("out", "", "directory for rss.svg (optional)")
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
	res, err := Stress(context.Background(), StressConfig{Specs: ef.specs(), Variant: ef.variant, Workers: *workers, Duration: *duration,
		Calls: *calls, CorpusDir: *dir, Timeout: 10 * time.Second, MaxSlope: *maxSlope, Out: stdout, Pool: *pool, Refresh: *refresh})
	if err != nil {
		return fail(stderr, "stress", err)
	}
	if *out != "" && len(res.RSS) > 0 {
		os.MkdirAll(*out, 0o755)
		f, err := os.Create(filepath.Join(*out, "rss.svg"))
		if err == nil {
			summary.WriteRSSPlot(f, res.RSS)
			f.Close()
			fmt.Fprintf(stdout, "RSS plot: %s\n", filepath.Join(*out, "rss.svg"))
		}
		if f, err := os.Create(filepath.Join(*out, "rss.json")); err == nil { // the samples, for the trend tests
			summary.WriteRSSJSON(f, res.RSS)
			f.Close()
		}
	}
	if len(res.Findings) > 0 {
		fmt.Fprintf(stdout, "%d finding(s)\n", len(res.Findings))
		return ExitFindings
	}
	fmt.Fprintln(stdout, "no findings")
	return ExitClean
}

// needsLoopsNote marks a stress crash no in-flight call reproduces alone: its reproduce command
// is the stress run, not a replay of the call saved with it.
const needsLoopsNote = "no in-flight call fails alone: the bug needs concurrency or the calls before it"

// Stress runs the loops on each engine in turn.
func Stress(ctx context.Context, cfg StressConfig) (StressResult, error) {
	res := StressResult{Calls: map[string]int64{}, Rate: map[string]float64{}}
	st := corpus.Open(cfg.CorpusDir)
	seen := map[string]bool{}
	names := fuzz.StressOpNames()
	for _, spec := range cfg.Specs {
		fmt.Fprintf(cfg.Out, "== stress engine=%s variant=%s workers=%d\n", spec, cfg.Variant, cfg.Workers)
		record := func(f FoundFinding, data []byte) {
			if seen[f.Signature] {
				return
			}
			seen[f.Signature] = true
			f.Target, f.Engine, f.Variant, f.New = "stressop", spec, cfg.Variant, true
			if data != nil {
				if id, _, err := st.Add(f.Target, data, corpus.Meta{Signature: f.Signature, Type: f.Type, Engines: []string{spec},
					Variant: cfg.Variant, Source: corpus.SourceStress, Report: finding.Head(f.Excerpt, 30), Location: f.Location, Note: f.Note}); err == nil {
					f.CorpusID = id
					if f.Note != needsLoopsNote { // replaying that call alone does not fail
						f.Reproduce = reproCommand(cfg.CorpusDir, f.Target, id, []string{spec}, cfg.Variant)
					}
				}
			}
			if f.Reproduce == "" {
				f.Reproduce = fmt.Sprintf("seam stress -engines %s -variant %s -duration %s", spec, cfg.Variant, cfg.Duration)
			}
			res.Findings = append(res.Findings, f)
			fmt.Fprintf(cfg.Out, "[stress %s] NEW %s: %s\n    %s\n", spec, strings.ToUpper(f.Kind), f.Signature, f.Title)
			if f.Location != "" {
				fmt.Fprintf(cfg.Out, "    at %s\n", f.Location)
			}
			if f.Note != "" {
				fmt.Fprintf(cfg.Out, "    note: %s\n", f.Note)
			}
			fmt.Fprintf(cfg.Out, "    reproduce: %s\n", f.Reproduce)
		}
		sres, err := stress.Supervise(ctx, stress.Config{
			Env: stressEnv(cfg, spec),
			Loop: stress.LoopConfig{Workers: cfg.Workers, Duration: cfg.Duration, Calls: cfg.Calls, Seed: time.Now().UnixNano() % 1000000,
				PoolSize: cfg.Pool, RefreshEvery: cfg.Refresh},
			HangTimeout: cfg.Timeout,
			MaxRSS:      cfg.MaxRSS,
			OnHang:      watchdog.GDBStack,
			Status: func(el time.Duration, s stress.Stats, rss int64) {
				fmt.Fprintf(cfg.Out, "[stress %s %s/%s] %.0f calls/s, %d calls, %s; status %s; RSS %.1f MiB\n", spec, fmtDur(el), fmtDur(cfg.Duration),
					float64(s.Calls)/el.Seconds(), s.Calls, opMix(s.PerOp), statusMix(s.ByStatus), float64(rss)/(1<<20))
			},
			OnDeath: func(d stress.Death) {
				what := "crashed"
				if d.Hung {
					what = "hung"
				}
				// Replay each in-flight call alone: the one that fails by itself is the culprit.
				for _, r := range d.InFlight {
					data := stress.EncodeCall(r.Tag, r.Data)
					if f, ok, err := runOne(ctx, "stressop", []string{spec}, cfg.Variant, data, cfg.Timeout); err == nil && ok {
						if seen[f.Signature] {
							// A bug that fires on every restart gets one line per restart, not a block.
							fmt.Fprintf(cfg.Out, "[stress %s] the loops %s at %s again: known %s (worker %d: %s)\n",
								spec, what, fmtDur(d.At), f.Signature, r.Slot, names[int(r.Tag)%len(names)])
							return
						}
						printInFlight(cfg.Out, spec, what, d, names)
						record(FoundFinding{Finding: f}, data)
						return
					}
				}
				printInFlight(cfg.Out, spec, what, d, names)
				// Needs concurrency or history: keep the report and the first in-flight call.
				f := finding.FromOutput(d.Output, d.Hung, d.ExitCode)
				var data []byte
				if len(d.InFlight) > 0 {
					data = stress.EncodeCall(d.InFlight[0].Tag, d.InFlight[0].Data)
				}
				record(FoundFinding{Finding: f, Note: needsLoopsNote}, data)
			},
		})
		if err != nil {
			return res, err
		}
		for _, msg := range sres.Stats.Findings {
			if sig, typ, ok := fuzz.SignViolation(msg); ok {
				record(FoundFinding{Finding: finding.Finding{Kind: "violation", Signature: sig, Type: typ, Title: msg, Excerpt: msg}}, nil)
			}
		}
		series := summary.RSSSeries{Engine: spec}
		for _, s := range sres.Samples {
			series.Samples = append(series.Samples, summary.RSSSample{Seconds: s.Seconds, Calls: s.Calls, RSSBytes: s.RSSBytes})
		}
		// issue 16: the memory-trend rule (warm-up cut, persistence) is summary.JudgeRSS's.
		trend := summary.JudgeRSS(series.Samples, cfg.MaxSlope)
		series.SlopeBytesPerMillionCalls = trend.Slope
		res.RSS = append(res.RSS, series)
		res.Calls[spec] = sres.Stats.Calls
		res.Rate[spec] = float64(sres.Stats.Calls) / sres.Elapsed.Seconds()
		if sres.StoppedRSS {
			fmt.Fprintf(cfg.Out, "[stress %s] stopped early: RSS passed %d MiB\n", spec, maxRSS(cfg)>>20)
		}
		fmt.Fprintf(cfg.Out, "[stress %s] %d calls in %s (%.0f calls/s), %d restart(s); RSS slope %+.0f bytes per million calls after the warm-up (%s)\n",
			spec, sres.Stats.Calls, sres.Elapsed.Round(time.Second), res.Rate[spec], sres.Restarts, series.SlopeBytesPerMillionCalls, trend.Explanation)
		fmt.Fprintf(cfg.Out, "[stress %s] %d generated inputs (%.0f/s), each run about %.0f times\n", spec, sres.Stats.Inputs,
			float64(sres.Stats.Inputs)/sres.Elapsed.Seconds(), float64(sres.Stats.Calls)/float64(max(sres.Stats.Inputs, 1)))
		// Not under TSan: its runtime's own memory (shadow, sync objects, history) grows with the
		// calls made (~2 MB per million calls on the Rust engine, whose debug build grows ~3 KB).
		if cfg.Variant != "tsan" && trend.Finding {
			record(FoundFinding{Finding: finding.Finding{Kind: "violation", Type: "memory-growth", Signature: "memory-growth | " + spec,
				Title: trend.Explanation}}, nil)
		}
		if cfg.Variant == "asan" {
			for _, f := range leakBatches(ctx, spec, cfg, names) {
				record(f.FoundFinding, f.data)
			}
		}
	}
	return res, nil
}

func printInFlight(w io.Writer, spec, what string, d stress.Death, names []string) {
	fmt.Fprintf(w, "[stress %s] the loops %s at %s with %d call(s) in flight:\n", spec, what, fmtDur(d.At), len(d.InFlight))
	for _, r := range d.InFlight {
		fmt.Fprintf(w, "    worker %d: %s (%d input bytes)\n", r.Slot, names[int(r.Tag)%len(names)], len(r.Data))
	}
}

// leakBatchCalls is the size of a leak-check batch: large enough for a bug that leaks once
// every thousand calls to leak several times.
const leakBatchCalls = fuzz.MaxBatchCalls

// leakBatches runs a batch of each operation in an isolated child with a leak check after it:
// a leak is pinned to the operation whose batch leaks.
func leakBatches(ctx context.Context, spec string, cfg StressConfig, names []string) []*confirmed {
	var out []*confirmed
	for op := range names {
		// issue 16: a short batch first. A leak on every failed call is in it with a check that
		// stays cheap; the full batch of a call that leaked on every failure piled up hundreds
		// of MB for one check, which did not finish in time and read as a hang of the engine.
		for _, calls := range stress.LeakBatchCalls(leakBatchCalls) {
			data := fuzz.EncodeBatch(uint32(op), uint32(calls), uint32(op+1))
			f, ok, err := runOne(ctx, "stressbatch", []string{spec}, cfg.Variant, data, 60*time.Second)
			if err != nil || !ok {
				continue
			}
			f.Title = fmt.Sprintf("%s (operation %s, batch of %d calls)", f.Title, names[op], calls)
			out = append(out, &confirmed{FoundFinding: FoundFinding{Finding: f}, data: data})
			break
		}
	}
	return out
}

func opMix(m map[string]int64) string {
	var total int64
	keys := make([]string, 0, len(m))
	for k, v := range m {
		total += v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if total > 0 {
			parts = append(parts, fmt.Sprintf("%s %d%%", k, m[k]*100/total))
		}
	}
	return strings.Join(parts, " ")
}

func statusMix(m map[int32]int64) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(engine.Status(k).String(), "SEAM_"), m[int32(k)]))
	}
	return strings.Join(parts, " ")
}

// stressEnv is the loop child's environment. Under ASan the freed-memory quarantine (256 MB by
// default) fills for minutes at stress call rates and reads as RSS growth; 16 MB saturates in
// the warm-up, so the fitted slope measures the engine.
func stressEnv(cfg StressConfig, spec string) []string {
	env := []string{"SEAM_VARIANT=" + cfg.Variant, "SEAM_STRESS_ENGINE=" + spec, fmt.Sprintf("SEAM_STRESS_WORKERS=%d", cfg.Workers)}
	if cfg.Variant == "asan" && os.Getenv("ASAN_OPTIONS") == "" {
		env = append(env, "ASAN_OPTIONS="+sanrt.ASanOptions+":quarantine_size_mb=16")
	}
	if cfg.Variant == "tsan" && os.Getenv("TSAN_OPTIONS") == "" {
		if opts, err := tsanOptions(); err == nil {
			env = append(env, opts)
		}
	}
	return env
}

func maxRSS(cfg StressConfig) int64 {
	if cfg.MaxRSS > 0 {
		return cfg.MaxRSS
	}
	return stress.DefaultMaxRSS
}
