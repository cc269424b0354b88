package cli

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

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/corpus"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/minimize"
	"github.com/seamfuzz/seam/internal/summary"
)

func init() {
	register("nightly", "the nightly job: build, ABI, corpus replay, fuzz, import, reports (exit 1 on anything new)", runNightly)
}

func runNightly(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("nightly", stderr)
	var ef engineFlags
	ef.register(fs)
	budget := fs.Duration("budget", 3*time.Minute, "fuzzing budget for the whole night (e.g. 8h)")
	out := fs.String("out", "out/nightly", "report directory")
	statePath := fs.String("state", "", "state file of known signatures and throughput (default: <out>/../state/state.json)")
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	targetList := fs.String("targets", "all", "fuzz targets to run, comma-separated ("+strings.Join(fuzz.Names(), ", ")+")")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	targets, err := selectTargets(*targetList)
	if err != nil {
		return fail(stderr, "nightly", err)
	}
	if *statePath == "" {
		*statePath = filepath.Join(filepath.Dir(filepath.Clean(*out)), "state", "state.json")
	}
	root, err := engine.Root()
	if err != nil {
		return fail(stderr, "nightly", err)
	}
	setReportRoot()
	state, err := summary.LoadState(*statePath)
	if err != nil {
		return fail(stderr, "nightly", err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(stderr, "nightly", err)
	}
	host, _ := os.Hostname()
	run := summary.Run{Started: time.Now().UTC(), Budget: budget.String(),
		Host: fmt.Sprintf("%s, %s, %d cores", host, runtime.Version(), runtime.NumCPU())}
	specs := ef.specs()
	step := func(name string, f func() (status, reason, detail string)) string {
		fmt.Fprintf(stdout, "== %s\n", name)
		t := time.Now()
		st, reason, detail := f()
		run.Steps = append(run.Steps, summary.Step{Name: name, Status: st, Reason: reason, Detail: detail, Seconds: time.Since(t).Seconds()})
		fmt.Fprintf(stdout, "   %s %s\n", st, reason)
		return st
	}
	fatal := false
	if step("build (make native)", func() (string, string, string) {
		cmd := exec.Command(filepath.Join(root, "scripts", "build-native.sh"))
		cmd.Dir = root
		b, err := cmd.CombinedOutput()
		if err != nil {
			return summary.Errored, "native build failed", finding.Tail(string(b), 20)
		}
		skipped := []string{}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "no nightly toolchain") {
				skipped = append(skipped, strings.TrimPrefix(l, "native: "))
			}
		}
		return summary.Passed, strings.Join(skipped, "; "), ""
	}) == summary.Errored {
		fatal = true
	}
	self, _ := os.Executable()
	for _, v := range []string{"debug", "asan", "release"} {
		if fatal {
			break
		}
		step("abi ("+v+")", func() (string, string, string) {
			var b bytes.Buffer
			cmd := exec.Command(self, "abi", "-engines", "cpp,rust", "-variant", v)
			cmd.Stdout, cmd.Stderr = &b, &b
			err := cmd.Run()
			switch {
			case err == nil:
				return summary.Passed, "", abiNote(b.String())
			case cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == ExitFindings:
				run.New = append(run.New, summary.Finding{Signature: "layout-skew | " + v, Type: "layout-skew", Title: firstLineOf(b.String()),
					Engine: "cpp,rust", Variant: v, Target: "abi", Reproduce: "seam abi -variant " + v, Excerpt: b.String(), Source: "abi"})
				return summary.Failed, "layout skew", b.String()
			}
			return summary.Errored, "seam abi could not run", b.String()
		})
	}
	ctx := context.Background()
	if !fatal {
		step("replay corpus (asan, "+strings.Join(specs, ",")+")", func() (string, string, string) {
			fs, n, err := replayCorpus(ctx, *dir, specs, "asan")
			if err != nil {
				return summary.Errored, err.Error(), ""
			}
			run.New = append(run.New, fs...)
			if len(fs) > 0 {
				return summary.Failed, fmt.Sprintf("%d of %d entries fail", len(fs), n), ""
			}
			return summary.Passed, fmt.Sprintf("%d entries, all clean", n), ""
		})
		fuzzBudget := *budget * 2 / 3
		label := "all targets"
		if *targetList != "all" {
			label = strings.Join(targets, ",")
		}
		fuzzVariant, why := nightlyFuzzVariant(specs)
		if why != "" {
			fmt.Fprintln(stdout, "nightly:", why)
		}
		step(fmt.Sprintf("fuzz (%s, %s, %s)", label, fuzzBudget.Round(time.Second), fuzzVariant), func() (string, string, string) {
			res, err := Fuzz(ctx, FuzzConfig{Targets: targets, Specs: specs, Variant: fuzzVariant, Budget: fuzzBudget, CorpusDir: *dir,
				WorkDir: filepath.Join(root, "build", "fuzz"), Timeout: 10 * time.Second, Out: stdout})
			if err != nil {
				return summary.Errored, err.Error(), ""
			}
			for _, t := range res.Targets {
				run.KnownCrashes = append(run.KnownCrashes, t.KnownCrashes...) // issue 16
				if t.Skipped == "" {
					// The variant is part of the key: last night's asan rate is no baseline for cov.
					run.Throughput = append(run.Throughput, summary.Throughput{Target: t.Target, Engine: t.Engines + " (" + fuzzVariant + ")", ExecsPerSec: t.ExecsPerSec})
				}
			}
			for _, f := range res.Findings {
				if f.New {
					minimizeNew(ctx, *dir, f, stdout)
				}
				run.New = append(run.New, toSummary(f.Finding, f.Target, f.Engine, f.Variant, f.CorpusID, f.Reproduce, "fuzz"))
			}
			if len(res.Findings) > 0 {
				return summary.Failed, fmt.Sprintf("%d findings (%d new to the corpus)", len(res.Findings), res.NewCount()), ""
			}
			return summary.Passed, fmt.Sprintf("%d targets, no findings", len(res.Targets)), ""
		})
		// stress runs the loops of specs in a variant; lack are the engines without that build.
		stress := func(variant string, specs, lack []string, d time.Duration) (string, string, string) {
			if len(specs) == 0 {
				return summary.Skipped, "no " + variant + " build of " + strings.Join(lack, ", "), ""
			}
			timeout := 10 * time.Second
			if variant == "tsan" {
				timeout = 30 * time.Second // calls are ~20x slower under TSan
			}
			res, err := Stress(ctx, StressConfig{Specs: specs, Variant: variant, Workers: runtime.NumCPU() * 4, Duration: d,
				CorpusDir: *dir, Timeout: timeout, MaxSlope: 1 << 20, Out: stdout})
			if err != nil {
				return summary.Errored, err.Error(), ""
			}
			if variant != "tsan" { // TSan's own memory is no trend of the engine's
				run.RSS = append(run.RSS, res.RSS...)
			}
			for _, f := range res.Findings {
				run.New = append(run.New, toSummary(f.Finding, f.Target, f.Engine, f.Variant, f.CorpusID, f.Reproduce, "stress"))
			}
			var parts []string
			for _, spec := range specs {
				parts = append(parts, fmt.Sprintf("%s %.0f calls/s", spec, res.Rate[spec]))
			}
			if len(lack) > 0 {
				parts = append(parts, "no "+variant+" build of "+strings.Join(lack, ", "))
			}
			if len(res.Findings) > 0 {
				return summary.Failed, fmt.Sprintf("%d findings", len(res.Findings)), strings.Join(parts, ", ")
			}
			return summary.Passed, strings.Join(parts, ", "), ""
		}
		stressFor := max(*budget/6/time.Duration(len(specs)), 10*time.Second)
		step(fmt.Sprintf("stress (asan, %s per engine)", stressFor), func() (string, string, string) {
			return stress("asan", specs, nil, stressFor)
		})
		// The same loops under TSan, shorter: the thread claims under the whole adversarial mix
		// (seam threads then checks each claim on its own).
		tsanFor := max(stressFor/2, 5*time.Second)
		step(fmt.Sprintf("stress (tsan, %s per engine)", tsanFor), func() (string, string, string) {
			var have, lack []string
			for _, spec := range specs {
				if _, err := engine.Resolve(spec, "tsan"); err == nil {
					have = append(have, spec)
				} else {
					lack = append(lack, spec)
				}
			}
			return stress("tsan", have, lack, tsanFor)
		})
		step("threads (claim table, tsan + asan)", func() (string, string, string) {
			rows, err := Threads(ctx, specs, 120*time.Second, io.Discard)
			if err != nil {
				return summary.Errored, err.Error(), ""
			}
			var b strings.Builder
			printClaims(&b, rows)
			verified, skipped := 0, 0
			for _, r := range rows {
				switch {
				case r.Finding != nil:
					run.New = append(run.New, toSummary(*r.Finding, "threads:"+r.Check, r.Engine, r.Variant, "",
						fmt.Sprintf("seam threads -engines %s", r.Engine), "threads"))
				case strings.HasPrefix(r.Verdict, "verified"):
					verified++
				default:
					skipped++
				}
			}
			fmt.Fprint(stdout, b.String())
			if verified+skipped < len(rows) {
				return summary.Failed, fmt.Sprintf("%d of %d claims violated", len(rows)-verified-skipped, len(rows)), b.String()
			}
			if skipped > 0 {
				return summary.Skipped, fmt.Sprintf("%d claims verified, %d could not be checked here", verified, skipped), b.String()
			}
			return summary.Passed, fmt.Sprintf("%d claims verified", verified), b.String()
		})
	}
	run.Finished = time.Now().UTC()
	summary.Compare(&run, &state)
	dedupe(&run)
	switch {
	case fatal:
		run.Verdict = "error"
	case len(run.New) > 0:
		run.Verdict = "new-findings"
	default:
		run.Verdict = "clean"
	}
	if err := writeReports(*out, run); err != nil {
		return fail(stderr, "nightly", err)
	}
	if !fatal {
		if err := summary.SaveState(*statePath, state); err != nil {
			return fail(stderr, "nightly", err)
		}
	}
	fmt.Fprintf(stdout, "\nverdict: %s (%d new, %d known); reports in %s\n", run.Verdict, len(run.New), len(run.Known), *out)
	switch run.Verdict {
	case "error":
		return ExitError
	case "new-findings":
		return ExitFindings
	}
	return ExitClean
}

