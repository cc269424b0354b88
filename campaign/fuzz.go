package campaign

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/supervisor"
)

// FuzzConfig is one `seam fuzz` run (nightly runs it too).
type FuzzConfig struct {
	// Contract is the contract whose derived targets are fuzzed; Targets are some of their names
	// (empty: all).
	Contract  string
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
	// StopAtFirst ends the run at its first new finding (what libFuzzer does by default; time
	// to find a seeded bug is measured this way).
	StopAtFirst bool
	Out         io.Writer // status lines and findings
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

// EnvKnownCrashes=restart makes every crash end go test -fuzz again, known or not (the
// behaviour before workers fuzzed past known crashes; make bench measures it for comparison).
const EnvKnownCrashes = "SEAM_KNOWN_CRASHES"

// maxKnownStreak ends a target's fuzzing after this many consecutive known crashers.
const maxKnownStreak = 25

// notAlone is the note of a crasher signed from the fuzzer's own report.
const notAlone = "did not reproduce in isolation (flaky, or depends on earlier inputs)"

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

// FuzzResult is the outcome of a run: every finding once, with New set on those it added to
// the corpus.
type FuzzResult struct {
	Targets  []TargetStats
	Findings []Finding
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

// WriteSummary writes the table that ends `seam fuzz`: one row per target, then the counts.
func (r FuzzResult) WriteSummary(w io.Writer) {
	tw, ew := len("TARGET"), len("ENGINES")
	for _, t := range r.Targets {
		tw, ew = max(tw, len(t.Target)), max(ew, len(t.Engines))
	}
	fmt.Fprintf(w, "\n%-*s %-*s %10s %12s %8s %s\n", tw, "TARGET", ew, "ENGINES", "EXECS", "EXECS/S", "CORPUS", "NOTE")
	for _, t := range r.Targets {
		note := t.Skipped
		if t.Err != "" {
			note = "error: " + t.Err
		}
		fmt.Fprintf(w, "%-*s %-*s %10d %12.0f %8d %s\n", tw, t.Target, ew, t.Engines, t.Execs, t.ExecsPerSec, t.Corpus, note)
	}
	fmt.Fprintf(w, "findings: %d new, %d known\n", r.NewCount(), len(r.Findings)-r.NewCount())
	for _, t := range r.Targets {
		if t.CPU > 0 { // the speed a loaded machine does not change (make bench reads it)
			fmt.Fprintf(w, "[%s] %d execs in %.1f CPU-s of the fuzzing processes: %.0f execs per CPU-second\n", t.Target, t.Execs, t.CPU.Seconds(), float64(t.Execs)/t.CPU.Seconds())
		}
		for _, k := range t.KnownCrashes {
			fmt.Fprintln(w, summary.KnownCrashLine(k))
		}
	}
}

// fuzzRun is the state of one Fuzz call shared by its targets: a signature seen on one target
// is known to the next.
type fuzzRun struct {
	cfg     FuzzConfig
	root    string
	bin     string            // go test mode: the instrumented test binary
	lfBins  map[string]string // libFuzzer mode: target -> binary
	targets []fuzzTarget
	store   *corpus.Store
	known   map[string][]corpus.Entry // signature -> corpus entries, before this run
	seen    map[string]bool
	res     FuzzResult
}

// targetRun is one target's share of the run.
type targetRun struct {
	*fuzzRun
	t                  fuzzTarget
	share              time.Duration
	start              time.Time
	libFuzzerStart     time.Time // when libFuzzer mode's run began (its crashes' times count from it)
	newHere, knownHere int
	knownStreak        int
	lastStatus         time.Time
	stats              TargetStats
	tally              *summary.KnownTally // what known crashes cost the target
}

// Fuzz runs every target for its share of the budget.
func Fuzz(ctx context.Context, cfg FuzzConfig) (FuzzResult, error) {
	// Outside the checkout (a team's repository) a contract is all seam needs.
	root, err := checkout.Root()
	if err != nil && cfg.Mode == ModeLibFuzzer {
		return FuzzResult{}, err
	}
	if cfg.Contract == "" {
		return FuzzResult{}, ConfigError{"no contract to fuzz: give -contract FILE"}
	}
	targets, err := contractTargets(cfg.Contract, strings.Join(cfg.Targets, ","))
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
	r := &fuzzRun{cfg: cfg, root: root, targets: targets, bin: filepath.Join(cfg.WorkDir, "fuzz.test"), store: corpus.Open(cfg.CorpusDir), seen: map[string]bool{}}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return FuzzResult{}, err
	}
	if cfg.Mode == ModeLibFuzzer {
		if r.lfBins, err = r.buildLibFuzzer(ctx); err != nil {
			return FuzzResult{}, err
		}
	} else if r.bin, err = fuzzWorkerBinary(root, r.bin); err != nil {
		return FuzzResult{}, err
	}
	// A corpus signed by older rules would make every known bug look new: bring it up to the
	// rules first, and say so (`seam corpus check` does the same).
	migs, err := r.store.Migrate(Resign)
	for _, m := range migs {
		fmt.Fprintf(cfg.Out, "corpus: %s: signature migrated: %s -> %s\n", m.Path, m.Old, m.New)
	}
	if err != nil {
		return FuzzResult{}, fmt.Errorf("migrate the corpus: %w (run `seam corpus check`)", err)
	}
	if r.known, err = r.store.KnownSignatures(cfg.Specs); err != nil {
		return FuzzResult{}, fmt.Errorf("read the corpus: %w (run `seam corpus check`)", err)
	}
	weights := 0
	for _, t := range targets {
		weights += t.Weight
	}
	for _, t := range targets {
		if cfg.StopAtFirst && r.res.NewCount() > 0 {
			break
		}
		share := cfg.Budget * time.Duration(t.Weight) / time.Duration(weights)
		tr := &targetRun{fuzzRun: r, t: t, share: share, stats: TargetStats{Target: t.Name, Engines: strings.Join(cfg.Specs, ",")},
			tally: &summary.KnownTally{Target: t.Name}}
		tr.fuzz(ctx)
		r.res.Targets = append(r.res.Targets, tr.stats)
	}
	return r.res, nil
}

// EnvFuzzBinary names a prebuilt fuzz worker binary (`go test -c -fuzz=. ./fuzz`): what seam
// runs outside its checkout. `make seam` puts one beside the seam binary, as seam-fuzz.test.
const EnvFuzzBinary = "SEAM_FUZZ_BINARY"

// fuzzWorkerBinary is the test binary the go test -fuzz workers run: built from the checkout's
// source when seam runs inside it (so it is never stale), else the prebuilt one SEAM_FUZZ_BINARY
// names or the seam-fuzz.test beside the seam executable.
func fuzzWorkerBinary(root, out string) (string, error) {
	if p := os.Getenv(EnvFuzzBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v", EnvFuzzBinary, p, err)
		}
		return p, nil
	}
	if root != "" {
		return out, buildFuzzBinary(root, out)
	}
	exe, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(exe), "seam-fuzz.test")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no fuzz worker binary: install seam-fuzz.test beside the seam binary (`make seam` builds build/bin/seam-fuzz.test) or set %s", EnvFuzzBinary)
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

