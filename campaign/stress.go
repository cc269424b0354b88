package campaign

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/stress"
	"github.com/seamfuzz/seam/wal"
)

// StressConfig is one `seam stress` run (nightly runs it too).
type StressConfig struct {
	// Contract is the boundary's contract file: the loops run its operations (package loadgen).
	Contract string
	// Weights override operations' weights by name (loadgen.Plan).
	Weights   map[string]int
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
	// PlotDir, when set, gets rss.svg: memory over time of every engine (and rss.json, the
	// samples, the form the memory-trend tests replay).
	PlotDir string
	MaxRSS  int64 // stop the loops past this RSS (0: stress.DefaultMaxRSS)
}

// StressResult is what a run found and measured.
type StressResult struct {
	Findings []Finding
	RSS      []summary.RSSSeries
	Calls    map[string]int64
	Rate     map[string]float64 // calls/s per engine
}

// NeedsLoopsNote marks a stress crash no in-flight call reproduces alone: its reproduce command
// is the stress run, not a replay of the call saved with it.
const NeedsLoopsNote = "no in-flight call fails alone: the bug needs concurrency or the calls before it"

// leakBatchCalls is the size of a leak-check batch: large enough for a bug that leaks once
// every thousand calls to leak several times.
const leakBatchCalls = loadgen.MaxBatchCalls

// stressRun is one engine's loops within a Stress call; seen is shared by the engines, so a
// signature is reported once per run.
type stressRun struct {
	cfg   StressConfig
	b     *boundary.Boundary
	spec  string
	store *corpus.Store
	seen  map[string]bool
	ops   []loadgen.OpSpec // stress operations by tag
	res   *StressResult
}

// Stress runs the loops on each engine in turn. The parent only reads the contract: the
// engines are loaded in the children.
func Stress(ctx context.Context, cfg StressConfig) (StressResult, error) {
	res := StressResult{Calls: map[string]int64{}, Rate: map[string]float64{}}
	b, err := boundary.Load(cfg.Contract)
	if err != nil {
		return res, err
	}
	ops, err := loadgen.Plan(b, cfg.Weights)
	if err != nil {
		return res, err
	}
	seen := map[string]bool{}
	for _, spec := range cfg.Specs {
		sr := &stressRun{cfg: cfg, b: b, spec: spec, store: corpus.Open(cfg.CorpusDir), seen: seen, ops: ops, res: &res}
		if err := sr.run(ctx); err != nil {
			return res, err
		}
	}
	if cfg.PlotDir != "" && len(res.RSS) > 0 {
		if err := writeRSSPlot(cfg.PlotDir, res.RSS); err == nil {
			fmt.Fprintf(cfg.Out, "RSS plot: %s\n", filepath.Join(cfg.PlotDir, "rss.svg"))
		}
	}
	return res, nil
}

