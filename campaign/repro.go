package campaign

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/trace"
)

// Input is one input to replay: its target, its bytes and where it came from.
type Input struct {
	Target    string
	Data      []byte
	RequestID string // a trace's id (a logged request's request_id)
	Label     string // how the verdict names it
}

// ReproConfig is one `seam repro` run.
type ReproConfig struct {
	Specs   []string
	Variant string
	Timeout time.Duration // per input
	// Save adds the input to the corpus in CorpusDir (source production for requests).
	Save      bool
	CorpusDir string
	LogDir    string    // one input: each engine's full output goes to LogDir/<engine>.log
	Out       io.Writer // the verdicts
	Progress  io.Writer // a batch's "replayed n/N requests" line
	// Contract is the boundary the inputs are call traces (TraceInputs) or derived-target
	// entries of; Specs are its engine names and Libraries their paths, in order.
	Contract  string
	Libraries []string
}

// job is the isolated job that runs inputs of target on specs, on the contract's libraries:
// a trace job, or a derived target's.
func (cfg ReproConfig) job(target string, specs []string, verbose bool) job {
	j := job{target: target, specs: specs, variant: cfg.Variant, timeout: cfg.Timeout, verbose: verbose}
	var libs []string
	for _, s := range specs {
		libs = append(libs, cfg.Libraries[slices.Index(cfg.Specs, s)])
	}
	j.kind, j.args = trace.JobKind, map[string]string{"contract": cfg.Contract, "libraries": strings.Join(libs, ",")}
	if _, isTrace := trace.BoundaryOf(target); !isTrace {
		// A corpus entry of a contract-derived target: its fuzz bytes, on the same libraries
		// (NAME=PATH, so the child opens exactly these and names them as the verdicts do).
		var engines []string
		for i, s := range specs {
			engines = append(engines, s+"="+libs[i])
		}
		_, name, _ := strings.Cut(target, ".")
		j.kind, j.args = fuzz.ContractJobKind, map[string]string{"contract": cfg.Contract, "target": name, "engines": strings.Join(engines, ",")}
	}
	return j
}

// ContractEntryInput reads a corpus entry of one of b's derived targets
// (corpus/<boundary>.<target>/<id>); ok is false when path is not one.
func ContractEntryInput(b *boundary.Boundary, path string) (in Input, ok bool, err error) {
	dir := filepath.Base(filepath.Dir(path))
	name, found := strings.CutPrefix(dir, b.Contract.Boundary+".")
	if !found {
		return Input{}, false, nil
	}
	names, err := ContractTargetNames(b.Contract.Path)
	if err != nil || !slices.Contains(names, name) {
		return Input{}, false, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Input{}, false, err
	}
	return Input{Target: dir, Data: data, Label: path}, true, nil
}

// Repro replays the inputs: one gets a verdict per engine (and, for a pair target or a request
// on two engines, whether the engines agree); many, a production log, run on every core with
// a line per finding and the counts. The findings are what failed.
func Repro(ctx context.Context, cfg ReproConfig, inputs []Input) ([]Finding, error) {
	if len(inputs) > 1 {
		return reproBatch(ctx, cfg, inputs)
	}
	in := inputs[0]
	fmt.Fprintf(cfg.Out, "input %s (target %s, %d bytes, variant %s)\n", in.Label, in.Target, len(in.Data), cfg.Variant)
	var findings []Finding
	for _, spec := range cfg.Specs {
		j := cfg.job(in.Target, []string{spec}, true)
		f, found, out, err := j.one(ctx, in.Data)
		if err != nil {
			return findings, err
		}
		if cfg.LogDir != "" {
			os.MkdirAll(cfg.LogDir, 0o755)
			os.WriteFile(filepath.Join(cfg.LogDir, strings.NewReplacer("/", "_", ":", "_").Replace(spec)+".log"), out, 0o644)
		}
		printVerdict(cfg.Out, spec, f, found, out)
		if found {
			findings = append(findings, f)
		}
	}
	if len(findings) == 0 && len(cfg.Specs) >= 2 {
		j := cfg.job(in.Target, cfg.Specs, true)
		f, found, _, err := j.one(ctx, in.Data)
		if err != nil {
			return findings, err
		}
		if found {
			fmt.Fprintf(cfg.Out, "engines %s: MISMATCH %s\n  %s\n", strings.Join(cfg.Specs, " vs "), f.Signature, f.Title)
			findings = append(findings, f)
		} else {
			fmt.Fprintf(cfg.Out, "engines %s: agree\n", strings.Join(cfg.Specs, " vs "))
		}
	}
	if cfg.Save {
		id, added, err := corpus.Open(cfg.CorpusDir).Add(in.Target, in.Data, cfg.sidecar(in, findings))
		if err != nil {
			return findings, err
		}
		state := "saved as"
		if !added {
			state = "already in the corpus as"
		}
		fmt.Fprintf(cfg.Out, "%s %s/%s: every `make test` replays it\n", state, in.Target, id)
	}
	return findings, nil
}

// sidecar is the corpus sidecar of a saved input: the first finding's signature, if any, on
// all the engines replayed.
func (cfg ReproConfig) sidecar(in Input, findings []Finding) corpus.Meta {
	var m corpus.Meta
	if len(findings) > 0 {
		m = metaOf(findings[0], corpus.SourceHand)
	}
	m.Source, m.Engines, m.Variant, m.RequestID = corpus.SourceHand, cfg.Specs, cfg.Variant, in.RequestID
	if in.RequestID != "" {
		m.Source = corpus.SourceProduction
	}
	return m
}

