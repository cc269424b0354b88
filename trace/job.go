package trace

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/internal/isolate"
)

// JobKind is the isolate job kind that runs traces in a child process. Its arguments:
// "contract" (the contract file), "engines" (the engine names, comma-separated) and
// "libraries" (their library paths, in the same order). Each input is one trace; with one
// engine the child runs it and checks the results against the contract, with more it runs it
// on each and compares every engine with the first.
const JobKind = "trace"

func init() {
	isolate.Register(JobKind, setup)
}

func setup(args map[string]string) (isolate.Handler, error) {
	b, err := boundary.Load(args["contract"])
	if err != nil {
		return nil, err
	}
	names, libs := strings.Split(args["engines"], ","), strings.Split(args["libraries"], ",")
	if len(names) != len(libs) {
		return nil, fmt.Errorf("trace job: %d engines, %d libraries", len(names), len(libs))
	}
	var engines []*boundary.Engine
	for i := range names {
		e, err := b.Open(names[i], libs[i])
		if err != nil {
			return nil, err
		}
		engines = append(engines, e)
	}
	verbose := os.Getenv("SEAM_REPRO_VERBOSE") != ""
	return func(data []byte) error { return runJob(b, engines, data, verbose) }, nil
}

// runJob runs one trace on every engine: the first contract breach, or the first difference
// from the first engine, is the finding.
func runJob(b *boundary.Boundary, engines []*boundary.Engine, data []byte, verbose bool) error {
	t, err := Parse(b, data)
	if err != nil {
		return err
	}
	all := make([][]boundary.Result, len(engines))
	for i, e := range engines {
		res, err := Run(e, t)
		if err != nil {
			return err
		}
		if v := Check(b, res); v != nil {
			return fmt.Errorf("engine=%s: %w", e.Name, v)
		}
		all[i] = res
		if verbose {
			fmt.Fprintf(os.Stderr, "engine=%s: %s\n", e.Name, Summary(res))
		}
	}
	for i := 1; i < len(engines); i++ {
		if v := Compare(b, [2]string{engines[0].Name, engines[i].Name}, all[0], all[i]); v != nil {
			return v
		}
	}
	return nil
}

// Summary is a trace's results on one line: each call's status or return value and its
// outputs, an array by its length and long bytes cut, so the line stays one a reader scans.
func Summary(res []boundary.Result) string {
	parts := make([]string, len(res))
	for i, r := range res {
		short := r
		short.Out = nil
		line := []string{short.String()}
		for _, n := range slices.Sorted(maps.Keys(r.Out)) {
			v := r.Out[n]
			text := v.String()
			switch {
			case v.Elems != nil:
				text = fmt.Sprintf("[%d entries]", len(v.Elems))
			case len(v.Bytes) > 32:
				text = fmt.Sprintf("%q...(%d bytes)", v.Bytes[:32], len(v.Bytes))
			}
			line = append(line, n+"="+text)
		}
		parts[i] = strings.Join(line, " ")
	}
	return fmt.Sprintf("%d calls: %s", len(res), strings.Join(parts, "; "))
}
