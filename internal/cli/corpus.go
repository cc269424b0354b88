package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/supervisor"
)

func init() {
	register("corpus", "the regression corpus: ls | add | check | min", runCorpus)
}

func corpusDirDefault() string {
	d, err := fuzz.CorpusDir()
	if err != nil {
		return "corpus"
	}
	return d
}

func runCorpus(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, "corpus", usageError{"want a subcommand: ls, add, check or min"})
	}
	switch args[0] {
	case "ls":
		return corpusLs(args[1:], stdout, stderr)
	case "add", "import":
		return corpusAdd(args[1:], stdout, stderr)
	case "check":
		return corpusCheck(args[1:], stdout, stderr)
	case "min":
		return corpusMin(args[1:], stdout, stderr)
	}
	return fail(stderr, "corpus", usageError{fmt.Sprintf("unknown subcommand %q: want ls, add, check or min", args[0])})
}

func corpusLs(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("corpus ls", stderr)
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	target := fs.String("target", "", "only this target")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	entries, err := corpus.Open(*dir).List(*target)
	if err != nil {
		return fail(stderr, "corpus ls", fmt.Errorf("%w (run `seam corpus check`)", err))
	}
	corpus.FormatTable(stdout, entries)
	return ExitClean
}

func corpusCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("corpus check", stderr)
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	st := corpus.Open(*dir)
	probs, err := st.Check()
	if err != nil {
		return fail(stderr, "corpus check", err)
	}
	for _, p := range probs {
		fmt.Fprintf(stdout, "%s: %s\n", p.Path, p.Reason)
	}
	if len(probs) > 0 {
		fmt.Fprintf(stdout, "%d problem(s); nothing was changed or deleted\n", len(probs))
		return ExitFindings
	}
	setReportRoot()
	migs, err := st.Migrate(campaign.Resign)
	for _, m := range migs {
		fmt.Fprintf(stdout, "%s: signature migrated: %s -> %s\n", m.Path, m.Old, m.New)
	}
	if err != nil {
		return fail(stderr, "corpus check", err)
	}
	if len(migs) > 0 {
		fmt.Fprintf(stdout, "corpus ok; %d signature(s) migrated to the current signature rules (commit the sidecars)\n", len(migs))
		return ExitClean
	}
	fmt.Fprintln(stdout, "corpus ok")
	return ExitClean
}

// corpusAdd stores files (raw bytes, or go test fuzz files from testdata/fuzz) in a target.
func corpusAdd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("corpus add", stderr)
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	target := fs.String("target", "", "corpus target the inputs belong to: <boundary>.<target>, a target of native/<boundary>/contract.yaml")
	source := fs.String("source", corpus.SourceHand, "fuzz, stress, production or hand")
	note := fs.String("note", "", "a note for the sidecar")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return fail(stderr, "corpus add", usageError{"give the files to add"})
	}
	st := corpus.Open(*dir)
	for _, f := range fs.Args() {
		data, err := os.ReadFile(f)
		if err != nil {
			return fail(stderr, "corpus add", err)
		}
		t := *target
		if dec, err := supervisor.DecodeGoFuzz(data); err == nil {
			data = dec
		}
		if t == "" {
			return fail(stderr, "corpus add", usageError{"-target is required for " + f + " (<boundary>.<target>: `seam fuzz -contract F -list` lists a contract's targets)"})
		}
		if err := campaign.CheckCorpusTarget(t); err != nil {
			return fail(stderr, "corpus add", asUsage(err))
		}
		id, added, err := st.Add(t, data, corpus.Meta{Source: *source, Note: *note})
		if err != nil {
			return fail(stderr, "corpus add", err)
		}
		state := "added"
		if !added {
			state = "already there"
		}
		fmt.Fprintf(stdout, "%s/%s %s\n", t, id, state)
	}
	return ExitClean
}

// corpusMin shrinks an entry while its signature stays the same; the result is added next to
// the original and linked both ways.
func corpusMin(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("corpus min", stderr)
	dir := fs.String("corpus", corpusDirDefault(), "corpus directory")
	var ef engineFlags
	ef.register(fs)
	budget := fs.Duration("budget", 2*time.Minute, "time limit")
	timeout := fs.Duration("timeout", 10*time.Second, "per-run hang timeout")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return fail(stderr, "corpus min", usageError{"give one corpus id (see seam corpus ls)"})
	}
	// The entry's own engines and variant, unless the flags name others.
	m, err := campaign.Minimize(context.Background(), campaign.MinimizeConfig{CorpusDir: *dir, Specs: ef.specs(), Variant: ef.variant,
		ForceSpecs: flagSet(fs, "engines"), ForceVariant: flagSet(fs, "variant"), Budget: *budget, Timeout: *timeout, Progress: stderr}, "", fs.Arg(0))
	if err != nil {
		return fail(stderr, "corpus min", err)
	}
	e := m.Entry
	if m.ID == "" {
		fmt.Fprintf(stdout, "%s/%s is already minimal for its signature (%d bytes)\n", e.Target, e.ID, e.Size)
		return ExitClean
	}
	fmt.Fprintf(stdout, "%s/%s: %d -> %d bytes in %d tries, same signature; saved as %s/%s (the original stays)\n",
		e.Target, e.ID, m.Stats.From, m.Stats.To, m.Stats.Tries, e.Target, m.ID)
	return ExitClean
}