// replayCorpus replays every corpus entry on the engines; each failure is a finding.
func replayCorpus(ctx context.Context, dir string, specs []string, variant string) ([]summary.Finding, int, error) {
	entries, err := corpus.Open(dir).List("")
	if err != nil {
		return nil, 0, fmt.Errorf("%w (run seam corpus check)", err)
	}
	byTarget := map[string][]corpus.Entry{}
	for _, e := range entries {
		byTarget[e.Target] = append(byTarget[e.Target], e)
	}
	var out []summary.Finding
	for tg, es := range byTarget {
		t, ok := fuzz.Lookup(tg)
		if !ok || (t.Pair && len(specs) < 2) {
			continue
		}
		var files []string
		for _, e := range es {
			files = append(files, e.Path)
		}
		res, err := runJob(ctx, tg, specs, variant, files, 10*time.Second, false)
		if err != nil {
			return nil, 0, err
		}
		for i, r := range res {
			if f, bad := finding.FromResult(r, fuzz.SignViolation); bad {
				out = append(out, toSummary(f, tg, strings.Join(specs, ","), variant, es[i].ID, reproCommand(dir, tg, es[i].ID, specs, variant), "replay"))
			}
		}
	}
	return out, len(entries), nil
}

func minimizeNew(ctx context.Context, dir string, f FoundFinding, w io.Writer) {
	st := corpus.Open(dir)
	_, data, err := st.Get(f.Target, f.CorpusID)
	if err != nil || len(data) < 2 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	min, _, _ := minimize.Bytes(ctx, data, func(ctx context.Context, in []byte) (bool, error) {
		g, ok, err := runOne(ctx, f.Target, strings.Split(f.Engine, ","), f.Variant, in, 5*time.Second)
		return ok && g.Signature == f.Signature, err
	}, minimize.Options{MaxTries: 300})
	if len(min) == 0 || len(min) >= len(data) {
		return
	}
	e, _, _ := st.Get(f.Target, f.CorpusID)
	m := e.Meta
	m.MinimizedFrom, m.MinimizedTo, m.FirstSeen = f.CorpusID, nil, time.Time{}
	if id, _, err := st.Add(f.Target, min, m); err == nil {
		st.Update(f.Target, f.CorpusID, func(o *corpus.Meta) { o.MinimizedTo = appendUnique(o.MinimizedTo, id) })
		fmt.Fprintf(w, "[%s] minimized %s: %d -> %d bytes (%s)\n", f.Target, f.CorpusID, len(data), len(min), id)
	}
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

func toSummary(f finding.Finding, target, eng, variant, id, repro, source string) summary.Finding {
	s := summary.Finding{Signature: f.Signature, Type: f.Type, Title: f.Title, Engine: eng, Variant: variant, Target: target,
		CorpusID: id, Reproduce: repro, Excerpt: finding.Head(f.Excerpt, 20), Location: f.Location, Source: source}
	for _, fr := range f.Frames {
		s.Frames = append(s.Frames, summary.Frame{Func: fr.Func, File: fr.File, Line: fr.Line})
	}
	return s
}

// dedupe keeps one entry per signature in each list (the same bug from replay and fuzz).
func dedupe(r *summary.Run) {
	one := func(fs []summary.Finding) []summary.Finding {
		seen := map[string]bool{}
		var out []summary.Finding
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
		var b bytes.Buffer
		if err := summary.WriteRSSPlot(&b, r.RSS); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "rss.svg"), b.Bytes(), 0o644)
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
