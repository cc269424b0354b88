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
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seamfuzz/seam/claims"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/trace"
)

// NightlyConfig is one nightly job.
type NightlyConfig struct {
	// Contracts are the boundaries of the night, each a contract file; none: every
	// native/*/contract.yaml of the checkout.
	Contracts []string
	// Specs, when set, are the engines of every boundary (-engines; meant for one contract, e.g.
	// a mutant against the reference); none: each contract's own engines.
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

// nightlyRun is the state the steps share: the report they fill and what an earlier step
// decided for a later one.
type nightlyRun struct {
	cfg         NightlyConfig
	root        string // the checkout; "" outside it
	boundaries  []nightBoundary
	out         io.Writer
	report      summary.Run
	fuzzVariant string
	fuzzBudget  time.Duration
	stressFor   time.Duration // per engine, asan
	tsanFor     time.Duration // per engine, tsan
}

// nightBoundary is one boundary of the night.
type nightBoundary struct {
	c     *contract.Contract
	specs []string // its engines
	// fuzzVariant is the build its fuzz step uses (chooseFuzzVariant).
	fuzzVariant string
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

// nightlySteps is the night, in order: each boundary's build, contract and ABI check, corpus
// replay and fuzzing, then the stress loops and thread claims.
func nightlySteps(n *nightlyRun) []nightlyStep {
	var steps []nightlyStep
	built := map[string]bool{}
	for i := range n.boundaries {
		nb := &n.boundaries[i]
		name := nb.c.Boundary
		if nb.c.Build != "" && !built[nb.c.Dir+"\x00"+nb.c.Build] {
			built[nb.c.Dir+"\x00"+nb.c.Build] = true
			steps = append(steps, nightlyStep{name: named(fmt.Sprintf("[%s] build (%s)", name, nb.c.Build)), run: stepBuild(nb), required: true})
		}
		steps = append(steps,
			nightlyStep{name: named(fmt.Sprintf("[%s] contract check + abi (%s)", name, strings.Join(contractVariants, ", "))), run: stepContract(nb)},
			nightlyStep{name: named(fmt.Sprintf("[%s] replay corpus (asan, %s)", name, strings.Join(nb.specs, ","))), run: stepReplay(nb)},
			nightlyStep{name: func(n *nightlyRun) string { return fuzzStepName(n, nb) }, prepare: func(n *nightlyRun) { chooseFuzzVariant(n, nb) }, run: stepFuzz(nb)},
		)
	}
	for i := range n.boundaries {
		nb := &n.boundaries[i]
		name := nb.c.Boundary
		steps = append(steps,
			nightlyStep{name: func(n *nightlyRun) string { return fmt.Sprintf("[%s] stress (asan, %s per engine)", name, n.stressFor) }, run: stepStressASan(nb)},
			nightlyStep{name: func(n *nightlyRun) string { return fmt.Sprintf("[%s] stress (tsan, %s per engine)", name, n.tsanFor) }, run: stepStressTSan(nb)},
			nightlyStep{name: named(fmt.Sprintf("[%s] threads (claim table, tsan)", name)), run: stepThreads(nb)},
		)
	}
	return steps
}

// NightlyContracts are the boundaries a night runs when none are given: every
// native/*/contract.yaml of the checkout.
func NightlyContracts(root string) []string {
	paths, _ := filepath.Glob(filepath.Join(root, "native", "*", "contract.yaml"))
	return paths
}

func named(s string) func(*nightlyRun) string { return func(*nightlyRun) string { return s } }

// Nightly runs the nightly job: build, ABI, corpus replay, fuzz, stress, thread claims, then
// the reports in OutDir and the state for the next night. The run's Verdict is clean,
// new-findings or error; the error is for a night that could not write its results.
func Nightly(ctx context.Context, cfg NightlyConfig) (summary.Run, error) {
	if cfg.StatePath == "" {
		cfg.StatePath = filepath.Join(filepath.Dir(filepath.Clean(cfg.OutDir)), "state", "state.json")
	}
	root, _ := checkout.Root()
	if len(cfg.Contracts) == 0 {
		if root == "" {
			return summary.Run{}, ConfigError{"no -contract given and not inside the seam checkout: give -contract FILE"}
		}
		cfg.Contracts = NightlyContracts(root)
	}
	var boundaries []nightBoundary
	for _, p := range cfg.Contracts {
		c, err := contract.Load(p)
		if err != nil {
			return summary.Run{}, err
		}
		specs := cfg.Specs
		if len(specs) == 0 {
			specs = c.EngineNames()
		}
		boundaries = append(boundaries, nightBoundary{c: c, specs: specs})
	}
	for _, b := range boundaries {
		if len(cfg.Targets) > 0 {
			if _, err := contractTargets(b.c.Path, strings.Join(cfg.Targets, ",")); err != nil {
				return summary.Run{}, err
			}
		}
	}
	state, err := summary.LoadState(cfg.StatePath)
	if err != nil {
		return summary.Run{}, err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return summary.Run{}, err
	}
	host, _ := os.Hostname()
	n := &nightlyRun{cfg: cfg, root: root, boundaries: boundaries, out: cfg.Out, fuzzBudget: cfg.Budget * 2 / 3 / time.Duration(len(boundaries)),
		report: summary.Run{Started: time.Now().UTC(), Budget: cfg.Budget.String(),
			Host: fmt.Sprintf("%s, %s, %d cores", host, runtime.Version(), runtime.NumCPU())}}
	for _, b := range boundaries {
		n.report.Boundaries = append(n.report.Boundaries, summary.Boundary{Name: b.c.Boundary, Contract: relToRoot(b.c.Path), Engines: b.specs})
	}
	engines := 0
	for _, b := range boundaries {
		engines += len(b.specs)
	}
	n.stressFor = max(cfg.Budget/6/time.Duration(max(engines, 1)), 10*time.Second)
	// The TSan loops are shorter: the thread claims under the whole adversarial mix (the
	// threads step then checks each claim on its own).
	n.tsanFor = max(n.stressFor/2, 5*time.Second)
	fatal := false
	for _, s := range nightlySteps(n) {
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

// stepBuild runs the contract's build command in its directory; a Rust variant without a
// nightly toolchain is a note, not an error.
func stepBuild(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, _ *nightlyRun) stepResult {
		cmd := exec.CommandContext(ctx, "sh", "-c", nb.c.Build)
		cmd.Dir = nb.c.Dir
		b, err := cmd.CombinedOutput()
		if err != nil {
			return stepResult{summary.Errored, fmt.Sprintf("build failed: `%s` in %s", nb.c.Build, relToRoot(nb.c.Dir)), finding.Tail(string(b), 20)}
		}
		skipped := []string{}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "no nightly toolchain") {
				skipped = append(skipped, strings.TrimPrefix(l, "native: "))
			}
		}
		return stepResult{status: summary.Passed, reason: strings.Join(skipped, "; ")}
	}
}

// contractVariants are the builds whose layouts the contract step checks.
var contractVariants = []string{"debug", "asan"}

// stepContract checks the boundary's contract against its header and engines, then the ABI of
// its engines in the debug and asan builds; a layout skew is a finding.
func stepContract(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, n *nightlyRun) stepResult {
		name, path := nb.c.Boundary, relToRoot(nb.c.Path)
		engines := strings.Join(nb.specs, ",")
		runs := [][]string{{"contract", "check", "-contract", path, "-engines", engines}}
		for _, v := range contractVariants {
			runs = append(runs, []string{"abi", "-contract", path, "-engines", engines, "-variant", v})
		}
		var notes []string
		for _, args := range runs {
			var b bytes.Buffer
			cmd := exec.CommandContext(ctx, n.cfg.Seam, args...)
			cmd.Stdout, cmd.Stderr = &b, &b
			err := cmd.Run()
			reproduce := "seam " + strings.Join(args, " ")
			switch {
			case err == nil:
				if args[0] == "abi" {
					notes = append(notes, args[len(args)-1]+": "+abiNote(b.String()))
				}
			case args[0] == "abi" && cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitFindings:
				variant := args[len(args)-1]
				n.report.New = append(n.report.New, Finding{Kind: "violation", Signature: "layout-skew | " + name + " | " + variant,
					Type: "layout-skew", Title: firstLineOf(b.String()), Engine: engines, Variant: variant, Target: name + ".abi", Reproduce: reproduce,
					Excerpt: b.String(), Source: "abi"})
				return stepResult{summary.Failed, "layout skew", b.String()}
			default:
				return stepResult{summary.Errored, reproduce + " could not run or found problems", b.String()}
			}
		}
		return stepResult{status: summary.Passed, detail: "the contract fits its header and engines; " + strings.Join(notes, "; ")}
	}
}

