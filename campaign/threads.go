package campaign

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/seamfuzz/seam/claims"
	"github.com/seamfuzz/seam/internal/checkout"
)

// ThreadsConfig is one run of seam threads.
type ThreadsConfig struct {
	Contract string   // the contract file
	Specs    []string // engines; none: the contract's
	Variant  string   // default tsan
	Only     string   // one function or handle type; "": every row
	Timeout  time.Duration
	Progress io.Writer
}

// Threads proves every thread claim of the contract on every engine (package claims), each
// check in its own TSan child.
func Threads(ctx context.Context, cfg ThreadsConfig) ([]claims.Row, error) {
	path, err := filepath.Abs(cfg.Contract)
	if err != nil {
		return nil, err
	}
	var env []string
	if opts, err := tsanOptions(); err == nil {
		env = append(env, opts)
	} else {
		env = append(env, "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")
	}
	return claims.Run(ctx, claims.Config{Contract: path, Specs: cfg.Specs, Variant: cfg.Variant, Only: cfg.Only, Timeout: cfg.Timeout,
		Env: env, Progress: cfg.Progress, Reproduce: "seam threads -contract " + relToRoot(path)})
}

// WriteClaims writes the claim table, one row per function or handle type and engine; a
// violated row's evidence and reproduce command follow it, indented.
func WriteClaims(w io.Writer, rows []claims.Row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION / TYPE\tENGINE\tCLAIM\tCHECK\tVERDICT\tNOTE")
	for _, r := range rows {
		subject, check, note := r.Subject, r.What, r.Note
		if r.IsType {
			subject = "type " + subject
		}
		if check == "" {
			check = "-"
		}
		if r.Verdict == claims.Violated {
			note = r.Kind
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", subject, r.Engine, r.Claim, check, r.Verdict, note)
		if r.Verdict == claims.Violated {
			// No tab: a line's last cell is not part of a column, so these do not widen it.
			fmt.Fprintf(tw, "    %s\n    reproduce: %s\n", r.Evidence, r.Reproduce)
		}
	}
	tw.Flush()
}

// tsanOptions are the TSAN_OPTIONS of seam's TSan children: halt on the first report (the
// child's death marks the input), and the named suppressions of stress/tsan.supp.
func tsanOptions() (string, error) {
	root, err := checkout.Root()
	if err != nil {
		return "", err
	}
	return "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=" + filepath.Join(root, "stress", "tsan.supp"), nil
}
