package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/report"
)

// checksLeaks: children of this variant run a LeakSanitizer check (asan, and cov, which is asan
// plus coverage).
func checksLeaks(variant string) bool { return sanrt.For(variant) == sanrt.ASan }

// runJob runs inputs of a target on engines in isolated children and classifies each.
func runJob(ctx context.Context, target string, specs []string, variant string, inputs []string, timeout time.Duration, verbose bool) ([]isolate.Result, error) {
	job := isolate.Job{
		Kind:      fuzz.JobKind,
		Args:      map[string]string{"target": target, "engines": strings.Join(specs, ","), "variant": variant},
		Inputs:    inputs,
		LeakCheck: checksLeaks(variant),
	}
	env := childEnv(variant)
	if verbose {
		env = append(env, "SEAM_REPRO_VERBOSE=1")
	}
	return isolate.Run(ctx, job, isolate.Options{Env: env, Timeout: timeout, OnHang: watchdog.GDBStack})
}

// runOne runs one input and returns its finding, if any.
func runOne(ctx context.Context, target string, specs []string, variant string, data []byte, timeout time.Duration) (finding.Finding, bool, error) {
	f, err := os.CreateTemp("", "seam-input-")
	if err != nil {
		return finding.Finding{}, false, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return finding.Finding{}, false, err
	}
	f.Close()
	res, err := runJob(ctx, target, specs, variant, []string{f.Name()}, timeout, false)
	if err != nil {
		return finding.Finding{}, false, err
	}
	fd, ok := finding.FromResult(res[0], fuzz.SignViolation)
	return fd, ok, nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// setReportRoot makes report locations repository-relative.
func setReportRoot() {
	if root, err := engine.Root(); err == nil {
		report.Root = root
	}
}

// reproCommand is the exact command that reproduces a corpus entry.
func reproCommand(dir, target, id string, specs []string, variant string) string {
	if root, err := engine.Root(); err == nil {
		if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") {
			dir = rel
		}
	}
	return fmt.Sprintf("seam repro -engines %s -variant %s %s", strings.Join(specs, ","), variant, filepath.Join(dir, target, id))
}