// fuzz runs the target for its share and fills its stats.
func (tr *targetRun) fuzz(ctx context.Context) {
	cfg, name := tr.cfg, tr.t.Name
	work := filepath.Join(cfg.WorkDir, "run", name)
	os.RemoveAll(filepath.Join(work, "testdata"))
	tr.start = time.Now()
	var sres supervisor.Result
	var err error
	if cfg.Mode == ModeLibFuzzer {
		sres, err = tr.fuzzLibFuzzer(ctx)
	} else {
		scfg := supervisor.Config{
			TestBinary: tr.bin, FuzzFunc: tr.t.FuzzFunc, Budget: tr.share, WorkDir: work,
			CacheDir: tr.cacheDir(), LogDir: filepath.Join(work, "logs"), Parallel: cfg.Parallel,
			Env: append([]string{"SEAM_ENGINES=" + strings.Join(cfg.Specs, ","), "SEAM_VARIANT=" + cfg.Variant,
				"SEAM_CORPUS=" + cfg.CorpusDir}, tr.t.Env...),
			Restarts: 1000,
			SkipEnv:  fuzz.EnvSkipFile,
			Status: func(s supervisor.Status) {
				if s.Baseline || time.Since(tr.lastStatus) < 3*time.Second {
					return
				}
				tr.lastStatus = time.Now()
				tr.status(s.Elapsed, s.ExecsPerSec, s.Execs, s.CorpusTotal)
			},
			Crasher: tr.crasher,
		}
		if os.Getenv(EnvKnownCrashes) != "restart" {
			// Workers keep fuzzing past the crashes already known (fuzz/knowncrash.go).
			scfg.Known = tr.knownSignatures
			scfg.KnownEnv = func(file string) []string { return fuzz.KnownCrashEnv(file, os.Environ()) }
		}
		if tr.root != "" {
			scfg.Env = append(scfg.Env, "SEAM_ROOT="+tr.root)
		}
		sres, err = supervisor.Run(ctx, scfg)
		// Leaks: the go test mode sweeps its corpus; libFuzzer mode has libFuzzer's own -detect_leaks.
		for _, f := range tr.leakSweep(ctx, filepath.Join(tr.cacheDir(), tr.t.FuzzFunc)) {
			tr.record(f, time.Since(tr.start))
		}
	}
	tr.stats.Execs, tr.stats.ExecsPerSec, tr.stats.Corpus, tr.stats.Restarts = sres.Execs, sres.ExecsPerSec, sres.CorpusTotal, sres.Restarts
	tr.stats.CPU = sres.CPUTime
	tr.tally.Absorb(sres.KnownHits)
	for sig, es := range tr.known {
		tr.tally.Reproduce(sig, tr.reproCommand(es[0].Target, es[0].ID, es[0].Engines, es[0].Variant))
	}
	tr.stats.KnownCrashes = tr.tally.Rows()
	tr.stats.Elapsed = time.Since(tr.start)
	if err != nil {
		tr.stats.Err = firstLineOf(err.Error())
		fmt.Fprintf(cfg.Out, "[%s] error: %v\n", name, err)
	}
}

