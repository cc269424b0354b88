package campaign_test

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/campaign"
	"github.com/seamfuzz/seam/claims"
)

func threadRows(t *testing.T, boundary string, specs ...string) []claims.Row {
	rows, err := campaign.Threads(context.Background(), campaign.ThreadsConfig{
		Contract: filepath.Join("..", "native", boundary, "contract.yaml"), Specs: specs, Timeout: time.Minute, Progress: io.Discard})
	require.NoError(t, err)
	return rows
}

// seam threads on the correct engines of both boundaries: every claim proven, the handles the
// contract calls not thread-safe never shared.
func TestThreadsProvesTheCorrectEngines(t *testing.T) {
	for _, b := range []string{"pricing", "tally"} {
		for _, r := range threadRows(t, b) {
			assert.Contains(t, []string{claims.Proven, claims.NotShared}, r.Verdict, "%s %s on %s: %s %s", b, r.Subject, r.Engine, r.Note, r.Evidence)
			if r.Claim == "none" {
				assert.Equal(t, claims.NotShared, r.Verdict, r.Subject)
			}
		}
	}
}

// Each thread mutant is VIOLATED on the rows whose claim it breaks and on no other: a race
// in one function's calls is never put on a function that merely ran beside it.
func TestThreadsPutsEachMutantOnItsRows(t *testing.T) {
	cases := []struct {
		boundary, mutant string
		violated         []string
	}{
		{"pricing", "cpp-race-cache", []string{"pricing_quote"}},                    // a race in a thread-safe path
		{"pricing", "cpp-no-busy", []string{"pricing_rules", "pricing_rules_load"}}, // a missing busy: the exclusive rows
		{"pricing", "cpp-uaf-two-threads", []string{"pricing_rules_free"}},          // a free during calls
		{"tally", "cpp-race-checksum", []string{"tally_checksum"}},                  // a race in a thread-safe function
	}
	for _, c := range cases {
		t.Run(c.mutant, func(t *testing.T) {
			var got []string
			for _, r := range threadRows(t, c.boundary, "mutant:"+c.mutant) {
				if r.Verdict != claims.Violated {
					continue
				}
				got = append(got, r.Subject)
				require.NotNil(t, r.Finding, r.Subject)
				assert.Contains(t, r.Reproduce, "-engines mutant:"+c.mutant+" -check ", r.Subject)
			}
			sort.Strings(got)
			assert.Equal(t, c.violated, got)
		})
	}
}

// A violated row's reproduce command, run as printed, violates the row again and exits 1.
func TestThreadsReproduceCommandReproduces(t *testing.T) {
	seam := buildSeam(t)
	var row claims.Row
	for _, r := range threadRows(t, "tally", "mutant:cpp-race-checksum") {
		if r.Verdict == claims.Violated {
			row = r
		}
	}
	require.NotEmpty(t, row.Reproduce)
	args := strings.Fields(strings.TrimPrefix(row.Reproduce, "seam "))
	cmd := exec.Command(seam, args...)
	cmd.Dir = ".."
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, out.String())
	assert.Equal(t, 1, exit.ExitCode())
	assert.Contains(t, out.String(), "tally_checksum")
	assert.Contains(t, out.String(), claims.Violated)
	assert.Contains(t, out.String(), "    reproduce: "+row.Reproduce)
}

func buildSeam(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "seam")
	build := exec.Command("go", "build", "-o", bin, "./cmd/seam")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}
