package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/trace"
)

func init() {
	register("repro", "replay one input (call trace, logged production request, corpus entry, raw bytes of a target) or a JSON Lines log: a verdict per engine", runRepro)
}

// reproFlags are seam repro's flags.
type reproFlags struct {
	boundaryFlags
	target, jsonReq, logDir, emitC string
	save                           bool
	timeout                        time.Duration
}

func runRepro(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("repro", stderr)
	var rf reproFlags
	rf.register(fs)
	fs.Lookup("contract").Usage = "the boundary's contract file, whose call traces, log records and corpus entries are replayed (default: the pricing example's, inside the seam checkout; env SEAM_CONTRACT)"
	if !flagSet(fs, "variant") && os.Getenv("SEAM_VARIANT") == "" {
		fs.Lookup("variant").Value.Set("asan")
		fs.Lookup("variant").DefValue = "asan"
	}
	fs.StringVar(&rf.target, "target", "", "the derived target of a raw input file (corpus entries know theirs)")
	fs.StringVar(&rf.jsonReq, "json", "", "a call trace as JSON, or a record of one of the boundary's log formats (pricing's request: {\"request_id\": ..., \"request\": {...}, \"rules\": ...})")
	fs.BoolVar(&rf.save, "save", false, "add the input to the corpus (source production for requests and traces)")
	fs.DurationVar(&rf.timeout, "timeout", 10*time.Second, "hang timeout per input")
	fs.StringVar(&rf.logDir, "log", "", "write each engine's full output to DIR/<engine>.log")
	fs.StringVar(&rf.emitC, "emit-c", "", "write a standalone C program making the trace's calls to FILE, and print how to build and run it")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	setReportRoot()
	path, err := rf.contractPath()
	if err != nil {
		return fail(stderr, "repro", err)
	}
	rf.contract = path
	return reproTrace(rf, fs.Args(), stdout, stderr)
}

// repro runs the inputs and turns the findings into the exit status.
func (rf reproFlags) repro(cfg campaign.ReproConfig, inputs []campaign.Input, stdout, stderr io.Writer) int {
	cfg.Variant, cfg.Timeout, cfg.Save, cfg.CorpusDir, cfg.LogDir, cfg.Out, cfg.Progress = rf.variant, rf.timeout, rf.save, corpusDirDefault(), rf.logDir, stdout, stderr
	findings, err := campaign.Repro(context.Background(), cfg, inputs)
	if err != nil {
		return fail(stderr, "repro", err)
	}
	if len(findings) > 0 {
		return ExitFindings
	}
	return ExitClean
}

