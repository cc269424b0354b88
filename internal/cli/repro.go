package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
)

func init() {
	register("repro", "replay one input (production JSON request, corpus file, raw bytes) or a JSON Lines log: a verdict per engine", runRepro)
}

type reproInput struct {
	target    string
	data      []byte
	requestID string
	label     string
}

func runRepro(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("repro", stderr)
	var ef engineFlags
	ef.register(fs)
	if !flagSet(fs, "variant") && os.Getenv("SEAM_VARIANT") == "" {
		fs.Lookup("variant").Value.Set("asan")
		fs.Lookup("variant").DefValue = "asan"
	}
	target := fs.String("target", "", "target of a raw input file (corpus files and JSON requests know theirs)")
	jsonReq := fs.String("json", "", "a production request as JSON: {\"request_id\": ..., \"request\": {...}, \"rules\": ...}")
	save := fs.Bool("save", false, "add the input to the corpus (source production for requests)")
	timeout := fs.Duration("timeout", 10*time.Second, "hang timeout per input")
	logDir := fs.String("log", "", "write each engine's full output to DIR/<engine>.log")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	setReportRoot()
	var inputs []reproInput
	var err error
	switch {
	case *jsonReq != "":
		inputs, err = requestInputs([]byte(*jsonReq), "-json")
	case fs.NArg() == 1:
		inputs, err = fileInputs(fs.Arg(0), *target)
	default:
		return fail(stderr, "repro", usageError{"give one FILE, - (stdin) or -json '{...}'"})
	}
	if err != nil {
		return fail(stderr, "repro", err)
	}
	specs := ef.specs()
	if _, err := ef.resolve(); err != nil {
		return fail(stderr, "repro", err)
	}
	if len(inputs) > 1 {
		return reproBatch(inputs, specs, ef.variant, *timeout, *save, stdout, stderr)
	}
	in := inputs[0]
	ctx := context.Background()
	fmt.Fprintf(stdout, "input %s (target %s, %d bytes, variant %s)\n", in.label, in.target, len(in.data), ef.variant)
	var findings []finding.Finding
	for _, spec := range specs {
		f, found, out, err := reproOne(ctx, in, []string{spec}, ef.variant, *timeout)
		if err != nil {
			return fail(stderr, "repro", err)
		}
		if *logDir != "" {
			os.MkdirAll(*logDir, 0o755)
			os.WriteFile(filepath.Join(*logDir, strings.NewReplacer("/", "_", ":", "_").Replace(spec)+".log"), out, 0o644)
		}
		printVerdict(stdout, spec, f, found, out)
		if found {
			findings = append(findings, f)
		}
	}
	if len(findings) == 0 && len(specs) >= 2 {
		if t, _ := fuzz.Lookup(in.target); t.Pair || in.target == "request" {
			f, found, _, err := reproOne(ctx, in, specs, ef.variant, *timeout)
			if err != nil {
				return fail(stderr, "repro", err)
			}
			if found {
				fmt.Fprintf(stdout, "engines %s: MISMATCH %s\n  %s\n", strings.Join(specs, " vs "), f.Signature, f.Title)
				findings = append(findings, f)
			} else {
				fmt.Fprintf(stdout, "engines %s: agree\n", strings.Join(specs, " vs "))
			}
		}
	}
	if *save {
		m := corpus.Meta{Source: corpus.SourceHand, Engines: specs, Variant: ef.variant, RequestID: in.requestID}
		if in.requestID != "" {
			m.Source = corpus.SourceProduction
		}
		if len(findings) > 0 {
			f := findings[0]
			m.Signature, m.Type, m.Location, m.Report = f.Signature, f.Type, f.Location, finding.Head(f.Excerpt, 30)
		}
		id, added, err := corpus.Open(corpusDirDefault()).Add(in.target, in.data, m)
		if err != nil {
			return fail(stderr, "repro", err)
		}
		state := "saved as"
		if !added {
			state = "already in the corpus as"
		}
		fmt.Fprintf(stdout, "%s %s/%s: every `make test` replays it\n", state, in.target, id)
	}
	if len(findings) > 0 {
		return ExitFindings
	}
	return ExitClean
}

func reproOne(ctx context.Context, in reproInput, specs []string, variant string, timeout time.Duration) (finding.Finding, bool, []byte, error) {
	f, err := os.CreateTemp("", "seam-repro-")
	if err != nil {
		return finding.Finding{}, false, nil, err
	}
	defer os.Remove(f.Name())
	f.Write(in.data)
	f.Close()
	res, err := runJob(ctx, in.target, specs, variant, []string{f.Name()}, timeout, true)
	if err != nil {
		return finding.Finding{}, false, nil, err
	}
	fd, found := finding.FromResult(res[0], fuzz.SignViolation)
	return fd, found, res[0].Output, nil
}

