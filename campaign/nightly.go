package campaign

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/trace"
)

// NightlyConfig is one nightly job.
type NightlyConfig struct {
	Specs     []string
	Budget    time.Duration // the whole night: 2/3 fuzzing, 1/6 stress, then the TSan loops
	OutDir    string        // the reports
	StatePath string        // known signatures and throughput between nights; default OutDir/../state/state.json
	CorpusDir string
	Targets   []string // to fuzz; nil: every target
	// Seam is the seam binary, which checks the ABI in its own process (`seam abi` loads every
	// engine of a variant, and its exit status is the verdict).
	Seam string
	Out  io.Writer // step headers and results, and what each step prints
}

// Nightly verdicts (summary.Run.Verdict).
const (
	VerdictClean       = "clean"
	VerdictNewFindings = "new-findings"
	VerdictError       = "error"
)

// exitFindings is seam's exit status for "findings" (the CLI's rule), which `seam abi` returns
// on a layout skew.
const exitFindings = 1

// abiVariants are the builds whose layouts the nightly checks.
var abiVariants = []string{"debug", "asan", "release"}

// nightlyRun is the state the steps share: the report they fill and what an earlier step
// decided for a later one.
type nightlyRun struct {
	cfg         NightlyConfig
	root        string
	out         io.Writer
	report      summary.Run
	fuzzVariant string
	fuzzBudget  time.Duration
	stressFor   time.Duration // per engine, asan
	tsanFor     time.Duration // per engine, tsan
}

// stepResult is a step's row of the report.
type stepResult struct{ status, reason, detail string }

// nightlyStep is one row of the nightly table.
type nightlyStep struct {
	name func(*nightlyRun) string
	// prepare, when set, runs before the step's header: what it decides can name the step.
	prepare func(*nightlyRun)
	run     func(context.Context, *nightlyRun) stepResult
	// required: when it errors the night cannot go on, and nothing after it runs.
	required bool
}

// nightlySteps is the night, in order.
func nightlySteps() []nightlyStep {
	steps := []nightlyStep{{name: named("build (make native)"), run: stepBuild, required: true}}
	for _, v := range abiVariants {
		steps = append(steps, nightlyStep{name: named("abi (" + v + ")"), run: stepABI(v)})
	}
	steps = append(steps, nightlyStep{name: named("contracts (check + abi, every native/*/contract.yaml)"), run: stepContracts})
	return append(steps,
		nightlyStep{name: func(n *nightlyRun) string { return "replay corpus (asan, " + strings.Join(n.cfg.Specs, ",") + ")" }, run: stepReplay},
		nightlyStep{name: fuzzStepName, prepare: chooseFuzzVariant, run: stepFuzz},
		nightlyStep{name: func(n *nightlyRun) string { return fmt.Sprintf("stress (asan, %s per engine)", n.stressFor) }, run: stepStressASan},
		nightlyStep{name: func(n *nightlyRun) string { return fmt.Sprintf("stress (tsan, %s per engine)", n.tsanFor) }, run: stepStressTSan},
		nightlyStep{name: named("threads (claim table, tsan + asan)"), run: stepThreads},
	)
}

func named(s string) func(*nightlyRun) string { return func(*nightlyRun) string { return s } }

// Nightly runs the nightly job: build, ABI, corpus replay, fuzz, stress, thread claims, then
// the reports in OutDir and the state for the next night. The run's Verdict is clean,
// new-findings or error; the error is for a night that could not write its results.
func Nightly(ctx context.Context, cfg NightlyConfig) (summary.Run, error) {
	if cfg.StatePath == "" {
		cfg.StatePath = filepath.Join(filepath.Dir(filepath.Clean(cfg.OutDir)), "state", "state.json")
	}
	root, err := engine.Root()
	if err != nil {
		return summary.Run{}, err
	}
	state, err := summary.LoadState(cfg.StatePath)
	if err != nil {
		return summary.Run{}, err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return summary.Run{}, err
	}
	host, _ := os.Hostname()
	n := &nightlyRun{cfg: cfg, root: root, out: cfg.Out, fuzzBudget: cfg.Budget * 2 / 3,
		report: summary.Run{Started: time.Now().UTC(), Budget: cfg.Budget.String(),
			Host: fmt.Sprintf("%s, %s, %d cores", host, runtime.Version(), runtime.NumCPU())}}
	n.stressFor = max(cfg.Budget/6/time.Duration(max(len(cfg.Specs), 1)), 10*time.Second)
	// The TSan loops are shorter: the thread claims under the whole adversarial mix (the
	// threads step then checks each claim on its own).
	n.tsanFor = max(n.stressFor/2, 5*time.Second)
	fatal := false
	for _, s := range nightlySteps() {
		if s.prepare != nil {
			s.prepare(n)
		}
		if s.runStep(ctx, n) == summary.Errored && s.required {
			fatal = true
			break
		}
	}
	r := &n.report
	r.Finished = time.Now().UTC()
	summary.Compare(r, &state)
	dedupe(r)
	switch {
	case fatal:
		r.Verdict = VerdictError
	case len(r.New) > 0:
		r.Verdict = VerdictNewFindings
	default:
		r.Verdict = VerdictClean
	}
	if err := writeReports(cfg.OutDir, *r); err != nil {
		return *r, err
	}
	if !fatal {
		if err := summary.SaveState(cfg.StatePath, state); err != nil {
			return *r, err
		}
	}
	fmt.Fprintf(cfg.Out, "\nverdict: %s (%d new, %d known); reports in %s\n", r.Verdict, len(r.New), len(r.Known), cfg.OutDir)
	return *r, nil
}