// reproTrace replays call traces of the -contract boundary on its engines, each in an
// isolated child, and with -emit-c writes the C reproducer of one trace.
func reproTrace(rf reproFlags, args []string, stdout, stderr io.Writer) int {
	var data []byte
	var err error
	name := "-json"
	switch {
	case rf.jsonReq != "":
		data = []byte(rf.jsonReq)
	case len(args) == 1:
		name = args[0]
		data, err = campaign.ReadInput(name)
	default:
		return fail(stderr, "repro", usageError{"give one TRACE.json (JSON Lines for many), - (stdin) or -json '{...}'"})
	}
	if err != nil {
		return fail(stderr, "repro", err)
	}
	// The parent only parses: the engines are loaded in the children, so it needs no
	// sanitizer runtime of its own.
	b, err := boundary.Load(rf.contract)
	if err != nil {
		return fail(stderr, "repro", err)
	}
	libs, err := rf.libraries(b.Contract)
	if err != nil {
		return fail(stderr, "repro", err)
	}
	// A derived target's input (a corpus entry, or raw bytes with -target) replays as that
	// target in the children, with all its oracles; -emit-c writes its calls as a trace's C.
	var inputs []campaign.Input
	entry, isEntry, err := campaign.ContractEntryInput(b, name)
	if err != nil {
		return fail(stderr, "repro", err)
	}
	if rf.target != "" {
		names, err := campaign.ContractTargetNames(b.Contract.Path)
		if err != nil {
			return fail(stderr, "repro", err)
		}
		if !slices.Contains(names, rf.target) {
			return fail(stderr, "repro", usageError{fmt.Sprintf("no target %q in %s (targets: %s)", rf.target, b.Contract.Path, strings.Join(names, ", "))})
		}
		entry, isEntry = campaign.Input{Target: campaign.ContractTargetName(b, rf.target), Data: data, Label: name}, true
	}
	if isEntry {
		inputs = []campaign.Input{entry}
		if rf.emitC != "" {
			rf.target = strings.TrimPrefix(entry.Target, b.Contract.Boundary+".")
			if data, err = targetTrace(rf, name, data, stdout); err != nil {
				return fail(stderr, "repro", err)
			}
			if err := emitC(b, data, rf.emitC, libs, stdout); err != nil {
				return fail(stderr, "repro", err)
			}
		}
	} else if inputs, err = campaign.TraceInputs(b, data, name); err != nil {
		return fail(stderr, "repro", usageError{err.Error()})
	}
	cfg := campaign.ReproConfig{Contract: b.Contract.Path}
	for _, l := range libs {
		cfg.Specs, cfg.Libraries = append(cfg.Specs, l.name), append(cfg.Libraries, l.path)
	}
	if rf.emitC != "" && !isEntry {
		if len(inputs) != 1 {
			return fail(stderr, "repro", usageError{fmt.Sprintf("-emit-c writes one trace's program; %s holds %d", name, len(inputs))})
		}
		if err := emitC(b, inputs[0].Data, rf.emitC, libs, stdout); err != nil {
			return fail(stderr, "repro", err)
		}
	}
	code := rf.repro(cfg, inputs, stdout, stderr)
	if code == ExitFindings && rf.emitC == "" && len(inputs) == 1 && name != "-json" && name != "-" {
		// What to hand the engine's developers: the same calls as a C program.
		var specs []string
		for _, l := range libs {
			specs = append(specs, l.spec)
		}
		target := ""
		if rf.target != "" {
			target = " -target " + rf.target
		}
		fmt.Fprintf(stdout, "C reproducer: seam repro -contract %s%s -engines %s -emit-c repro.c %s\n", rf.contract, target, strings.Join(specs, ","), name)
	}
	return code
}

// targetTrace turns a raw input of the contract target rf.target (a fuzz corpus entry) into
// the call trace it makes, learnt on the contract's reference engine: the engine under
// suspicion may crash on it, the reference must not.
func targetTrace(rf reproFlags, name string, data []byte, stdout io.Writer) ([]byte, error) {
	b, err := boundary.Load(rf.contract)
	if err != nil {
		return nil, err
	}
	ref := b.Contract.EngineNames()[0]
	path, err := b.Contract.Library(ref, rf.variant)
	if err != nil {
		return nil, err
	}
	if err := ensureRuntime([]string{path}); err != nil {
		return nil, err
	}
	e, err := b.Open(ref, path)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	tr, err := derive.TraceInput(b, rf.target, e, data)
	if err != nil {
		return nil, usageError{fmt.Sprintf("%s as an input of target %s: %v", name, rf.target, err)}
	}
	tr.ID = rf.target + "/" + filepath.Base(name)
	fmt.Fprintf(stdout, "%s: an input of target %s, %d calls (learnt on engine %s)\n", name, rf.target, len(tr.Calls), ref)
	return trace.Marshal(b, tr)
}

// emitC writes the trace's C program to path and prints the commands that build it and run
// it against each engine's library.
func emitC(b *boundary.Boundary, data []byte, path string, libs []library, stdout io.Writer) error {
	t, err := trace.Parse(b, data)
	if err != nil {
		return err
	}
	src, err := trace.EmitC(b, t)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return err
	}
	exe := "./" + trimExt(filepath.Base(path))
	fmt.Fprintf(stdout, "wrote %s: the trace's %d calls in C; build and run it:\n  %s\n", path, len(t.Calls), trace.BuildCommand(b, relToCwd(path), exe))
	for _, l := range libs {
		fmt.Fprintf(stdout, "  %s %s\n", exe, relToCwd(l.path))
	}
	return nil
}

// relToCwd is path relative to the working directory when it is below it: the commands
// printed are pasted there.
func relToCwd(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

func trimExt(name string) string {
	if ext := filepath.Ext(name); ext != "" && ext != name {
		return name[:len(name)-len(ext)]
	}
	return name + ".bin"
}