func printVerdict(w io.Writer, spec string, f Finding, found bool, out []byte) {
	if !found {
		detail := strings.TrimSpace(string(out))
		if i := strings.LastIndex(detail, "engine="); i >= 0 {
			detail = detail[i:]
		}
		fmt.Fprintf(w, "engine %s: clean  %s\n", spec, firstLineOf(detail))
		return
	}
	fmt.Fprintf(w, "engine %s: %s  %s\n  title: %s\n", spec, strings.ToUpper(f.Kind), f.Signature, f.Title)
	if f.Location != "" {
		fmt.Fprintf(w, "  at %s\n", f.Location)
	}
	if f.Kind != "violation" {
		for _, l := range strings.Split(finding.Head(f.Excerpt, 8), "\n") {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
}

// TraceInputs parses one call trace of boundary b, or a JSON Lines file of them (package
// trace); a record of one of the boundary's log formats (trace.RegisterLogFormat) becomes the
// trace it stands for. name is where they came from, for errors. Each is stored as a trace,
// under the boundary's trace target.
func TraceInputs(b *boundary.Boundary, data []byte, name string) ([]Input, error) {
	target := trace.CorpusTarget(b.Contract.Boundary)
	return jsonInputs(data, name, func(line []byte) (Input, error) {
		if !trace.IsTrace(line) {
			converted, ok, err := trace.FromLog(b.Contract.Boundary, line)
			if err != nil {
				return Input{}, err
			}
			if !ok {
				return Input{}, fmt.Errorf("neither a call trace (an object with \"calls\"), a record of a log format of %[1]s, nor a corpus entry of its targets (corpus/%[1]s.<target>/<id>)", b.Contract.Boundary)
			}
			line = converted
		}
		t, err := trace.Parse(b, line)
		if err != nil {
			return Input{}, err
		}
		return Input{Target: target, Data: bytes.Clone(line), RequestID: t.ID, Label: t.String()}, nil
	})
}

// jsonInputs parses one JSON input (it may span lines) or JSON Lines, one input a line.
func jsonInputs(b []byte, name string, parse func(line []byte) (Input, error)) ([]Input, error) {
	trimmed := bytes.TrimSpace(b)
	if !bytes.Contains(trimmed, []byte("\n")) || !bytes.HasPrefix(trimmed, []byte("{")) || bytes.Count(trimmed, []byte("\n{")) == 0 {
		in, err := parse(trimmed)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return []Input{in}, nil
	}
	var out []Input
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		in, err := parse(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", name, lineNo, err)
		}
		out = append(out, in)
	}
	return out, sc.Err()
}

// ReadInput reads FILE, or stdin for "-".
func ReadInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

// reproBatch replays many requests (a day of production traffic, a rollout's shadow-compare
// log) on every core: counts per verdict, every finding with its request id.
func reproBatch(ctx context.Context, cfg ReproConfig, inputs []Input) ([]Finding, error) {
	data := make([][]byte, len(inputs))
	for i, in := range inputs {
		data[i] = in.Data
	}
	dir, paths, err := inputFiles(data)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	workers := runtime.NumCPU()
	chunk := (len(paths) + workers - 1) / workers
	var done atomic.Int64
	var mu sync.Mutex
	verdicts := make([]*Finding, len(inputs))
	g, gctx := errgroup.WithContext(ctx)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(cfg.Progress, "\rreplayed %d/%d traces", done.Load(), len(inputs))
			}
		}
	}()
	j := cfg.job(inputs[0].Target, cfg.Specs, false)
	for lo := 0; lo < len(paths); lo += chunk {
		lo, hi := lo, min(lo+chunk, len(paths))
		g.Go(func() error {
			// One child runs the whole chunk; after a crash the runner restarts it past the culprit.
			res, err := j.run(gctx, paths[lo:hi])
			if err != nil {
				return err
			}
			for i, r := range res {
				if f, found := j.sign(r); found {
					f.Input = inputs[lo+i].Data
					mu.Lock()
					verdicts[lo+i] = &f
					mu.Unlock()
				}
				done.Add(1)
			}
			return nil
		})
	}
	err = g.Wait()
	close(stop)
	fmt.Fprintf(cfg.Progress, "\rreplayed %d/%d traces\n", done.Load(), len(inputs))
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var findings []Finding
	for i, f := range verdicts {
		if f == nil {
			counts["clean"]++
			continue
		}
		counts[f.Kind]++
		findings = append(findings, *f)
		fmt.Fprintf(cfg.Out, "%-9s trace %s: %s\n", strings.ToUpper(f.Kind), inputs[i].RequestID, f.Signature)
		if f.Kind == "violation" {
			fmt.Fprintf(cfg.Out, "          %s\n", f.Title)
		}
		if cfg.Save {
			m := metaOf(*f, corpus.SourceProduction)
			m.RequestID = inputs[i].RequestID
			if _, _, err := corpus.Open(cfg.CorpusDir).Add(inputs[i].Target, f.Input, m); err != nil {
				return findings, err
			}
		}
	}
	fmt.Fprintf(cfg.Out, "%d traces: %d clean, %d crash, %d hang, %d leak, %d mismatch/contract (engines %s, variant %s)\n",
		len(inputs), counts["clean"], counts["crash"], counts["hang"], counts["leak"], counts["violation"], strings.Join(cfg.Specs, ","), cfg.Variant)
	return findings, nil
}
