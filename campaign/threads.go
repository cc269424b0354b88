package campaign

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/watchdog"
)

// ClaimVerdict is one row of the claim table.
type ClaimVerdict struct {
	Function, Engine, Claim, Check, Variant, Verdict, Note string
	Finding                                                *Finding // the check's finding, when the claim is violated
}

// Threads runs every claim check on every engine.
func Threads(ctx context.Context, specs []string, timeout time.Duration, progress io.Writer) ([]ClaimVerdict, error) {
	claims, err := engine.ThreadClaims()
	if err != nil {
		return nil, err
	}
	tsanOptions, err := tsanOptions()
	if err != nil {
		return nil, err
	}
	var rows []ClaimVerdict
	for _, spec := range specs {
		for _, c := range fuzz.ThreadChecks() {
			fmt.Fprintf(progress, "threads: engine=%s check=%s (%s)\n", spec, c.Name, c.Variant)
			verdict, note, f := "verified", "", (*Finding)(nil)
			if _, err := engine.Resolve(spec, c.Variant); err != nil {
				verdict, note = "skipped", err.Error()
			} else {
				in, _ := os.CreateTemp("", "seam-threads-")
				in.Close()
				job := isolate.Job{Kind: fuzz.ThreadJobKind, Args: map[string]string{"check": c.Name, "engine": spec, "variant": c.Variant}, Inputs: []string{in.Name()}}
				env := childEnv(c.Variant, tsanOptions)
				res, err := isolate.Run(ctx, job, isolate.Options{Env: env, Timeout: timeout, OnHang: watchdog.GDBStack})
				os.Remove(in.Name())
				if err != nil {
					verdict, note = "error", firstLineOf(err.Error())
				} else if fd, bad := finding.FromResult(res[0], fuzz.SignViolation); bad {
					fd.Target, fd.Engine, fd.Variant, fd.Source = "threads:"+c.Name, spec, c.Variant, "threads"
					fd.Reproduce = "seam threads -engines " + spec
					verdict, note, f = "VIOLATED", fd.Signature, &fd
				} else {
					note = strings.TrimPrefix(strings.TrimSpace(lastLineWith(string(res[0].Output), "note: ")), "note: ")
					if p, _ := engine.Resolve(spec, c.Variant); c.Variant == "tsan" {
						if rt, _ := engine.RuntimeOf(p); rt == "" {
							verdict = "verified (no TSan build)"
						}
					}
				}
			}
			for _, fn := range c.Functions {
				rows = append(rows, ClaimVerdict{Function: fn, Engine: spec, Claim: claims[fn], Check: c.Name, Variant: c.Variant, Verdict: verdict, Note: note, Finding: f})
			}
		}
	}
	return rows, nil
}

func lastLineWith(s, prefix string) string {
	out := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = l
		}
	}
	return out
}

// WriteClaims writes the claim table, one row per function and engine.
func WriteClaims(w io.Writer, rows []ClaimVerdict) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tENGINE\tCLAIM\tCHECK\tVERDICT\tNOTE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%s\t%s\n", r.Function, r.Engine, r.Claim, r.Check, r.Variant, r.Verdict, r.Note)
	}
	tw.Flush()
}

// tsanOptions are the TSAN_OPTIONS of seam's TSan children: halt on the first report (the
// child's death marks the input), and the named suppressions of stress/tsan.supp.
func tsanOptions() (string, error) {
	root, err := engine.Root()
	if err != nil {
		return "", err
	}
	return "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=" + filepath.Join(root, "stress", "tsan.supp"), nil
}
