package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/corpus"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/libfuzzer"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/internal/supervisor"
)

func init() {
	register("fuzz", "fuzz every target (go test -fuzz under a supervisor that keeps going), saving findings to the corpus", runFuzz)
}

// FuzzConfig is one `seam fuzz` run (nightly runs it too).
type FuzzConfig struct {
	Targets   []string
	Specs     []string
	Variant   string
	Budget    time.Duration // total, split evenly over the targets
	CorpusDir string
	WorkDir   string // build/fuzz: test binary, worker logs
	// StateDir holds what the fuzzers learned, kept between runs (as CI caches it): go test
	// -fuzz's generated corpus in StateDir/cache, libFuzzer's work corpus in
	// StateDir/libfuzzer/<target>. Default WorkDir; a fresh directory measures from scratch.
	StateDir string
	Timeout  time.Duration
	Parallel int
	Out      io.Writer // status lines and findings
	// Mode is ModeGoTest (default: go test -fuzz under the supervisor) or ModeLibFuzzer (each
	// target built as a libFuzzer binary, internal/libfuzzer). Findings go through the same
	// confirmation, signatures and corpus either way.
	Mode string
}

// Fuzzing modes.
const (
	ModeGoTest    = "gotest"
	ModeLibFuzzer = "libfuzzer"
)

// maxKnownStreak ends a target's fuzzing after this many consecutive known crashers.
const maxKnownStreak = 25

// FoundFinding is a finding with where it was stored and how to reproduce it.
type FoundFinding struct {
	finding.Finding
	Target, Engine, Variant, CorpusID, Reproduce string
	New                                          bool
	Note                                         string
	FoundAfter                                   time.Duration // since the target started
}

// TargetStats sums up one target's fuzzing.
type TargetStats struct {
	Target      string
	Engines     string
	Execs       int64
	ExecsPerSec float64
	Corpus      int
	Elapsed     time.Duration
	Restarts    int
	Skipped     string
	Err         string
	// KnownCrashes are the known crashes the target kept reaching (issue 16).
	KnownCrashes []summary.KnownCrash
	CPU          time.Duration // of the fuzzing processes (supervisor.Result.CPUTime)
}

// FuzzResult is the outcome of a run.
type FuzzResult struct {
	Targets  []TargetStats
	Findings []FoundFinding
}

// NewCount counts findings not known before.
func (r FuzzResult) NewCount() int {
	n := 0
	for _, f := range r.Findings {
		if f.New {
			n++
		}
	}
	return n
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
	mode := fs.String("mode", ModeGoTest, "gotest (go test -fuzz) or libfuzzer (each target as a libFuzzer binary, clang-19; -parallel is ignored)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *mode != ModeGoTest && *mode != ModeLibFuzzer {
		return fail(stderr, "fuzz", usageError{fmt.Sprintf("unknown -mode %q (want gotest or libfuzzer)", *mode)})
	}
	if *budget <= 0 {
		return fail(stderr, "fuzz", usageError{"-budget must be positive"})
	}
	targets, err := selectTargets(*target)
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	if _, err := ef.resolve(); err != nil {
		return fail(stderr, "fuzz", err)
	}
	root, err := engine.Root()
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	setReportRoot()
	res, err := Fuzz(context.Background(), FuzzConfig{
		Targets: targets, Specs: ef.specs(), Variant: ef.variant, Budget: *budget, CorpusDir: *dir,
		WorkDir: filepath.Join(root, "build", "fuzz"), StateDir: *state, Timeout: *timeout, Parallel: *parallel, Out: stdout, Mode: *mode,
	})
	if err != nil {
		return fail(stderr, "fuzz", err)
	}
	printFuzzSummary(stdout, res)
	if res.NewCount() > 0 {
		return ExitFindings
	}
	return ExitClean
}

func selectTargets(name string) ([]string, error) {
	if name == "all" || name == "" {
		return fuzz.Names(), nil
	}
	var out []string
	for _, n := range strings.Split(name, ",") {
		t, ok := fuzz.Lookup(strings.TrimSpace(n))
		if !ok {
			return nil, usageError{fmt.Sprintf("unknown target %q (targets: %s)", n, strings.Join(fuzz.Names(), ", "))}
		}
		out = append(out, t.Name)
	}
	return out, nil
}

