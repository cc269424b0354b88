package claims

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/watchdog"
)

// JobKind runs one check in an isolated child (args: contract, engine, variant, subject).
const JobKind = "thread-claim"

func init() {
	isolate.Register(JobKind, func(args map[string]string) (isolate.Handler, error) {
		b, err := boundary.Load(args["contract"])
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(Plan(b.Contract), func(c Check) bool { return c.Subject == args["subject"] })
		if i < 0 {
			return nil, fmt.Errorf("%s has no function or handle type %q", b.Contract.Path, args["subject"])
		}
		ch := Plan(b.Contract)[i]
		es, err := derive.Open(b, []string{args["engine"]}, args["variant"])
		if err != nil {
			return nil, err
		}
		s := &session{b: b, c: b.Contract, e: es[0]}
		return func([]byte) error {
			// The serial part on one OS thread: its calls happen before the parallel part's
			// only through the release parallel makes on this thread (TSan cannot see Go's
			// scheduler move a goroutine).
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			note, err := s.run(ch)
			var skip errSkip
			if errors.As(err, &skip) {
				fmt.Printf("%s%s\n", skipLine, skip.why)
				return nil
			}
			fmt.Printf("%s%s\n", noteLine, note)
			return err
		}, nil
	})
}

// The child's lines that carry a check's note, and the reason it could not run.
const (
	noteLine = "claims-note: "
	skipLine = "claims-skip: "
)

// Config is one run of the checks.
type Config struct {
	Contract string   // the contract file
	Specs    []string // engines (contract names, mutant:NAME, paths); none: the contract's
	Variant  string   // the build the children load; default tsan
	// Only runs the row of one function or handle type (the reproduce command's -check).
	Only    string
	Timeout time.Duration // per child
	// Env is extra environment for the children (TSAN_OPTIONS).
	Env      []string
	Progress io.Writer // one line per check as it starts
	// Reproduce is the command prefix that reruns one row: the engine and the row are added
	// as "-engines SPEC -check SUBJECT".
	Reproduce string
}