// writeRSSPlot writes dir/rss.svg and dir/rss.json (the samples, which the memory-trend tests
// replay).
func writeRSSPlot(dir string, rss []summary.RSSSeries) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer, []summary.RSSSeries) error{"rss.svg": summary.WriteRSSPlot, "rss.json": summary.WriteRSSJSON} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := write(f, rss); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// run supervises the engine's loops, then judges its memory trend and runs its leak batches.
func (sr *stressRun) run(ctx context.Context) error {
	cfg, spec := sr.cfg, sr.spec
	fmt.Fprintf(cfg.Out, "== stress engine=%s variant=%s workers=%d\n", spec, cfg.Variant, cfg.Workers)
	sres, err := stress.Supervise(ctx, stress.Config{
		Env: stressEnv(cfg, spec),
		Loop: stress.LoopConfig{Workers: cfg.Workers, Duration: cfg.Duration, Calls: cfg.Calls, Seed: time.Now().UnixNano() % 1000000,
			PoolSize: cfg.Pool, RefreshEvery: cfg.Refresh},
		HangTimeout: cfg.Timeout,
		MaxRSS:      cfg.MaxRSS,
		OnHang:      watchdog.GDBStack,
		Status: func(el time.Duration, s stress.Stats, rss int64) {
			fmt.Fprintf(cfg.Out, "[stress %s %s/%s] %.0f calls/s, %d calls, %s; status %s; RSS %.1f MiB\n", spec, fmtDur(el), fmtDur(cfg.Duration),
				float64(s.Calls)/el.Seconds(), s.Calls, opMix(s.PerOp), sr.statusMix(s.ByStatus), float64(rss)/(1<<20))
		},
		OnDeath: func(d stress.Death) { sr.death(ctx, d) },
	})
	if err != nil {
		return err
	}
	for _, msg := range sres.Stats.Findings {
		// The engine is part of a contract breach's signature: the same rule broken by two
		// engines is two bugs.
		if sig, typ, ok := fuzz.SignViolation(strings.Replace(msg, "contract in ", "engine="+spec+": contract in ", 1)); ok {
			sr.record(Finding{Kind: "violation", Signature: sig, Type: typ, Title: msg, Excerpt: msg})
		}
	}
	series := summary.RSSSeries{Engine: spec}
	for _, s := range sres.Samples {
		series.Samples = append(series.Samples, summary.RSSSample{Seconds: s.Seconds, Calls: s.Calls, RSSBytes: s.RSSBytes})
	}
	// The memory-trend rule (warm-up cut, growth that persists) is summary.JudgeRSS's.
	trend := summary.JudgeRSS(series.Samples, cfg.MaxSlope)
	if sres.StoppedRSS {
		trend = summary.JudgeCapped(series.Samples, cfg.MaxSlope, maxRSS(cfg))
	}
	series.SlopeBytesPerMillionCalls = trend.Slope
	sr.res.RSS = append(sr.res.RSS, series)
	sr.res.Calls[spec] = sres.Stats.Calls
	sr.res.Rate[spec] = float64(sres.Stats.Calls) / sres.Elapsed.Seconds()
	if sres.StoppedRSS {
		fmt.Fprintf(cfg.Out, "[stress %s] stopped early: RSS passed %d MiB\n", spec, maxRSS(cfg)>>20)
	}
	fmt.Fprintf(cfg.Out, "[stress %s] %d calls in %s (%.0f calls/s), %d restart(s); RSS slope %+.0f bytes per million calls after the warm-up (%s)\n",
		spec, sres.Stats.Calls, sres.Elapsed.Round(time.Second), sr.res.Rate[spec], sres.Restarts, series.SlopeBytesPerMillionCalls, trend.Explanation)
	fmt.Fprintf(cfg.Out, "[stress %s] %d generated inputs (%.0f/s), each run about %.0f times\n", spec, sres.Stats.Inputs,
		float64(sres.Stats.Inputs)/sres.Elapsed.Seconds(), float64(sres.Stats.Calls)/float64(max(sres.Stats.Inputs, 1)))
	// Not under TSan: its runtime's own memory (shadow, sync objects, history) grows with the
	// calls made (~2 MB per million calls on the Rust engine, whose debug build grows ~3 KB).
	if trend.Finding && !sres.StoppedRSS && sres.Elapsed < minTrendRun {
		// Live state still building up (handles filling to their limits before they are
		// recycled) reads as growth in a few seconds of loops; a leak that fast meets the RSS cap.
		trend.Finding = false
		fmt.Fprintf(cfg.Out, "[stress %s] memory trend not judged: %s of loops (a finding needs %s, or the RSS cap)\n", spec,
			sres.Elapsed.Round(time.Second), minTrendRun)
	}
	if cfg.Variant == "asan" && trend.Finding && !sres.StoppedRSS && trend.Growth < quarantineMB<<20+summary.MinGrowth {
		// A short run on a loaded machine makes too few calls for the quarantine to fill in
		// the warm-up: growth it could still hold is no finding (a leak outgrows it).
		trend.Finding = false
		fmt.Fprintf(cfg.Out, "[stress %s] not a finding: RSS grew %.1f MiB, which ASan's %d MB quarantine still filling can explain\n", spec,
			float64(trend.Growth)/(1<<20), quarantineMB)
	}
	if cfg.Variant != "tsan" && trend.Finding {
		sr.record(Finding{Kind: "violation", Type: "memory-growth", Signature: "memory-growth | " + spec, Title: trend.Explanation})
	}
	if cfg.Variant == "asan" {
		for _, f := range sr.leakBatches(ctx) {
			sr.record(f)
		}
	}
	return nil
}