// buildFuzzBinary compiles the fuzz package's tests with Go's fuzzing instrumentation.
func buildFuzzBinary(root, out string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go tool is needed to build the fuzz targets: install Go or put it on PATH")
	}
	cmd := exec.Command(gobin, "test", "-c", "-fuzz=.", "-ldflags=-s=false -w=false", "-o", out, "./fuzz")
	cmd.Dir = root
	cmd.Env = sanrt.CleanEnv(os.Environ())
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build fuzz targets: %v\n%s", err, b)
	}
	return nil
}

// Fuzz runs every target for its share of the budget.
func Fuzz(ctx context.Context, cfg FuzzConfig) (FuzzResult, error) {
	root, err := engine.Root()
	if err != nil {
		return FuzzResult{}, err
	}
	if cfg.StateDir == "" {
		cfg.StateDir = cfg.WorkDir
	}
	// The fuzzers run in per-target working directories: a relative path would land there.
	if abs, err := filepath.Abs(cfg.StateDir); err == nil {
		cfg.StateDir = abs
	}
	bin := filepath.Join(cfg.WorkDir, "fuzz.test")
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return FuzzResult{}, err
	}
	var lfBins map[string]string
	if cfg.Mode == ModeLibFuzzer {
		if lfBins, err = buildLibFuzzer(ctx, cfg, root); err != nil {
			return FuzzResult{}, err
		}
	} else if err := buildFuzzBinary(root, bin); err != nil {
		return FuzzResult{}, err
	}
	st := corpus.Open(cfg.CorpusDir)
	known, err := st.KnownSignatures(cfg.Specs)
	if err != nil {
		return FuzzResult{}, fmt.Errorf("read the corpus: %w (run `seam corpus check`)", err)
	}
	seen := map[string]bool{}
	var res FuzzResult
	share := cfg.Budget / time.Duration(len(cfg.Targets))
	for _, name := range cfg.Targets {
		t, _ := fuzz.Lookup(name)
		stats := TargetStats{Target: name, Engines: strings.Join(cfg.Specs, ",")}
		if t.Pair && len(cfg.Specs) < 2 {
			stats.Skipped = "needs two engines (-engines A,B)"
			fmt.Fprintf(cfg.Out, "[%s] skipped: %s\n", name, stats.Skipped)
			res.Targets = append(res.Targets, stats)
			continue
		}
		work := filepath.Join(cfg.WorkDir, "run", name)
		os.RemoveAll(filepath.Join(work, "testdata"))
		start := time.Now()
		newHere, knownHere, knownStreak := 0, 0, 0
		tally := &summary.KnownTally{Target: name} // issue 16: what known crashes cost this target
		record := func(f *confirmed) supervisor.Stop {
			f.Target, f.Variant = name, cfg.Variant
			if seen[f.Signature] || len(known[f.Signature]) > 0 {
				knownHere++
				if !seen[f.Signature] {
					f.CorpusID = known[f.Signature][0].ID
					f.Reproduce = reproCommand(cfg.CorpusDir, name, f.CorpusID, strings.Split(f.Engine, ","), cfg.Variant)
					res.Findings = append(res.Findings, f.FoundFinding)
					tally.Reproduce(f.Signature, f.Reproduce)
				}
				if !seen[f.Signature] {
					fmt.Fprintf(cfg.Out, "[%s] known: %s\n", name, f.Signature)
				}
				seen[f.Signature] = true
				// A target that only re-finds known bugs spends its budget restarting.
				knownStreak++
				if knownStreak >= maxKnownStreak {
					fmt.Fprintf(cfg.Out, "[%s] stopping early: the last %d crashers were all known findings\n", name, knownStreak)
					tally.Stopped(f.Signature)
					return true
				}
				return false
			}
			knownStreak = 0
			seen[f.Signature] = true
			id, _, err := st.Add(name, f.data, corpus.Meta{Signature: f.Signature, Type: f.Type, Engines: strings.Split(f.Engine, ","),
				Variant: cfg.Variant, Source: corpus.SourceFuzz, Report: finding.Head(f.Excerpt, 30), Location: f.Location, Note: f.Note})
			if err != nil {
				fmt.Fprintf(cfg.Out, "[%s] could not save a finding: %v\n", name, err)
				return false
			}
			f.CorpusID, f.New, f.FoundAfter = id, true, time.Since(start)
			f.Reproduce = reproCommand(cfg.CorpusDir, name, id, strings.Split(f.Engine, ","), cfg.Variant)
			newHere++
			res.Findings = append(res.Findings, f.FoundFinding)
			tally.Reproduce(f.Signature, f.Reproduce)
			printFinding(cfg.Out, f.FoundFinding)
			return false
		}
		onCrasher := func(ctx context.Context, c supervisor.Crasher) supervisor.Stop {
			if f := confirmCrasher(ctx, cfg, t, c); f != nil {
				if seen[f.Signature] || len(known[f.Signature]) > 0 {
					tally.Restart(f.Signature) // a known crash the workers could not continue past
				}
				return record(f)
			}
			return false
		}
		var lastStatus time.Time
		var sres supervisor.Result
		var err error
		if cfg.Mode == ModeLibFuzzer {
			isKnown := func(sig string) bool { return seen[sig] || len(known[sig]) > 0 }
			counts := func() (int, int) { return newHere, knownHere }
			sres, err = fuzzLibFuzzer(ctx, cfg, root, lfBins[name], t, share, filepath.Join(cfg.StateDir, "libfuzzer", name), isKnown, record, counts)
		} else {
			sres, err = supervisor.Run(ctx, supervisor.Config{
				TestBinary: bin, FuzzFunc: t.FuzzFunc, Budget: share, WorkDir: work,
				CacheDir: filepath.Join(cfg.StateDir, "cache"), LogDir: filepath.Join(work, "logs"), Parallel: cfg.Parallel,
				Env: []string{"SEAM_ENGINES=" + strings.Join(cfg.Specs, ","), "SEAM_VARIANT=" + cfg.Variant, "SEAM_ROOT=" + root,
					"SEAM_CORPUS=" + cfg.CorpusDir},
				Restarts: 1000,
				SkipEnv:  fuzz.EnvSkipFile,
				Status: func(s supervisor.Status) {
					if s.Baseline || time.Since(lastStatus) < 3*time.Second {
						return
					}
					lastStatus = time.Now()
					fmt.Fprintf(cfg.Out, "[%s %s/%s] %.0f execs/s, %d execs, corpus %d, findings %d new / %d known\n",
						name, fmtDur(s.Elapsed), fmtDur(share), s.ExecsPerSec, s.Execs, s.CorpusTotal, newHere, knownHere)
				},
				Crasher: onCrasher,
				// issue 16: workers keep fuzzing past the crashes already known (fuzz/knowncrash.go).
				Known:    func() []string { return knownSignatures(known, seen) },
				KnownEnv: func(file string) []string { return fuzz.KnownCrashEnv(file, os.Environ()) },
			})
			// Leaks: the go test mode sweeps its corpus; libFuzzer mode has libFuzzer's own -detect_leaks.
			for _, f := range leakSweep(ctx, cfg, t, filepath.Join(cfg.StateDir, "cache", t.FuzzFunc)) {
				record(f)
			}
		}
		stats.Execs, stats.ExecsPerSec, stats.Corpus, stats.Restarts = sres.Execs, sres.ExecsPerSec, sres.CorpusTotal, sres.Restarts
		tally.Absorb(sres.KnownHits)
		stats.CPU = sres.CPUTime
		for sig, es := range known {
			tally.Reproduce(sig, reproCommand(cfg.CorpusDir, es[0].Target, es[0].ID, es[0].Engines, es[0].Variant))
		}
		stats.KnownCrashes = tally.Rows()
		stats.Elapsed = time.Since(start)
		if err != nil {
			stats.Err = firstLineOf(err.Error())
			fmt.Fprintf(cfg.Out, "[%s] error: %v\n", name, err)
		}
		res.Targets = append(res.Targets, stats)
	}
	return res, nil
}

