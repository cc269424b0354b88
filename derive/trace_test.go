package derive_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/trace"
)

// A finding of a derived target of each boundary becomes a standalone C program (through its
// call trace) that, built with ASan, crashes the mutant's library as seam's run did and runs
// clean on the correct engine. Pricing's input is what a hunt from nothing found; tally's is
// the crash seed of TestTallyCrashSeeds.
func TestFindingToC(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	cases := []struct {
		contract, target, mutant, want string
		input                          func(t *testing.T) []byte
	}{
		{tallyContract, "tally_top", "cpp-token-overflow", "heap-buffer-overflow", func(*testing.T) []byte {
			return new(seed).tallyNew(0, 0).top(0).fills(1).feed(strings.Repeat("a", 64) + " ").bytes()
		}},
		{pricingContract, "pricing_rules_describe", "cpp-describe-overflow", "WRITE of size", func(t *testing.T) []byte {
			r, err := runHunt(pricingContract, "pricing_rules_describe", []string{"mutant:cpp-describe-overflow"}, huntBudget, 1, t.TempDir())
			require.NoError(t, err)
			require.Equal(t, isolate.Crashed, r.outcome, "%s", tail(r.text))
			return r.input
		}},
	}
	for _, c := range cases {
		t.Run(c.mutant, func(t *testing.T) {
			b, good := open(t, c.contract)
			tg, err := derive.Lookup(b, c.target)
			require.NoError(t, err)
			tr, err := tg.Trace(good[0], c.input(t))
			require.NoError(t, err)
			src, err := trace.EmitC(b, tr)
			require.NoError(t, err)
			dir := t.TempDir()
			cfile, exe := filepath.Join(dir, "repro.c"), filepath.Join(dir, "repro")
			require.NoError(t, os.WriteFile(cfile, src, 0o644))
			build := exec.Command("sh", "-c", trace.BuildCommand(b, cfile, exe)+" -Wall -Werror")
			build.Env = sanrt.CleanEnv(os.Environ())
			out, err := build.CombinedOutput()
			require.NoError(t, err, "%s\n%s", out, src)
			run := func(spec string) (string, error) {
				lib, err := b.Contract.Library(spec, variant())
				require.NoError(t, err)
				cmd := exec.Command(exe, lib)
				cmd.Env = sanrt.CleanEnv(os.Environ())
				start := time.Now()
				out, err := cmd.CombinedOutput()
				t.Logf("%s: %v", spec, time.Since(start).Round(time.Millisecond))
				return string(out), err
			}
			clean, err := run(b.Contract.EngineNames()[0])
			require.NoError(t, err, "clean on the correct engine:\n%s\n%s", clean, src)
			assert.Contains(t, clean, "done\n")
			bad, err := run("mutant:" + c.mutant)
			require.Error(t, err, "the mutant crashes:\n%s\n%s", bad, src)
			assert.Contains(t, bad, c.want)
		})
	}
}