// death handles the loop child's death: each in-flight call is replayed alone, and the one
// that fails by itself is the culprit.
func (sr *stressRun) death(ctx context.Context, d stress.Death) {
	cfg, spec := sr.cfg, sr.spec
	what := "crashed"
	if d.Hung {
		what = "hung"
	}
	j := sr.job(cfg.Timeout)
	for _, r := range d.InFlight {
		if f, ok, _, err := j.one(ctx, sr.call(r)); err == nil && ok {
			if sr.seen[f.Signature] {
				// A bug that fires on every restart gets one line per restart, not a block.
				fmt.Fprintf(cfg.Out, "[stress %s] the loops %s at %s again: known %s (worker %d: %s)\n",
					spec, what, fmtDur(d.At), f.Signature, r.Slot, sr.op(r.Tag))
				return
			}
			sr.printInFlight(what, d)
			sr.record(f)
			return
		}
	}
	sr.printInFlight(what, d)
	// Needs concurrency or history: keep the report and the first in-flight call.
	f := finding.FromOutput(d.Output, d.Hung, d.ExitCode)
	f.Note = NeedsLoopsNote
	if len(d.InFlight) > 0 {
		f.Input = sr.call(d.InFlight[0])
	}
	sr.record(f)
}

// job is the isolated replay of this engine's stress inputs (loadgen.JobKind).
func (sr *stressRun) job(timeout time.Duration) job {
	return job{target: loadgen.CorpusTarget(sr.b.Contract.Boundary), specs: []string{sr.spec}, variant: sr.cfg.Variant, timeout: timeout,
		kind: loadgen.JobKind, args: map[string]string{"contract": sr.b.Contract.Path, "engine": sr.spec, "variant": sr.cfg.Variant}}
}

// call is the replayable input of a recorded call: its operation, and the generator bytes
// after the byte that picked the operation.
func (sr *stressRun) call(r wal.Record) []byte {
	data := r.Data
	if len(data) > 0 {
		data = data[1:]
	}
	return loadgen.EncodeCall(sr.op(r.Tag), data)
}

// op names a stress operation by its tag.
func (sr *stressRun) op(tag uint32) string { return sr.ops[int(tag)%len(sr.ops)].Name }

func (sr *stressRun) printInFlight(what string, d stress.Death) {
	fmt.Fprintf(sr.cfg.Out, "[stress %s] the loops %s at %s with %d call(s) in flight:\n", sr.spec, what, fmtDur(d.At), len(d.InFlight))
	for _, r := range d.InFlight {
		fmt.Fprintf(sr.cfg.Out, "    worker %d: %s (%d input bytes)\n", r.Slot, sr.op(r.Tag), len(r.Data))
	}
}

// record keeps a finding the first time its signature is seen: its input (when it has one)
// stored in the corpus, and a reproduce command: the replay of that input, or the stress run
// when the input does not fail alone.
func (sr *stressRun) record(f Finding) {
	cfg, spec := sr.cfg, sr.spec
	if sr.seen[f.Signature] {
		return
	}
	sr.seen[f.Signature] = true
	if f.Target == "" {
		f.Target = loadgen.CorpusTarget(sr.b.Contract.Boundary)
	}
	f.Engine, f.Variant, f.Source, f.New = spec, cfg.Variant, "stress", true
	if f.Input != nil {
		if id, err := store(sr.store, f, corpus.SourceStress); err == nil {
			f.CorpusID = id
			if f.Note != NeedsLoopsNote { // replaying that call alone does not fail
				f.Reproduce = fmt.Sprintf("seam stress -contract %s -engines %s -variant %s -replay %s", relToRoot(sr.b.Contract.Path), spec, cfg.Variant,
					filepath.Join(relToRoot(cfg.CorpusDir), f.Target, id))
			}
		}
	}
	if f.Reproduce == "" {
		f.Reproduce = fmt.Sprintf("seam stress -contract %s -engines %s -variant %s -duration %s", relToRoot(sr.b.Contract.Path), spec, cfg.Variant, cfg.Duration)
	}
	sr.res.Findings = append(sr.res.Findings, f)
	fmt.Fprintf(cfg.Out, "[stress %s] NEW %s: %s\n    %s\n", spec, strings.ToUpper(f.Kind), f.Signature, f.Title)
	if f.Location != "" {
		fmt.Fprintf(cfg.Out, "    at %s\n", f.Location)
	}
	if f.Note != "" {
		fmt.Fprintf(cfg.Out, "    note: %s\n", f.Note)
	}
	fmt.Fprintf(cfg.Out, "    reproduce: %s\n", f.Reproduce)
}

