package cli

import (
	"fmt"
	"os"

	_ "github.com/seamfuzz/seam/fuzz" // registers the fuzz-target child jobs
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// ServeChild runs this process as an isolated child when seam started it as one: it loads the
// variant's sanitizer runtime (re-executing itself) and runs the job.
func ServeChild() {
	if !isolate.IsChild() {
		return
	}
	if err := sanrt.Ensure(sanrt.For(os.Getenv("SEAM_VARIANT"))); err != nil {
		fmt.Fprintln(os.Stderr, "seam child:", err)
		os.Exit(ExitError)
	}
	isolate.ServeIfChild()
}

// childEnv is the environment a child needs to load engines of a variant.
func childEnv(variant string, extra ...string) []string {
	return append([]string{"SEAM_VARIANT=" + variant}, extra...)
}