// runStep runs one step between its header and its result line, and records it.
func (s nightlyStep) runStep(ctx context.Context, n *nightlyRun) string {
	name := s.name(n)
	fmt.Fprintf(n.out, "== %s\n", name)
	start := time.Now()
	res := s.run(ctx, n)
	n.report.Steps = append(n.report.Steps, summary.Step{Name: name, Status: res.status, Reason: res.reason, Detail: res.detail,
		Seconds: time.Since(start).Seconds()})
	fmt.Fprintf(n.out, "   %s %s\n", res.status, res.reason)
	return res.status
}

// found adds findings to the report, each with the head of its report.
func (n *nightlyRun) found(fs ...Finding) {
	for _, f := range fs {
		f.Excerpt = finding.Head(f.Excerpt, 20)
		n.report.New = append(n.report.New, f)
	}
}

func errored(err error) stepResult { return stepResult{status: summary.Errored, reason: err.Error()} }

// stepBuild builds every engine and mutant in every variant; a Rust variant without a nightly
// toolchain is a note, not an error.
func stepBuild(_ context.Context, n *nightlyRun) stepResult {
	cmd := exec.Command(filepath.Join(n.root, "scripts", "build-native.sh"))
	cmd.Dir = n.root
	b, err := cmd.CombinedOutput()
	if err != nil {
		return stepResult{summary.Errored, "native build failed", finding.Tail(string(b), 20)}
	}
	skipped := []string{}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "no nightly toolchain") {
			skipped = append(skipped, strings.TrimPrefix(l, "native: "))
		}
	}
	return stepResult{status: summary.Passed, reason: strings.Join(skipped, "; ")}
}

// stepABI checks both engines' layouts in a variant; a skew is a finding.
func stepABI(variant string) func(context.Context, *nightlyRun) stepResult {
	return func(_ context.Context, n *nightlyRun) stepResult {
		var b bytes.Buffer
		cmd := exec.Command(n.cfg.Seam, "abi", "-engines", "cpp,rust", "-variant", variant)
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		switch {
		case err == nil:
			return stepResult{status: summary.Passed, detail: abiNote(b.String())}
		case cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitFindings:
			n.report.New = append(n.report.New, Finding{Kind: "violation", Signature: "layout-skew | " + variant, Type: "layout-skew",
				Title: firstLineOf(b.String()), Engine: "cpp,rust", Variant: variant, Target: "abi", Reproduce: "seam abi -variant " + variant,
				Excerpt: b.String(), Source: "abi"})
			return stepResult{summary.Failed, "layout skew", b.String()}
		}
		return stepResult{summary.Errored, "seam abi could not run", b.String()}
	}
}

// contractVariants are the builds whose layouts the contracts step checks.
var contractVariants = []string{"debug", "asan"}