// cacheDir is where Go keeps the target's generated corpus (Go adds the fuzz function's name):
// each contract target has its own, though they all run FuzzContract.
func (tr *targetRun) cacheDir() string {
	return filepath.Join(tr.cfg.StateDir, "cache", tr.t.Name)
}

// reproCommand is the exact command that reproduces a corpus entry of the run's contract.
func (tr *targetRun) reproCommand(target, id string, specs []string, variant string) string {
	return fmt.Sprintf("seam repro -contract %s -engines %s -variant %s %s", relToRoot(tr.cfg.Contract), strings.Join(specs, ","), variant,
		filepath.Join(relToRoot(tr.cfg.CorpusDir), target, id))
}

// status prints the one line a target shows while it runs.
func (tr *targetRun) status(elapsed time.Duration, execsPerSec float64, execs int64, corpusSize int) {
	fmt.Fprintf(tr.cfg.Out, "[%s %s/%s] %.0f execs/s, %d execs, corpus %d, findings %d new / %d known\n",
		tr.t.Name, fmtDur(elapsed), fmtDur(tr.share), execsPerSec, execs, corpusSize, tr.newHere, tr.knownHere)
}

// crasher is the supervisor's hook: confirm, then record.
func (tr *targetRun) crasher(ctx context.Context, c supervisor.Crasher) supervisor.Stop {
	found := time.Since(tr.start) // before the confirming replays, which take seconds
	f := tr.confirm(ctx, c)
	if tr.isKnown(f.Signature) {
		tr.tally.Restart(f.Signature) // a known crash the workers could not continue past
	}
	return tr.record(f, found)
}

// knownSignatures lists the signatures of the corpus and those found in this run, for the
// workers to fuzz past.
func (tr *targetRun) knownSignatures() []string {
	var out []string
	for sig := range tr.known {
		out = append(out, sig)
	}
	for sig := range tr.seen {
		if len(tr.known[sig]) == 0 {
			out = append(out, sig)
		}
	}
	return out
}

// isKnown: the signature is in the corpus or was found earlier in this run.
func (tr *targetRun) isKnown(sig string) bool { return tr.seen[sig] || len(tr.known[sig]) > 0 }