// stepReplay replays the boundary's corpus entries (its traces and its targets' inputs) in
// asan: every entry that fails is a finding.
func stepReplay(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, n *nightlyRun) stepResult {
		fs, total, err := replayBoundaryCorpus(ctx, n.cfg.CorpusDir, nb.c, nb.specs, "asan")
		if err != nil {
			return errored(err)
		}
		return replayResult(n, fs, total)
	}
}

func replayResult(n *nightlyRun, fs []Finding, total int) stepResult {
	n.found(fs...)
	if len(fs) > 0 {
		return stepResult{status: summary.Failed, reason: fmt.Sprintf("%d of %d entries fail", len(fs), total)}
	}
	return stepResult{status: summary.Passed, reason: fmt.Sprintf("%d entries, all clean", total)}
}

// chooseFuzzVariant picks the boundary's fuzz build once the build step has made them, and
// says why when it is not cov.
func chooseFuzzVariant(n *nightlyRun, nb *nightBoundary) {
	var why string
	nb.fuzzVariant, why = nightlyFuzzVariant(nb.c, nb.specs)
	if why != "" {
		fmt.Fprintf(n.out, "nightly: [%s] %s\n", nb.c.Boundary, why)
	}
}

func fuzzStepName(n *nightlyRun, nb *nightBoundary) string {
	label := "all targets"
	if n.cfg.Targets != nil {
		label = strings.Join(n.cfg.Targets, ",")
	}
	return fmt.Sprintf("[%s] fuzz (%s, %s, %s)", nb.c.Boundary, label, n.fuzzBudget.Round(time.Second), nb.fuzzVariant)
}