// stepContracts checks every boundary that ships in native/ through its contract: the contract
// against its header and engines, then the ABI of its engines in the debug and asan builds.
func stepContracts(_ context.Context, n *nightlyRun) stepResult {
	paths, _ := filepath.Glob(filepath.Join(n.root, "native", "*", "contract.yaml"))
	var notes []string
	for _, c := range paths {
		boundary := filepath.Base(filepath.Dir(c))
		runs := [][]string{{"contract", "check", "-contract", c}}
		for _, v := range contractVariants {
			runs = append(runs, []string{"abi", "-contract", c, "-variant", v})
		}
		for _, args := range runs {
			var b bytes.Buffer
			cmd := exec.Command(n.cfg.Seam, args...)
			cmd.Stdout, cmd.Stderr = &b, &b
			err := cmd.Run()
			reproduce := "seam " + strings.Join(args, " ")
			switch {
			case err == nil:
			case args[0] == "abi" && cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitFindings:
				variant := args[len(args)-1]
				n.report.New = append(n.report.New, Finding{Kind: "violation", Signature: "layout-skew | " + boundary + " | " + variant,
					Type: "layout-skew", Title: firstLineOf(b.String()), Variant: variant, Target: "abi", Reproduce: reproduce,
					Excerpt: b.String(), Source: "abi"})
				return stepResult{summary.Failed, boundary + ": layout skew", b.String()}
			default:
				return stepResult{summary.Errored, reproduce + " could not run or found problems", b.String()}
			}
		}
		notes = append(notes, boundary)
	}
	return stepResult{status: summary.Passed, detail: fmt.Sprintf("%s: contracts fit their headers and engines; layouts agree (%s)",
		strings.Join(notes, ", "), strings.Join(contractVariants, ", "))}
}

// stepReplay replays the whole corpus in asan: every entry that fails is a finding.
func stepReplay(ctx context.Context, n *nightlyRun) stepResult {
	fs, total, err := replayCorpus(ctx, n.cfg.CorpusDir, n.cfg.Specs, "asan")
	if err != nil {
		return errored(err)
	}
	n.found(fs...)
	if len(fs) > 0 {
		return stepResult{status: summary.Failed, reason: fmt.Sprintf("%d of %d entries fail", len(fs), total)}
	}
	return stepResult{status: summary.Passed, reason: fmt.Sprintf("%d entries, all clean", total)}
}

// chooseFuzzVariant picks the fuzz step's build once the build step has made them, and says
// why when it is not cov.
func chooseFuzzVariant(n *nightlyRun) {
	var why string
	n.fuzzVariant, why = nightlyFuzzVariant(n.cfg.Specs)
	if why != "" {
		fmt.Fprintln(n.out, "nightly:", why)
	}
}

func fuzzStepName(n *nightlyRun) string {
	label := "all targets"
	if n.cfg.Targets != nil {
		label = strings.Join(n.cfg.Targets, ",")
	}
	return fmt.Sprintf("fuzz (%s, %s, %s)", label, n.fuzzBudget.Round(time.Second), n.fuzzVariant)
}

// stepFuzz fuzzes every target for its share of 2/3 of the budget; each new finding is
// minimized in the corpus.
func stepFuzz(ctx context.Context, n *nightlyRun) stepResult {
	targets := n.cfg.Targets
	if targets == nil {
		targets = fuzz.Names()
	}
	res, err := Fuzz(ctx, FuzzConfig{Targets: targets, Specs: n.cfg.Specs, Variant: n.fuzzVariant, Budget: n.fuzzBudget,
		CorpusDir: n.cfg.CorpusDir, WorkDir: filepath.Join(n.root, "build", "fuzz"), Timeout: 10 * time.Second, Out: n.out})
	if err != nil {
		return errored(err)
	}
	for _, t := range res.Targets {
		n.report.KnownCrashes = append(n.report.KnownCrashes, t.KnownCrashes...) // the targets a known crash blocks
		if t.Skipped == "" {
			// The variant is part of the key: last night's asan rate is no baseline for cov.
			n.report.Throughput = append(n.report.Throughput, summary.Throughput{Target: t.Target, Engine: t.Engines + " (" + n.fuzzVariant + ")",
				ExecsPerSec: t.ExecsPerSec})
		}
	}
	for _, f := range res.Findings {
		if f.New {
			n.minimize(ctx, f)
		}
		n.found(f)
	}
	if len(res.Findings) > 0 {
		return stepResult{status: summary.Failed, reason: fmt.Sprintf("%d findings (%d new to the corpus)", len(res.Findings), res.NewCount())}
	}
	return stepResult{status: summary.Passed, reason: fmt.Sprintf("%d targets, no findings", len(res.Targets))}
}