func printVerdict(w io.Writer, spec string, f finding.Finding, found bool, out []byte) {
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

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// requestInputs parses one production request, or a JSON Lines file of them.
func requestInputs(b []byte, name string) ([]reproInput, error) {
	var out []reproInput
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	lineNo := 0
	trimmed := bytes.TrimSpace(b)
	if !bytes.Contains(trimmed, []byte("\n")) || !bytes.HasPrefix(trimmed, []byte("{")) || bytes.Count(trimmed, []byte("\n{")) == 0 {
		p, err := fuzz.ParseProductionRequest(trimmed)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return []reproInput{{target: "request", data: fuzz.EncodeRequest(p), requestID: p.RequestID, label: "request " + p.RequestID}}, nil
	}
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		p, err := fuzz.ParseProductionRequest(line)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", name, lineNo, err)
		}
		out = append(out, reproInput{target: "request", data: fuzz.EncodeRequest(p), requestID: p.RequestID, label: "request " + p.RequestID})
	}
	return out, sc.Err()
}

// fileInputs reads FILE or stdin: a JSON request (or JSON Lines), a corpus entry, or raw bytes.
func fileInputs(path, target string) ([]reproInput, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if target == "" && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return requestInputs(b, path)
	}
	if target == "" && path != "-" {
		// corpus/<target>/<id>
		if t, ok := fuzz.Lookup(filepath.Base(filepath.Dir(path))); ok {
			target = t.Name
		}
	}
	if target == "" {
		return nil, usageError{fmt.Sprintf("cannot tell the target of %s: give -target (one of %s)", path, strings.Join(fuzz.Names(), ", "))}
	}
	if _, ok := fuzz.Lookup(target); !ok {
		return nil, usageError{fmt.Sprintf("unknown target %q (targets: %s)", target, strings.Join(fuzz.Names(), ", "))}
	}
	return []reproInput{{target: target, data: b, label: path}}, nil
}

// reproBatch replays many requests (a day of production traffic, a rollout's shadow-compare
// log) on every core: counts per verdict, every finding with its request id.
func reproBatch(inputs []reproInput, specs []string, variant string, timeout time.Duration, save bool, stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "seam-batch-")
	if err != nil {
		return fail(stderr, "repro", err)
	}
	defer os.RemoveAll(dir)
	paths := make([]string, len(inputs))
	for i, in := range inputs {
		paths[i] = filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(paths[i], in.data, 0o600); err != nil {
			return fail(stderr, "repro", err)
		}
	}
	workers := runtime.NumCPU()
	chunk := (len(paths) + workers - 1) / workers
	var done atomic.Int64
	var mu sync.Mutex
	verdicts := make([]*finding.Finding, len(inputs))
	g, ctx := errgroup.WithContext(context.Background())
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintf(stderr, "\rreplayed %d/%d requests", done.Load(), len(inputs))
			}
		}
	}()
	for lo := 0; lo < len(paths); lo += chunk {
		lo, hi := lo, min(lo+chunk, len(paths))
		g.Go(func() error {
			// One child runs the whole chunk; after a crash the runner restarts it past the culprit.
			res, err := runJob(ctx, "request", specs, variant, paths[lo:hi], timeout, false)
			if err != nil {
				return err
			}
			for i, r := range res {
				if f, found := finding.FromResult(r, fuzz.SignViolation); found {
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
	fmt.Fprintf(stderr, "\rreplayed %d/%d requests\n", done.Load(), len(inputs))
	if err != nil {
		return fail(stderr, "repro", err)
	}
	counts := map[string]int{}
	for i, f := range verdicts {
		if f == nil {
			counts["clean"]++
			continue
		}
		counts[f.Kind]++
		fmt.Fprintf(stdout, "%-9s request %s: %s\n", strings.ToUpper(f.Kind), inputs[i].requestID, f.Signature)
		if f.Kind == "violation" {
			fmt.Fprintf(stdout, "          %s\n", f.Title)
		}
		if save {
			m := corpus.Meta{Source: corpus.SourceProduction, RequestID: inputs[i].requestID, Engines: specs, Variant: variant,
				Signature: f.Signature, Type: f.Type, Location: f.Location, Report: finding.Head(f.Excerpt, 30)}
			if _, _, err := corpus.Open(corpusDirDefault()).Add("request", inputs[i].data, m); err != nil {
				return fail(stderr, "repro", err)
			}
		}
	}
	fmt.Fprintf(stdout, "%d requests: %d clean, %d crash, %d hang, %d leak, %d mismatch/contract (engines %s, variant %s)\n",
		len(inputs), counts["clean"], counts["crash"], counts["hang"], counts["leak"], counts["violation"], strings.Join(specs, ","), variant)
	if len(inputs) > counts["clean"] {
		return ExitFindings
	}
	return ExitClean
}

var _ = isolate.Passed