// buildLibFuzzer gets libFuzzer mode ready: clang-19 (installed by scripts/install-clang.sh
// when missing), the fuzzer variant of the engines and mutants, and one binary per target.
func buildLibFuzzer(ctx context.Context, cfg FuzzConfig, root string) (map[string]string, error) {
	if err := libfuzzer.EnsureClang(ctx, root, cfg.Out); err != nil {
		return nil, err
	}
	if libfuzzer.NeedsRust(cfg.Specs) && !libfuzzer.HaveNightly() {
		return nil, libfuzzer.ErrNoNightly
	}
	if err := libfuzzer.BuildNative(ctx, root, cfg.Specs, cfg.Out); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	for _, name := range cfg.Targets {
		bin, built, err := libfuzzer.Build(ctx, root, name)
		if err != nil {
			return nil, err
		}
		if built {
			fmt.Fprintf(cfg.Out, "[%s] built libFuzzer binary %s\n", name, bin)
		}
		bins[name] = bin
	}
	return bins, nil
}

// fuzzLibFuzzer runs one target in libFuzzer mode. Each distinct crash artifact goes through
// confirmCrasher and record like a go test -fuzz crasher; one with a new signature is first
// shrunk by libFuzzer's minimizer (kept when the smaller input has the same signature).
func fuzzLibFuzzer(ctx context.Context, cfg FuzzConfig, root, bin string, t fuzz.Target, share time.Duration, work string,
	isKnown func(string) bool, record func(*confirmed) supervisor.Stop, counts func() (int, int)) (supervisor.Result, error) {
	seeds := append([][]byte(nil), t.Seeds...)
	st := corpus.Open(cfg.CorpusDir)
	entries, _ := st.List(t.Name)
	for _, e := range entries {
		if _, data, err := st.Get(t.Name, e.ID); err == nil {
			seeds = append(seeds, data)
		}
	}
	confirm := func(ctx context.Context, c *libfuzzer.Crash, data []byte) *confirmed {
		msg, _ := libfuzzer.FindingMessage(c.Log)
		return confirmCrasher(ctx, cfg, t, supervisor.Crasher{Data: data, GoFailure: msg, WorkerLog: c.Log, Hung: c.Kind == "timeout"})
	}
	res, err := libfuzzer.Run(ctx, libfuzzer.Config{
		Binary: bin, WorkDir: work, Budget: share, Timeout: cfg.Timeout, Dict: filepath.Join(root, "fuzz", "rules.dict"), Seeds: seeds,
		Env:       []string{"SEAM_ENGINES=" + strings.Join(cfg.Specs, ","), "SEAM_ROOT=" + root, "SEAM_TARGET=" + t.Name},
		Violation: fuzz.SignViolation,
		Status: func(p libfuzzer.Progress) {
			newHere, knownHere := counts()
			fmt.Fprintf(cfg.Out, "[%s %s/%s] %.0f execs/s, %d execs, corpus %d, findings %d new / %d known\n",
				t.Name, fmtDur(p.Elapsed), fmtDur(share), p.ExecsPerSec, p.Execs, p.Corpus, newHere, knownHere)
		},
		Crash: func(ctx context.Context, c *libfuzzer.Crash) bool {
			f := confirm(ctx, c, c.Data)
			if f == nil {
				return false
			}
			if !c.Reproduced && f.Note != "" {
				// No report anywhere: libFuzzer's job log, the only one, is gone.
				fmt.Fprintf(cfg.Out, "[%s] %s did not reproduce alone, in libFuzzer or in isolation: not saved\n", t.Name, filepath.Base(c.Path))
				return false
			}
			if !isKnown(f.Signature) && f.Note == "" {
				if small, err := c.Minimize(ctx, 20000); err == nil && len(small) < len(f.data) {
					if g := confirm(ctx, c, small); g != nil && g.Signature == f.Signature && g.Note == "" {
						f = g
					}
				}
			}
			return bool(record(f))
		},
	})
	return supervisor.Result{Execs: res.Execs, Elapsed: res.Elapsed, ExecsPerSec: res.ExecsPerSec, CorpusTotal: res.Corpus, Crashers: res.Artifacts}, err
}