// record keeps a confirmed finding (found: how far into the target's fuzzing it turned up): a
// known signature is counted (and listed once, with its corpus entry), a new one stored in
// the corpus and printed with its reproduce command. It stops the target once the crashers
// have been only known ones for a while.
func (tr *targetRun) record(f Finding, found time.Duration) supervisor.Stop {
	cfg, name := tr.cfg, tr.t.Name
	f.Target, f.Variant, f.Source = name, cfg.Variant, "fuzz"
	if tr.isKnown(f.Signature) {
		tr.knownHere++
		if !tr.seen[f.Signature] {
			f.CorpusID = tr.known[f.Signature][0].ID
			f.Reproduce = tr.reproCommand(name, f.CorpusID, strings.Split(f.Engine, ","), cfg.Variant)
			tr.res.Findings = append(tr.res.Findings, f)
			tr.tally.Reproduce(f.Signature, f.Reproduce)
			fmt.Fprintf(cfg.Out, "[%s] known: %s\n", name, f.Signature)
		}
		tr.seen[f.Signature] = true
		// A target that only re-finds known bugs spends its budget restarting.
		tr.knownStreak++
		if tr.knownStreak >= maxKnownStreak {
			fmt.Fprintf(cfg.Out, "[%s] stopping early: the last %d crashers were all known findings\n", name, tr.knownStreak)
			tr.tally.Stopped(f.Signature)
			return true
		}
		return false
	}
	tr.knownStreak = 0
	tr.seen[f.Signature] = true
	id, err := store(tr.store, f, corpus.SourceFuzz)
	if err != nil {
		fmt.Fprintf(cfg.Out, "[%s] could not save a finding: %v\n", name, err)
		return false
	}
	f.CorpusID, f.New, f.FoundAfter = id, true, found
	f.Reproduce = tr.reproCommand(name, id, strings.Split(f.Engine, ","), cfg.Variant)
	tr.newHere++
	tr.res.Findings = append(tr.res.Findings, f)
	tr.tally.Reproduce(f.Signature, f.Reproduce)
	printFinding(cfg.Out, f)
	return supervisor.Stop(cfg.StopAtFirst)
}

// confirm replays Go's crasher (and the inputs workers had in flight) in isolation, engine by
// engine, to attribute and sign it. A crasher that does not reproduce alone is still kept,
// signed from the worker's own report.
func (tr *targetRun) confirm(ctx context.Context, c supervisor.Crasher) Finding {
	cfg, t := tr.cfg, tr.t
	candidates := [][]byte{c.Data}
	for _, in := range c.InFlight {
		if string(in) != string(c.Data) {
			candidates = append(candidates, in)
		}
	}
	groups := [][]string{}
	for _, s := range cfg.Specs {
		groups = append(groups, []string{s})
	}
	if len(cfg.Specs) > 1 && t.Differential {
		groups = append(groups, cfg.Specs)
	}
	for _, data := range candidates {
		for _, g := range groups {
			j := t.job(g, cfg.Variant, cfg)
			if f, ok, _, err := j.one(ctx, data); err == nil && ok {
				return f
			}
		}
	}
	// Not reproducible alone: sign it from what the fuzzer saw.
	var f Finding
	if sig, typ, ok := fuzz.SignViolation(c.GoFailure); ok {
		f = Finding{Kind: "violation", Signature: sig, Type: typ, Title: firstLineOf(strings.TrimSpace(c.GoFailure)), Excerpt: c.GoFailure}
	} else {
		f = finding.FromOutput(c.WorkerLog, c.Hung && len(c.WorkerLog) == 0, 1)
	}
	f.Target, f.Engine, f.Variant, f.Note, f.Input = t.Name, strings.Join(cfg.Specs, ","), cfg.Variant, notAlone, c.Data
	return f
}

// leakSweep replays the target's generated corpus in an isolated child with a leak check after
// every input (the child stops at a leaking input and the runner restarts past it).
func (tr *targetRun) leakSweep(ctx context.Context, cacheDir string) []Finding {
	cfg, t := tr.cfg, tr.t
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
	var out []Finding
	for _, spec := range cfg.Specs {
		j := t.job([]string{spec}, cfg.Variant, cfg)
		res, err := j.run(ctx, raw)
		if err != nil {
			continue
		}
		for _, r := range res {
			if f, ok := j.sign(r); ok && f.Kind == "leak" {
				f.Input, _ = os.ReadFile(r.Input)
				out = append(out, f)
			}
		}
	}
	return out
}

// printFinding is the block a new finding gets: what, where, and the commands that reproduce
// and minimize it.
func printFinding(w io.Writer, f Finding) {
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