// minimize shrinks a new finding's corpus entry, briefly: the night's budget is for finding.
// An entry that does not shrink (or fails to) stays as it is.
func (n *nightlyRun) minimize(ctx context.Context, f Finding) {
	cfg := MinimizeConfig{CorpusDir: n.cfg.CorpusDir, Budget: 30 * time.Second, Timeout: 5 * time.Second, MaxTries: 300}
	if m, _ := Minimize(ctx, cfg, f.Target, f.CorpusID); m.ID != "" {
		fmt.Fprintf(n.out, "[%s] minimized %s: %d -> %d bytes (%s)\n", f.Target, f.CorpusID, m.Stats.From, m.Stats.To, m.ID)
	}
}

// stepStressASan runs the loops of every engine under ASan.
func stepStressASan(ctx context.Context, n *nightlyRun) stepResult {
	return n.stress(ctx, "asan", n.cfg.Specs, nil, n.stressFor)
}

// stepStressTSan runs the same loops under TSan, on the engines with a tsan build.
func stepStressTSan(ctx context.Context, n *nightlyRun) stepResult {
	var have, lack []string
	for _, spec := range n.cfg.Specs {
		if _, err := engine.Resolve(spec, "tsan"); err == nil {
			have = append(have, spec)
		} else {
			lack = append(lack, spec)
		}
	}
	return n.stress(ctx, "tsan", have, lack, n.tsanFor)
}

// stress runs the loops of specs in a variant; lack are the engines without that build.
func (n *nightlyRun) stress(ctx context.Context, variant string, specs, lack []string, d time.Duration) stepResult {
	if len(specs) == 0 {
		return stepResult{status: summary.Skipped, reason: "no " + variant + " build of " + strings.Join(lack, ", ")}
	}
	timeout := 10 * time.Second
	if variant == "tsan" {
		timeout = 30 * time.Second // calls are ~20x slower under TSan
	}
	// The nightly's engines are pricing's (NightlyConfig.Specs) until it takes -contract.
	res, err := Stress(ctx, StressConfig{Contract: filepath.Join(n.root, "native", "pricing", "contract.yaml"), Specs: specs, Variant: variant, Workers: runtime.NumCPU() * 4, Duration: d,
		CorpusDir: n.cfg.CorpusDir, Timeout: timeout, MaxSlope: 1 << 20, Out: n.out})
	if err != nil {
		return errored(err)
	}
	if variant != "tsan" { // TSan's own memory is no trend of the engine's
		n.report.RSS = append(n.report.RSS, res.RSS...)
	}
	n.found(res.Findings...)
	var parts []string
	for _, spec := range specs {
		parts = append(parts, fmt.Sprintf("%s %.0f calls/s", spec, res.Rate[spec]))
	}
	if len(lack) > 0 {
		parts = append(parts, "no "+variant+" build of "+strings.Join(lack, ", "))
	}
	if len(res.Findings) > 0 {
		return stepResult{summary.Failed, fmt.Sprintf("%d findings", len(res.Findings)), strings.Join(parts, ", ")}
	}
	return stepResult{status: summary.Passed, reason: strings.Join(parts, ", ")}
}

// stepThreads checks every thread claim; the claim table is the step's detail.
func stepThreads(ctx context.Context, n *nightlyRun) stepResult {
	rows, err := Threads(ctx, n.cfg.Specs, 120*time.Second, io.Discard)
	if err != nil {
		return errored(err)
	}
	var b strings.Builder
	WriteClaims(&b, rows)
	verified, skipped := 0, 0
	for _, r := range rows {
		switch {
		case r.Finding != nil:
			n.found(*r.Finding)
		case strings.HasPrefix(r.Verdict, "verified"):
			verified++
		default:
			skipped++
		}
	}
	fmt.Fprint(n.out, b.String())
	if verified+skipped < len(rows) {
		return stepResult{summary.Failed, fmt.Sprintf("%d of %d claims violated", len(rows)-verified-skipped, len(rows)), b.String()}
	}
	if skipped > 0 {
		return stepResult{summary.Skipped, fmt.Sprintf("%d claims verified, %d could not be checked here", verified, skipped), b.String()}
	}
	return stepResult{summary.Passed, fmt.Sprintf("%d claims verified", verified), b.String()}
}

