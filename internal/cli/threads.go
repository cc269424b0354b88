package cli

import (
	"context"
	"io"
	"time"

	"github.com/seamfuzz/seam/campaign"
)

func init() {
	register("threads", "verify every thread claim of the header under TSan and load (SEAM_BUSY for exclusive calls)", runThreads)
}

func runThreads(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("threads", stderr)
	var ef engineFlags
	ef.register(fs)
	timeout := fs.Duration("timeout", 60*time.Second, "time limit per check")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	setReportRoot()
	rows, err := campaign.Threads(context.Background(), ef.specs(), *timeout, stderr)
	if err != nil {
		return fail(stderr, "threads", err)
	}
	campaign.WriteClaims(stdout, rows)
	for _, r := range rows {
		if r.Finding != nil {
			return ExitFindings
		}
	}
	return ExitClean
}
