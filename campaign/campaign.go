// Package campaign is what seam's commands do once their flags are parsed: Fuzz (every target
// under the supervisor or libFuzzer, each crasher confirmed in isolation, signed and stored),
// Repro (a verdict per engine for production inputs), Stress (concurrent loops with culprit
// replay, leak batches and the RSS trend), Threads (the header's thread claims), Minimize and
// Nightly, the job that chains them into the reports. Every finding is a finding.Finding from
// the run that finds it to report.json.
package campaign

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/minimize"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/summary"
	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/report"
)

// The types of this package's results, named here so that a caller outside seam's module
// can name them too (their packages are internal).
type (
	// Finding is one signed problem.
	Finding = finding.Finding
	// Report is a nightly run: steps, findings, throughput, RSS series; what the report
	// writers write.
	Report = summary.Run
	// RSSSeries is one engine's memory over a stress run and its fitted slope.
	RSSSeries = summary.RSSSeries
	// MinimizeStats says how a minimization went.
	MinimizeStats = minimize.Stats
)

// ConfigError is a mistake in what the caller asked for (an unknown target, an input whose
// target cannot be told) rather than a run that failed: the CLI answers it with its usage line.
type ConfigError struct{ Msg string }

// Error is the message, which says what to give instead.
func (e ConfigError) Error() string { return e.Msg }

// job runs inputs of a target on engines in isolated children, each in its own process so a
// crash is one input's verdict, not the campaign's end.
type job struct {
	target  string
	specs   []string
	variant string
	timeout time.Duration
	verbose bool // the child prints each engine's verdict line (seam repro shows it)
	// kind is the isolate job kind and args its arguments beside
	// target, engines and variant (a trace job's contract and libraries).
	kind string
	args map[string]string
}

// checksLeaks: children of this variant run a LeakSanitizer check (asan, and cov, which is asan
// plus coverage).
func checksLeaks(variant string) bool { return sanrt.For(variant) == sanrt.ASan }

// childEnv is the environment a child needs to load engines of a variant (cli.ServeChild reads
// it on the other side).
func childEnv(variant string, extra ...string) []string {
	return append([]string{"SEAM_VARIANT=" + variant}, extra...)
}

// run runs the inputs (files) and returns each one's result.
func (j job) run(ctx context.Context, inputs []string) ([]isolate.Result, error) {
	ij := isolate.Job{
		Kind:      j.kind,
		Args:      map[string]string{"target": j.target, "engines": strings.Join(j.specs, ","), "variant": j.variant},
		Inputs:    inputs,
		LeakCheck: checksLeaks(j.variant),
	}
	for k, v := range j.args {
		ij.Args[k] = v
	}
	env := childEnv(j.variant)
	if j.verbose {
		env = append(env, "SEAM_REPRO_VERBOSE=1")
	}
	return isolate.Run(ctx, ij, isolate.Options{Env: env, Timeout: j.timeout, OnHang: watchdog.GDBStack})
}

// sign classifies one result; the finding says where it was found.
func (j job) sign(r isolate.Result) (Finding, bool) {
	f, ok := finding.FromResult(r, fuzz.SignViolation)
	if ok {
		f.Target, f.Engine, f.Variant = j.target, strings.Join(j.specs, ","), j.variant
	}
	return f, ok
}

// one runs one input and signs what it found; out is the child's output.
func (j job) one(ctx context.Context, data []byte) (f Finding, found bool, out []byte, err error) {
	tmp, err := os.CreateTemp("", "seam-input-")
	if err != nil {
		return Finding{}, false, nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return Finding{}, false, nil, err
	}
	tmp.Close()
	res, err := j.run(ctx, []string{tmp.Name()})
	if err != nil {
		return Finding{}, false, nil, err
	}
	f, found = j.sign(res[0])
	if found {
		f.Input = data
	}
	return f, found, res[0].Output, nil
}

// many runs the inputs in one child (restarted past a crash) and signs what each found, by
// the input's index.
func (j job) many(ctx context.Context, inputs [][]byte) (map[int]Finding, error) {
	dir, paths, err := inputFiles(inputs)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	res, err := j.run(ctx, paths)
	if err != nil {
		return nil, err
	}
	out := map[int]Finding{}
	for _, r := range res {
		i := slices.Index(paths, r.Input)
		if f, ok := j.sign(r); ok && i >= 0 {
			f.Input = inputs[i]
			out[i] = f
		}
	}
	return out, nil
}

// inputFiles writes each input to a file of a new temporary directory, which the caller
// removes.
func inputFiles(inputs [][]byte) (dir string, paths []string, err error) {
	if dir, err = os.MkdirTemp("", "seam-inputs-"); err != nil {
		return "", nil, err
	}
	paths = make([]string, len(inputs))
	for i, data := range inputs {
		paths[i] = filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(paths[i], data, 0o600); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
	}
	return dir, paths, nil
}

// relToRoot is path relative to the checkout when it is inside it (commands are run from
// there), else relative to the working directory when it is below it (a team's repository).
func relToRoot(path string) string {
	base, err := checkout.Root()
	if err != nil {
		base, err = os.Getwd()
	}
	if err == nil {
		if rel, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

// metaOf is the corpus sidecar of a finding.
func metaOf(f Finding, source string) corpus.Meta {
	return corpus.Meta{Signature: f.Signature, Type: f.Type, Engines: strings.Split(f.Engine, ","), Variant: f.Variant,
		Source: source, Report: finding.Head(f.Excerpt, 30), Location: f.Location, Note: f.Note}
}

// store adds the finding's input to the corpus under its target and returns the entry's id.
func store(st *corpus.Store, f Finding, source string) (string, error) {
	id, _, err := st.Add(f.Target, f.Input, metaOf(f, source))
	return id, err
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// fmtDur is m:ss, the clock of the status lines.
func fmtDur(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// Resign signs a sidecar's stored report again with the current report parser, for
// corpus.Store.Migrate. It keeps the entry as it is when the report is not a crash report (a
// mismatch or contract finding, signed by its own rules), parses as another kind of crash, is
// cut or garbled, or holds fewer frames than the signature it has (the excerpt is the report's
// first 30 lines).
func Resign(m corpus.Meta) (string, string, bool) {
	if m.Report == "" {
		return "", "", false
	}
	r, ok := report.Parse([]byte(m.Report))
	if !ok || r.Corrupted != "" {
		return "", "", false
	}
	if !strings.HasPrefix(m.Type, r.Type) && !strings.HasPrefix(r.Type, m.Type) {
		return "", "", false
	}
	if strings.Count(r.Signature, " | ") < strings.Count(m.Signature, " | ") {
		return "", "", false
	}
	return r.Signature, r.Type, true
}