// replayCorpus replays every corpus entry on the engines; each failure is a finding.
func replayCorpus(ctx context.Context, dir string, specs []string, variant string) ([]Finding, int, error) {
	entries, err := corpus.Open(dir).List("")
	if err != nil {
		return nil, 0, fmt.Errorf("%w (run seam corpus check)", err)
	}
	byTarget := map[string][]corpus.Entry{}
	for _, e := range entries {
		byTarget[e.Target] = append(byTarget[e.Target], e)
	}
	var out []Finding
	for tg, es := range byTarget {
		j := job{target: tg, specs: specs, variant: variant, timeout: 10 * time.Second}
		reproduce := func(id string) string { return reproCommand(dir, tg, id, specs, variant) }
		if name, ok := trace.BoundaryOf(tg); ok {
			// Traces of a reference boundary replay on its contract's engines, whatever -engines
			// says for pricing's targets.
			cfg, err := referenceTraces(name, variant)
			if err != nil {
				return nil, 0, fmt.Errorf("corpus %s: %w", tg, err)
			}
			j = cfg.job(tg, cfg.Specs, false)
			reproduce = func(id string) string {
				return fmt.Sprintf("seam repro -contract %s -variant %s %s", relToRoot(cfg.Contract), variant, relToRoot(filepath.Join(dir, tg, id)))
			}
		} else if t, ok := fuzz.Lookup(tg); !ok || (t.Pair && len(specs) < 2) {
			continue
		}
		var files []string
		for _, e := range es {
			files = append(files, e.Path)
		}
		res, err := j.run(ctx, files)
		if err != nil {
			return nil, 0, err
		}
		for i, r := range res {
			if f, bad := j.sign(r); bad {
				f.CorpusID, f.Reproduce, f.Source = es[i].ID, reproduce(es[i].ID), "replay"
				out = append(out, f)
			}
		}
	}
	return out, len(entries), nil
}

// referenceTraces is the repro configuration that runs traces of a reference boundary of the
// checkout (native/<name>/contract.yaml) on every engine its contract names.
func referenceTraces(name, variant string) (ReproConfig, error) {
	root, err := engine.Root()
	if err != nil {
		return ReproConfig{}, err
	}
	c, err := contract.Load(filepath.Join(root, "native", name, "contract.yaml"))
	if err != nil {
		return ReproConfig{}, err
	}
	cfg := ReproConfig{Contract: c.Path, Variant: variant, Timeout: 10 * time.Second}
	for _, e := range c.EngineNames() {
		lib, err := c.Library(e, variant)
		if err != nil {
			return ReproConfig{}, err
		}
		cfg.Specs, cfg.Libraries = append(cfg.Specs, e), append(cfg.Libraries, lib)
	}
	return cfg, nil
}

// nightlyFuzzVariant: the coverage bridge's build (cov: asan plus edge and comparison
// feedback, which finds multi-byte compares go test -fuzz alone does not) when every engine has
// one, else asan with the reason (mutants are built in cov only for the bridge's own mutant).
func nightlyFuzzVariant(specs []string) (variant, why string) {
	for _, s := range specs {
		if _, err := engine.Resolve(s, "cov"); err != nil {
			return "asan", fmt.Sprintf("fuzzing the asan variant: %s has no cov build (%v)", s, err)
		}
	}
	return "cov", ""
}

// dedupe keeps one entry per signature in each list (the same bug from replay and fuzz).
func dedupe(r *summary.Run) {
	one := func(fs []Finding) []Finding {
		seen := map[string]bool{}
		var out []Finding
		for _, f := range fs {
			if !seen[f.Signature] {
				seen[f.Signature] = true
				out = append(out, f)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Target < out[j].Target })
		return out
	}
	r.New, r.Known = one(r.New), one(r.Known)
}

func writeReports(dir string, r summary.Run) error {
	files := []struct {
		name  string
		write func(io.Writer, summary.Run) error
	}{
		{"summary.md", summary.WriteMarkdown}, {"report.json", summary.WriteJSON},
		{"junit.xml", summary.WriteJUnit}, {"results.sarif", summary.WriteSARIF},
	}
	for _, f := range files {
		var b bytes.Buffer
		if err := f.write(&b, r); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if len(r.RSS) > 0 {
		return writeRSSPlot(dir, r.RSS)
	}
	return nil
}

// abiNote condenses seam abi's per-engine "ok engine=cpp abi=1 dwarf=3 layout=16 ..." lines
// into one table cell.
func abiNote(out string) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var engine, abi, dwarf, layout string
		for _, f := range strings.Fields(l) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "engine":
				engine = v
			case "abi":
				abi = v
			case "dwarf":
				dwarf = v
			case "layout":
				layout = v
			}
		}
		if engine == "" {
			return strings.Join(strings.Fields(out), " ")
		}
		parts = append(parts, fmt.Sprintf("%s: abi %s, %s structs (DWARF) and %s layout values agree", engine, abi, dwarf, layout))
	}
	return strings.Join(parts, "; ")
}
