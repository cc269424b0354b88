package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/seamfuzz/seam/ciconfig"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/libfuzzer"
)

func init() {
	register("ci", "init | build-fuzzers: write a boundary's nightly workflow and ClusterFuzzLite files, build its libFuzzer binaries", runCI)
}

func runCI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, "ci", usageError{"give init or build-fuzzers"})
	}
	switch args[0] {
	case "init":
		return runCIInit(args[1:], stdout, stderr)
	case "build-fuzzers":
		return runCIBuildFuzzers(args[1:], stdout, stderr)
	}
	return fail(stderr, "ci", usageError{fmt.Sprintf("unknown subcommand %q: give init or build-fuzzers", args[0])})
}

// runCIInit writes the CI files, one line per file; a file that differs is refused (exit 2)
// unless -force: it may hold a team's edits.
func runCIInit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ci init", stderr)
	var bf boundaryFlags
	bf.registerContract(fs)
	dir := fs.String("dir", "", "the repository root the files go into (default: the git top level of the contract)")
	force := fs.Bool("force", false, "overwrite files that differ from what seam generates")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	path, err := bf.contractPath()
	if err != nil {
		return fail(stderr, "ci init", err)
	}
	opts := ciconfig.Options{Contract: path, Dir: *dir}
	root, err := opts.Root()
	if err != nil {
		return fail(stderr, "ci init", err)
	}
	files, err := ciconfig.Generate(opts)
	if err != nil {
		return fail(stderr, "ci init", err)
	}
	results, err := ciconfig.Write(root, files, *force)
	refused := 0
	for _, r := range results {
		fmt.Fprintf(stdout, "%-9s %s\n", r.Outcome, r.Path)
		if r.Outcome == ciconfig.Refused {
			refused++
		}
	}
	if err != nil {
		return fail(stderr, "ci init", err)
	}
	if refused > 0 {
		return fail(stderr, "ci init", fmt.Errorf("%d file(s) differ from what seam generates and were left alone: review them, then rerun with -force to overwrite", refused))
	}
	return ExitClean
}

// runCIBuildFuzzers is ClusterFuzzLite's build step: one libFuzzer binary per contract target.
func runCIBuildFuzzers(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ci build-fuzzers", stderr)
	var bf boundaryFlags
	bf.registerContract(fs)
	out := fs.String("out", "", "directory for the binaries and what they need ($OUT)")
	corpus := fs.String("corpus", "", "regression corpus directory: <corpus>/<boundary>.<target>/ (where seam fuzz -contract keeps them) becomes each binary's seed corpus")
	targets := fs.String("targets", "all", "comma-separated targets of the contract to build")
	linker := fs.String("linker", "", "link command before the archive (default: "+libfuzzer.Clang+" with libFuzzer, ASan and UBSan), e.g. \"$CXX $CXXFLAGS $LIB_FUZZING_ENGINE\"")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" {
		return fail(stderr, "ci build-fuzzers", usageError{"give -out DIR"})
	}
	path, err := bf.contractPath()
	if err != nil {
		return fail(stderr, "ci build-fuzzers", err)
	}
	root, err := checkout.Root()
	if err != nil {
		return fail(stderr, "ci build-fuzzers", err)
	}
	in := libfuzzer.Install{Contract: path, Out: *out, Corpus: *corpus, Linker: strings.Fields(*linker), Log: stdout}
	if *targets != "all" {
		in.Targets = strings.Split(*targets, ",")
	}
	if len(in.Linker) == 0 && !libfuzzer.HaveClang() {
		return fail(stderr, "ci build-fuzzers", libfuzzer.ErrNoClang)
	}
	bins, err := in.Run(context.Background(), root)
	if err != nil {
		return fail(stderr, "ci build-fuzzers", err)
	}
	fmt.Fprintf(stdout, "%d libFuzzer binaries in %s\n", len(bins), *out)
	return ExitClean
}