type confirmed struct {
	FoundFinding
	data []byte
}

// confirmCrasher replays Go's crasher (and the inputs workers had in flight) in isolation,
// engine by engine, to attribute and sign it. A crasher that does not reproduce alone is still
// kept, signed from the worker's own report.
func confirmCrasher(ctx context.Context, cfg FuzzConfig, t fuzz.Target, c supervisor.Crasher) *confirmed {
	candidates := [][]byte{c.Data}
	for _, in := range c.InFlight {
		if string(in) != string(c.Data) {
			candidates = append(candidates, in)
		}
	}
	groups := [][]string{}
	if t.Pair {
		groups = append(groups, cfg.Specs)
	} else {
		for _, s := range cfg.Specs {
			groups = append(groups, []string{s})
		}
		if len(cfg.Specs) > 1 && t.Name == "request" {
			groups = append(groups, cfg.Specs)
		}
	}
	for _, data := range candidates {
		for _, g := range groups {
			f, ok, err := runOne(ctx, t.Name, g, cfg.Variant, data, cfg.Timeout)
			if err != nil || !ok {
				continue
			}
			return &confirmed{FoundFinding: FoundFinding{Finding: f, Engine: strings.Join(g, ",")}, data: data}
		}
	}
	// Not reproducible alone: sign it from what the fuzzer saw.
	var f finding.Finding
	if sig, typ, ok := fuzz.SignViolation(c.GoFailure); ok {
		f = finding.Finding{Kind: "violation", Signature: sig, Type: typ, Title: firstLineOf(strings.TrimSpace(c.GoFailure)), Excerpt: c.GoFailure}
	} else {
		f = finding.FromOutput(c.WorkerLog, c.Hung && len(c.WorkerLog) == 0, 1)
	}
	return &confirmed{FoundFinding: FoundFinding{Finding: f, Engine: strings.Join(cfg.Specs, ","), Note: "did not reproduce in isolation (flaky, or depends on earlier inputs)"}, data: c.Data}
}