// leakBatches runs a batch of each operation with a leak check after it, all in one isolated
// child (one header read, one library load): a leak is pinned to the operation whose batch
// leaks (and stored as that batch's input).
func (sr *stressRun) leakBatches(ctx context.Context) []Finding {
	var out []Finding
	j := sr.job(60 * time.Second)
	todo := []int{}
	for i, op := range sr.ops {
		if op.Weight > 0 {
			todo = append(todo, i)
		}
	}
	// A short batch first: a leak on every failed call is in it, with a check that stays
	// cheap. The full batch of a call that leaked 64 KiB on every failure piled up hundreds of
	// MB for one check, which did not finish in time and read as a hang of the engine.
	for _, calls := range stress.LeakBatchCalls(leakBatchCalls) {
		inputs := make([][]byte, len(todo))
		for k, i := range todo {
			inputs[k] = loadgen.EncodeBatch(sr.ops[i].Name, calls, uint32(i+1))
		}
		found, err := j.many(ctx, inputs)
		if err != nil {
			return out
		}
		var clean []int
		for k, i := range todo {
			f, ok := found[k]
			if !ok {
				clean = append(clean, i)
				continue
			}
			f.Title = fmt.Sprintf("%s (operation %s, batch of %d calls)", f.Title, sr.ops[i].Name, calls)
			out = append(out, f)
		}
		todo = clean
	}
	return out
}

func maxRSS(cfg StressConfig) int64 {
	if cfg.MaxRSS > 0 {
		return cfg.MaxRSS
	}
	return stress.DefaultMaxRSS
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

// statusMix counts the statuses by their contract names (a value that is none, and what
// functions returning no status count, as the number).
func (sr *stressRun) statusMix(m map[int32]int64) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		name := sr.b.StatusName(int64(k))
		if name == "" {
			name = fmt.Sprint(k)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", name, m[int32(k)]))
	}
	return strings.Join(parts, " ")
}

// StressReplay replays one stress input (a corpus entry of the boundary's stress target) alone
// on each engine, in an isolated child, and prints a verdict per engine.
func StressReplay(ctx context.Context, cfg StressConfig, path string) ([]Finding, error) {
	b, err := boundary.Load(cfg.Contract)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, spec := range cfg.Specs {
		sr := &stressRun{cfg: cfg, b: b, spec: spec}
		f, found, output, err := sr.job(cfg.Timeout).one(ctx, data)
		if err != nil {
			return out, err
		}
		printVerdict(cfg.Out, spec, f, found, output)
		if found {
			out = append(out, f)
		}
	}
	return out, nil
}

// minTrendRun is the shortest run whose RSS slope can be a finding (the RSS cap is one in any run).
const minTrendRun = 30 * time.Second

// quarantineMB is the loop child's ASan quarantine.
const quarantineMB = 16

// stressEnv is the loop child's environment. Under ASan the freed-memory quarantine (256 MB by
// default) fills for minutes at stress call rates and reads as RSS growth; 16 MB saturates in
// the warm-up, so the fitted slope measures the engine.
func stressEnv(cfg StressConfig, spec string) []string {
	env := childEnv(cfg.Variant, loadgen.EnvContract+"="+cfg.Contract, loadgen.EnvEngine+"="+spec,
		fmt.Sprintf("%s=%d", loadgen.EnvWorkers, cfg.Workers), loadgen.EnvWeights+"="+loadgen.FormatWeights(cfg.Weights))
	if cfg.Variant == "asan" && os.Getenv("ASAN_OPTIONS") == "" {
		env = append(env, fmt.Sprintf("ASAN_OPTIONS=%s:quarantine_size_mb=%d", sanrt.ASanOptions, quarantineMB))
	}
	if cfg.Variant == "tsan" && os.Getenv("TSAN_OPTIONS") == "" {
		if opts, err := tsanOptions(); err == nil {
			env = append(env, opts)
		}
	}
	return env
}
