package cli

import (
	"fmt"
	"os"

	_ "github.com/seamfuzz/seam/fuzz" // registers the fuzz-target child jobs
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/loadgen" // registers the stress replay job
	"github.com/seamfuzz/seam/stress"
)

// ServeChild runs this process as an isolated child when seam started it as one: it loads the
// variant's sanitizer runtime (re-executing itself) and runs the job.
func ServeChild() {
	if !isolate.IsChild() && os.Getenv(stress.EnvChild) == "" {
		return
	}
	variant := os.Getenv("SEAM_VARIANT")
	if err := sanrt.Ensure(sanrt.For(variant)); err != nil {
		fmt.Fprintln(os.Stderr, "seam child:", err)
		os.Exit(ExitError)
	}
	isolate.ServeIfChild()
	stress.ServeIfChild(func() (stress.Workload, error) { return loadgen.FromEnv(variant) })
}