// leakSweep replays the target's generated corpus in an isolated child with a leak check after
// every input (the child stops at a leaking input and the runner restarts past it).
func leakSweep(ctx context.Context, cfg FuzzConfig, t fuzz.Target, cacheDir string) []*confirmed {
	files, _ := filepath.Glob(filepath.Join(cacheDir, "*"))
	if len(files) == 0 || !checksLeaks(cfg.Variant) {
		return nil
	}
	tmp, err := os.MkdirTemp("", "seam-leaksweep-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(tmp)
	var raw []string
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		data, err := supervisor.DecodeGoFuzz(b)
		if err != nil {
			continue
		}
		p := filepath.Join(tmp, fmt.Sprint(i))
		if os.WriteFile(p, data, 0o600) == nil {
			raw = append(raw, p)
		}
	}
	var out []*confirmed
	for _, spec := range cfg.Specs {
		if t.Pair {
			spec = strings.Join(cfg.Specs, ",")
		}
		res, err := runJob(ctx, t.Name, strings.Split(spec, ","), cfg.Variant, raw, cfg.Timeout, false)
		if err != nil {
			continue
		}
		for _, r := range res {
			if f, ok := finding.FromResult(r, fuzz.SignViolation); ok && f.Kind == "leak" {
				data, _ := os.ReadFile(r.Input)
				out = append(out, &confirmed{FoundFinding: FoundFinding{Finding: f, Engine: spec}, data: data})
			}
		}
		if t.Pair {
			break
		}
	}
	return out
}

func printFinding(w io.Writer, f FoundFinding) {
	fmt.Fprintf(w, "[%s] NEW %s after %s: %s\n", f.Target, strings.ToUpper(f.Kind), f.FoundAfter.Round(100*time.Millisecond), f.Signature)
	fmt.Fprintf(w, "    engine=%s variant=%s", f.Engine, f.Variant)
	if f.Location != "" {
		fmt.Fprintf(w, " at %s", f.Location)
	}
	fmt.Fprintf(w, "\n    %s\n", f.Title)
	if f.Note != "" {
		fmt.Fprintf(w, "    note: %s\n", f.Note)
	}
	fmt.Fprintf(w, "    saved: %s/%s\n    reproduce: %s\n    minimize:  seam corpus min %s\n", f.Target, f.CorpusID, f.Reproduce, f.CorpusID)
}

func printFuzzSummary(w io.Writer, r FuzzResult) {
	fmt.Fprintf(w, "\n%-13s %-28s %10s %12s %8s %s\n", "TARGET", "ENGINES", "EXECS", "EXECS/S", "CORPUS", "NOTE")
	for _, t := range r.Targets {
		note := t.Skipped
		if t.Err != "" {
			note = "error: " + t.Err
		}
		fmt.Fprintf(w, "%-13s %-28s %10d %12.0f %8d %s\n", t.Target, t.Engines, t.Execs, t.ExecsPerSec, t.Corpus, note)
	}
	fmt.Fprintf(w, "findings: %d new, %d known\n", r.NewCount(), len(r.Findings)-r.NewCount())
	for _, t := range r.Targets {
		if t.CPU > 0 { // issue 16: the speed a loaded machine does not change (make bench reads it)
			fmt.Fprintf(w, "[%s] %d execs in %.1f CPU-s of the fuzzing processes: %.0f execs per CPU-second\n", t.Target, t.Execs, t.CPU.Seconds(), float64(t.Execs)/t.CPU.Seconds())
		}
		for _, k := range t.KnownCrashes { // issue 16
			fmt.Fprintln(w, summary.KnownCrashLine(k))
		}
	}
}

func fmtDur(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// knownSignatures lists the signatures of the corpus and those found in this run.
func knownSignatures(corpusKnown map[string][]corpus.Entry, seen map[string]bool) []string {
	var out []string
	for sig := range corpusKnown {
		out = append(out, sig)
	}
	for sig := range seen {
		if len(corpusKnown[sig]) == 0 {
			out = append(out, sig)
		}
	}
	return out
}
