package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/claims"
)

func init() {
	register("threads", "prove every thread claim of the contract under TSan and load: shared answers equal serial ones, exclusive calls refuse with busy, per-thread state stays per thread", runThreads)
}

func runThreads(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("threads", stderr)
	var bf boundaryFlags
	bf.register(fs)
	v := fs.Lookup("variant")
	v.Usage, v.DefValue = "build variant of the engines: tsan (races seen) or another (the same checks, no race detection; a free racing calls is then skipped)", "tsan"
	check := fs.String("check", "", "run the row of one function or handle type only (what a violated row's reproduce command gives)")
	timeout := fs.Duration("timeout", 60*time.Second, "time limit per check")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	path, err := bf.contractPath()
	if err != nil {
		return fail(stderr, "threads", err)
	}
	if path, err = filepath.Abs(path); err != nil {
		return fail(stderr, "threads", err)
	}
	var specs []string
	if flagSet(fs, "engines") || os.Getenv("SEAM_ENGINES") != "" {
		specs = bf.specs()
	}
	variant := "tsan"
	if flagSet(fs, "variant") {
		variant = bf.variant // asan, say: a use after free with its allocation stacks
	}
	setReportRoot()
	rows, err := campaign.Threads(context.Background(), campaign.ThreadsConfig{Contract: path, Specs: specs, Variant: variant, Only: *check, Timeout: *timeout, Progress: stderr})
	if err != nil {
		return fail(stderr, "threads", err)
	}
	campaign.WriteClaims(stdout, rows)
	for _, r := range rows {
		if r.Verdict == claims.Violated {
			return ExitFindings
		}
	}
	return ExitClean
}