// Run runs every check of the contract on every engine, each in its own child.
func Run(ctx context.Context, cfg Config) ([]Row, error) {
	c, err := contract.Load(cfg.Contract)
	if err != nil {
		return nil, err
	}
	if cfg.Variant == "" {
		cfg.Variant = "tsan"
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	specs := cfg.Specs
	if len(specs) == 0 {
		specs = c.EngineNames()
	}
	checks := Plan(c)
	if cfg.Only != "" {
		i := slices.IndexFunc(checks, func(ch Check) bool { return ch.Subject == cfg.Only })
		if i < 0 {
			return nil, fmt.Errorf("%s has no function or handle type %q: -check takes one of its names", c.Path, cfg.Only)
		}
		checks = checks[i : i+1]
	}
	var rows []Row
	for _, spec := range specs {
		er, err := runEngine(ctx, cfg, c, spec, checks)
		if err != nil {
			return nil, err
		}
		rows = append(rows, er...)
	}
	return rows, nil
}

// runEngine runs the checks on one engine, then puts each race on the rows it blames.
func runEngine(ctx context.Context, cfg Config, c *contract.Contract, spec string, checks []Check) ([]Row, error) {
	rows := make([]Row, len(checks))
	lib, libErr := c.Library(spec, cfg.Variant)
	uninstrumented := ""
	if libErr == nil {
		if rt, err := sanrt.RuntimeOf(lib); err == nil && cfg.Variant == "tsan" && rt != sanrt.TSan {
			uninstrumented = " (its tsan build has no TSan: races unseen)"
		}
	}
	type blame struct {
		funcs []string
		from  int // the row whose child found it
		f     *finding.Finding
	}
	var blames []blame
	for i, ch := range checks {
		r := Row{Check: ch, Engine: spec, Reproduce: fmt.Sprintf("%s -engines %s -check %s", cfg.Reproduce, spec, ch.Subject)}
		switch {
		case !ch.Runs() && ch.Why == NotSharedWhy:
			r.Verdict, r.Note, r.Reproduce = NotShared, ch.Why, ""
		case !ch.Runs():
			r.Verdict, r.Note, r.Reproduce = Skipped, ch.Why, ""
		case libErr != nil:
			r.Verdict, r.Note = Skipped, fmt.Sprintf("no %s build: %v", cfg.Variant, libErr)
		default:
			fmt.Fprintf(cfg.Progress, "threads: engine=%s %s (%s, %s)\n", spec, ch.Subject, ch.Claim, ch.What)
			var funcs []string
			var f *finding.Finding
			// A free check's first free can go ahead rightly when every reader happens to be on
			// seam's side of its call, and then looks like a free during calls: such a check
			// runs again, up to freeTries children, until the engine has refused once. An
			// engine that never refuses fails every try.
			for try := 0; try < freeTries; try++ {
				res, err := runChild(ctx, cfg, spec, ch)
				if err != nil {
					return nil, err
				}
				r = Row{Check: ch, Engine: spec, Reproduce: r.Reproduce}
				funcs, f = judge(&r, res, c)
				if r.Verdict != Violated || !isFree(c, ch) || lastLine(string(res.Output), refusedLine) != "" {
					break
				}
			}
			for _, f := range []*finding.Finding{r.Finding, f} {
				if f != nil {
					f.Variant = cfg.Variant
				}
			}
			if len(funcs) > 0 {
				blames = append(blames, blame{funcs, i, f})
			}
			if r.Verdict == Proven {
				r.Note += uninstrumented
			}
		}
		rows[i] = r
	}
	// A race one row's child stopped at, in functions of other rows: theirs.
	for _, b := range blames {
		from := rows[b.from]
		for i := range rows {
			if i == b.from || rows[i].Verdict == Violated || !blamed(rows[i].Check, b.funcs) {
				continue
			}
			r := &rows[i]
			r.Verdict, r.Kind, r.Finding = Violated, b.f.Type, b.f
			r.Evidence = fmt.Sprintf("%s (found by the check of %s)", evidence(*b.f), from.Subject)
			r.Reproduce, r.Note = b.f.Reproduce, ""
		}
	}
	return rows, nil
}

// freeTries is how many children a free check gets to see one refusal.
const freeTries = 3

// isFree reports whether ch is the check of a handle's free function.
func isFree(c *contract.Contract, ch Check) bool {
	t := freedType(c, ch.Subject)
	return !ch.IsType && t != nil && t.Kind == contract.KindHandle
}

func runChild(ctx context.Context, cfg Config, spec string, ch Check) (isolate.Result, error) {
	in, err := os.CreateTemp("", "seam-threads-")
	if err != nil {
		return isolate.Result{}, err
	}
	in.Close()
	defer os.Remove(in.Name())
	job := isolate.Job{Kind: JobKind, Inputs: []string{in.Name()},
		Args: map[string]string{"contract": cfg.Contract, "engine": spec, "variant": cfg.Variant, "subject": ch.Subject}}
	env := append([]string{"SEAM_VARIANT=" + cfg.Variant}, cfg.Env...)
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	res, err := isolate.Run(ctx, job, isolate.Options{Env: env, Timeout: timeout, OnHang: watchdog.GDBStack})
	if err != nil {
		return isolate.Result{}, err
	}
	return res[0], nil
}

// judge sets the row's verdict from its child's result. It returns the functions a race
// report blames that are not the row's own, for their rows, with the finding.
func judge(r *Row, res isolate.Result, c *contract.Contract) ([]string, *finding.Finding) {
	out := string(res.Output)
	switch res.Outcome {
	case isolate.Passed:
		if why := lastLine(out, skipLine); why != "" {
			r.Verdict, r.Note, r.Reproduce = Skipped, why, ""
			return nil, nil
		}
		r.Verdict, r.Note, r.Reproduce = Proven, lastLine(out, noteLine), ""
		return nil, nil
	case isolate.Finding:
		msg, ok := strings.CutPrefix(res.Message, violationPrefix)
		if !ok {
			r.Verdict, r.Note, r.Reproduce = Skipped, "seam could not run it: "+firstLine(res.Message), ""
			return nil, nil
		}
		fn, rest, _ := strings.Cut(msg, ": ")
		kind, evidence, _ := strings.Cut(rest, ": ")
		r.Verdict, r.Kind, r.Evidence = Violated, kind, evidence
		r.Finding = &finding.Finding{Kind: "violation", Type: kind, Signature: "thread-claim | " + fn + " | " + kind,
			Title: fn + ": " + kind + ": " + evidence, Excerpt: res.Message}
		r.Finding.Target = "threads:" + r.Subject
		r.Finding.Engine, r.Finding.Source, r.Finding.Reproduce = r.Engine, "threads", r.Reproduce
		return nil, nil
	}
	if n := lastLine(out, refusedLine); n != "" && r.What == checkExclusive && res.Outcome == isolate.Crashed {
		// A free check stopped by a use of the freed handle after the engine had refused
		// frees during calls: the free that went ahead found no call in the engine, and the
		// use was seam's reader starting its next call (see session.free).
		r.Verdict, r.Reproduce = Proven, ""
		r.Note = n + " frees during calls refused; then one went ahead while seam's readers were between calls, and one used the freed handle (seam's, not the engine's)"
		return nil, nil
	}
	f := finding.FromOutput(res.Output, res.Outcome == isolate.Hung, res.ExitCode)
	f.Target, f.Engine, f.Source, f.Reproduce = "threads:"+r.Subject, r.Engine, "threads", r.Reproduce
	// The race is this row's when it names the row's functions, or when the row's calls share
	// nothing but per-thread state (the per-thread check fails with NULL handles and values
	// out of range: a race there is in that state, whatever function set it). Otherwise the
	// child stopped at another function's race: that row's.
	funcs := Blame(out, c)
	if len(funcs) > 0 && !blamed(r.Check, funcs) && r.What != checkPerThread {
		funcs = culprits(funcs, c)
		r.Verdict, r.Reproduce = Skipped, ""
		r.Note = fmt.Sprintf("stopped at a %s in %s (on that function's row)", f.Type, strings.Join(funcs, ", "))
		return funcs, &f
	}
	r.Verdict, r.Kind, r.Evidence, r.Finding = Violated, f.Type, evidence(f), &f
	return nil, nil
}

// evidence is a crash finding on one line: its title and where.
func evidence(f finding.Finding) string {
	if f.Location != "" {
		return f.Title + " at " + f.Location
	}
	return f.Title
}

// blamed reports whether a race in funcs is ch's.
func blamed(ch Check, funcs []string) bool {
	for _, f := range funcs {
		if slices.Contains(ch.Blames, f) {
			return true
		}
	}
	return false
}

func lastLine(s, prefix string) string {
	out := ""
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			out = strings.TrimSpace(v)
		}
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
