// Package cli implements the seam command line: one file per subcommand, each a function that
// takes its arguments and writers and returns the exit status (0 nothing found, 1 findings,
// 2 seam could not do its job).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// Exit statuses, the same for every subcommand.
const (
	ExitClean    = 0
	ExitFindings = 1
	ExitError    = 2
)

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	commands[name] = command{summary: summary, run: run}
}

// Main runs one seam command and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return ExitError
		}
		return ExitClean
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "seam: unknown command %q: run `seam help` for the list\n", args[0])
		return ExitError
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: seam <command> [flags]   (seam <command> -h for its flags)")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "exit status: 0 nothing found, 1 findings, 2 seam could not do its job")
}

// usageError marks errors that come from bad flags or arguments.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// fail prints one line and returns the exit status for "could not do its job".
func fail(stderr io.Writer, cmd string, err error) int {
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "seam %s: %s (see seam %s -h)\n", cmd, ue.msg, cmd)
	} else {
		fmt.Fprintf(stderr, "seam %s: %v\n", cmd, err)
	}
	return ExitError
}

// newFlags returns a flag set that reports errors through fail instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("seam "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses and turns flag errors into exit status 2 (-h is a clean exit).
// A bad flag gets one line, not the flag package's error plus the whole usage text.
func parseFlags(fs *flag.FlagSet, args []string) (ok bool, code int) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(out, "usage of %s:\n", fs.Name())
			fs.PrintDefaults()
			return false, ExitClean
		}
		fmt.Fprintf(out, "%s: %v (%s -h lists the flags)\n", fs.Name(), err, fs.Name())
		return false, ExitError
	}
	return true, 0
}

// engineFlags are the -engines/-variant pair most commands share.
type engineFlags struct {
	engines string
	variant string
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	// No default of its own: a command's default is the engines of its contract or corpus entry.
	fs.StringVar(&f.engines, "engines", os.Getenv("SEAM_ENGINES"), "comma-separated engines: the contract's names, mutant:NAME or paths to .so files (env SEAM_ENGINES)")
	v := os.Getenv("SEAM_VARIANT")
	if v == "" {
		v = "debug"
	}
	fs.StringVar(&f.variant, "variant", v, "build variant: "+strings.Join(checkout.Variants, ", ")+" (env SEAM_VARIANT)")
}

// specs splits -engines.
func (f *engineFlags) specs() []string {
	var out []string
	for _, s := range strings.Split(f.engines, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ensureRuntime makes sure this process runs the one sanitizer runtime the libraries need,
// re-executing itself with it when not.
func ensureRuntime(paths []string) error {
	need := sanrt.None
	for _, p := range paths {
		rt, err := sanrt.RuntimeOf(p)
		if err != nil {
			return fmt.Errorf("%s: not a shared library: %w", p, err)
		}
		if rt != sanrt.None && need != sanrt.None && rt != need {
			return fmt.Errorf("cannot load %s and %s libraries in one process: run them separately", need, rt)
		}
		if rt != sanrt.None {
			need = rt
		}
	}
	return sanrt.Ensure(need)
}

// boundaryFlags are -contract and the -engines/-variant pair, for commands that work on any
// boundary.
type boundaryFlags struct {
	contract string
	engineFlags
	fs *flag.FlagSet
}

func (f *boundaryFlags) register(fs *flag.FlagSet) {
	f.registerContract(fs)
	f.engineFlags.register(fs)
	fs.Lookup("engines").Usage = "comma-separated engines: the contract's names (default all), mutant:NAME, NAME=PATTERN (a library path with {variant}) or library paths (env SEAM_ENGINES)"
}

// registerContract registers -contract alone, for commands that load no engine.
func (f *boundaryFlags) registerContract(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.contract, "contract", os.Getenv("SEAM_CONTRACT"), "the boundary's contract file (default: the pricing example's, inside the seam checkout; env SEAM_CONTRACT)")
}

// contractPath is -contract, or the pricing example's contract in the seam checkout.
func (f *boundaryFlags) contractPath() (string, error) {
	if f.contract != "" {
		return f.contract, nil
	}
	root, err := checkout.Root()
	if err != nil {
		return "", usageError{"no -contract given and not inside the seam checkout: give -contract FILE (or set SEAM_CONTRACT)"}
	}
	return filepath.Join(root, "native", "pricing", "contract.yaml"), nil
}

// library is one engine to run: its name, its library, and the -engines spec that named it
// (what a child process resolves again).
type library struct{ name, path, spec string }

// workerSpec is the spec a child process (a fuzz worker in its own working directory) resolves
// to this same library: a contract engine or mutant name as it is, a path made absolute.
func (l library) workerSpec(c *contract.Contract) string {
	if strings.HasPrefix(l.spec, "mutant:") || slices.Contains(c.EngineNames(), l.spec) {
		return l.spec
	}
	name := l.name
	if name == l.spec { // a bare path: named after its file, as a finding names its engine
		name = strings.TrimSuffix(filepath.Base(l.path), ".so")
	}
	return name + "=" + l.path
}

// libraries resolves -engines through the contract: all its engines when -engines is not
// given.
func (f *boundaryFlags) libraries(c *contract.Contract) ([]library, error) {
	specs := f.specs()
	if !flagSet(f.fs, "engines") && os.Getenv("SEAM_ENGINES") == "" {
		specs = c.EngineNames()
	}
	if len(specs) == 0 {
		return nil, usageError{"-engines is empty"}
	}
	var libs []library
	for _, s := range specs {
		p, err := c.Library(s, f.variant)
		if err != nil {
			return nil, err
		}
		name, _, _ := strings.Cut(s, "=")
		libs = append(libs, library{name: name, path: p, spec: s})
	}
	return libs, nil
}

// open reads the contract, resolves -engines through it (all its engines when -engines is not
// given), makes sure the process runs the sanitizer runtime they need, then reads the header.
// The runtime comes first: re-executing under LD_PRELOAD must happen before the header parser
// runs the system C compiler, which must not inherit the preload.
func (f *boundaryFlags) open() (*boundary.Boundary, []library, error) {
	path, err := f.contractPath()
	if err != nil {
		return nil, nil, err
	}
	c, err := contract.Load(path)
	if err != nil {
		return nil, nil, err
	}
	libs, err := f.libraries(c)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	for _, l := range libs {
		paths = append(paths, l.path)
	}
	if err := ensureRuntime(paths); err != nil {
		return nil, nil, err
	}
	h, err := cheader.Parse(c.Header)
	if err != nil {
		return nil, nil, fmt.Errorf("header of %s: %w", c.Path, err)
	}
	b, err := boundary.New(c, h)
	return b, libs, err
}