// stepFuzz fuzzes every target of the boundary for its share of the budget; each new finding
// is minimized in the corpus.
func stepFuzz(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, n *nightlyRun) stepResult {
		workDir := filepath.Join(nb.c.Dir, "build", "fuzz")
		if n.root != "" {
			workDir = filepath.Join(n.root, "build", "fuzz")
		}
		res, err := Fuzz(ctx, FuzzConfig{Contract: nb.c.Path, Targets: n.cfg.Targets, Specs: nb.specs, Variant: nb.fuzzVariant, Budget: n.fuzzBudget,
			CorpusDir: n.cfg.CorpusDir, WorkDir: workDir, Timeout: 10 * time.Second, Out: n.out})
		if err != nil {
			return errored(err)
		}
		for _, t := range res.Targets {
			n.report.KnownCrashes = append(n.report.KnownCrashes, t.KnownCrashes...) // the targets a known crash blocks
			if t.Skipped == "" {
				// The variant is part of the key: last night's asan rate is no baseline for cov.
				n.report.Throughput = append(n.report.Throughput, summary.Throughput{Target: t.Target, Engine: t.Engines + " (" + nb.fuzzVariant + ")",
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
func stepStressASan(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, n *nightlyRun) stepResult {
		return n.stress(ctx, nb, "asan", nb.specs, nil, n.stressFor)
	}
}

// stepStressTSan runs the same loops under TSan, on the engines with a tsan build.
func stepStressTSan(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, n *nightlyRun) stepResult {
		var have, lack []string
		for _, spec := range nb.specs {
			if _, err := nb.c.Library(spec, "tsan"); err == nil {
				have = append(have, spec)
			} else {
				lack = append(lack, spec)
			}
		}
		return n.stress(ctx, nb, "tsan", have, lack, n.tsanFor)
	}
}

// stress runs the loops of specs in a variant; lack are the engines without that build.
func (n *nightlyRun) stress(ctx context.Context, nb *nightBoundary, variant string, specs, lack []string, d time.Duration) stepResult {
	if len(specs) == 0 {
		return stepResult{status: summary.Skipped, reason: "no " + variant + " build of " + strings.Join(lack, ", ")}
	}
	timeout := 10 * time.Second
	if variant == "tsan" {
		timeout = 30 * time.Second // calls are ~20x slower under TSan
	}
	res, err := Stress(ctx, StressConfig{Contract: nb.c.Path, Specs: specs, Variant: variant, Workers: runtime.NumCPU() * 4, Duration: d,
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
func stepThreads(nb *nightBoundary) func(context.Context, *nightlyRun) stepResult {
	return func(ctx context.Context, n *nightlyRun) stepResult {
		rows, err := Threads(ctx, ThreadsConfig{Contract: nb.c.Path, Specs: nb.specs, Timeout: 120 * time.Second, Progress: io.Discard})
		if err != nil {
			return errored(err)
		}
		return threadsResult(n, rows)
	}
}

func threadsResult(n *nightlyRun, rows []claims.Row) stepResult {
	var b strings.Builder
	WriteClaims(&b, rows)
	verified, skipped := 0, 0
	for _, r := range rows {
		switch {
		case r.Finding != nil:
			n.found(*r.Finding)
		case r.Verdict == claims.Proven || r.Verdict == claims.NotShared:
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

// replayBoundaryCorpus replays every corpus entry of the boundary (corpus/<boundary>.*/) on its
// engines; each failure is a finding.
func replayBoundaryCorpus(ctx context.Context, dir string, c *contract.Contract, specs []string, variant string) ([]Finding, int, error) {
	entries, err := corpus.Open(dir).List("")
	if err != nil {
		return nil, 0, fmt.Errorf("%w (run seam corpus check)", err)
	}
	cfg := ReproConfig{Contract: c.Path, Variant: variant, Timeout: 10 * time.Second}
	for _, s := range specs {
		lib, err := c.Library(s, variant)
		if err != nil {
			return nil, 0, err
		}
		cfg.Specs, cfg.Libraries = append(cfg.Specs, s), append(cfg.Libraries, lib)
	}
	byTarget := map[string][]corpus.Entry{}
	total := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Target, c.Boundary+".") && (isTraceTarget(e.Target) || isContractTarget(c, e.Target)) {
			byTarget[e.Target] = append(byTarget[e.Target], e)
			total++
		}
	}
	var out []Finding
	for tg, es := range byTarget {
		j := cfg.job(tg, cfg.Specs, false)
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
				f.CorpusID, f.Source = es[i].ID, "replay"
				f.Reproduce = fmt.Sprintf("seam repro -contract %s -engines %s -variant %s %s", relToRoot(c.Path), strings.Join(specs, ","), variant, relToRoot(es[i].Path))
				out = append(out, f)
			}
		}
	}
	return out, total, nil
}

func isTraceTarget(target string) bool { _, ok := trace.BoundaryOf(target); return ok }

// isContractTarget: target is "<boundary>.<one of the contract's derived targets>".
func isContractTarget(c *contract.Contract, target string) bool {
	names, err := ContractTargetNames(c.Path)
	return err == nil && slices.Contains(names, strings.TrimPrefix(target, c.Boundary+"."))
}

// nightlyFuzzVariant: the coverage bridge's build (cov: asan plus edge and comparison
// feedback, which finds multi-byte compares go test -fuzz alone does not) when every engine has
// one, else asan with the reason (mutants are built in cov only for the bridge's own mutant).
func nightlyFuzzVariant(c *contract.Contract, specs []string) (variant, why string) {
	for _, s := range specs {
		if _, err := c.Library(s, "cov"); err != nil {
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
