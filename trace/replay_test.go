package trace_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/trace"
)

// replay runs trace files of a reference boundary on engine specs in isolated children of
// this test binary, with a leak check per trace.
func replay(t *testing.T, c *contract.Contract, specs []string, files []string, timeout time.Duration) []isolate.Result {
	t.Helper()
	var libs []string
	for _, s := range specs {
		p, err := c.Library(s, variant)
		require.NoError(t, err)
		libs = append(libs, p)
	}
	job := isolate.Job{Kind: trace.JobKind, Inputs: files, LeakCheck: true,
		Args: map[string]string{"contract": c.Path, "engines": strings.Join(specs, ","), "libraries": strings.Join(libs, ",")}}
	res, err := isolate.Run(context.Background(), job, isolate.Options{
		// RUST_BACKTRACE adds seam's own frames below a Rust panic's: the signatures are
		// taken without it, as seam's children run by default.
		Env:     []string{"SEAM_VARIANT=" + variant, "RUST_BACKTRACE=0"},
		Timeout: timeout, OnHang: watchdog.GDBStack})
	require.NoError(t, err)
	return res
}

// TestCorpusTraces replays every saved trace (corpus/<boundary>.trace/) on its reference
// boundary's correct engines, which must stay quiet and agree; and a trace saved from a
// seeded-bug mutant must still make that mutant fail with the same signature.
func TestCorpusTraces(t *testing.T) {
	dir := os.Getenv("SEAM_CORPUS")
	if dir == "" {
		dir = "../corpus"
	}
	targets, err := corpus.Open(dir).Targets()
	require.NoError(t, err)
	replayed := 0
	for _, tg := range targets {
		name, ok := trace.BoundaryOf(tg)
		if !ok {
			continue
		}
		t.Run(tg, func(t *testing.T) {
			c, err := contract.Load(filepath.Join("..", "native", name, "contract.yaml"))
			require.NoError(t, err, "corpus/%s: traces of a boundary seam has no reference contract for", tg)
			entries, err := corpus.Open(dir).List(tg)
			require.NoError(t, err)
			var files []string
			for _, e := range entries {
				files = append(files, e.Path)
			}
			for i, r := range replay(t, c, c.EngineNames(), files, 10*time.Second) {
				if f, bad := finding.FromResult(r, fuzz.SignViolation); bad {
					t.Errorf("regression: corpus/%s/%s (%q) fails again on %s: %s\n%s", tg, entries[i].ID, entries[i].Signature,
						strings.Join(c.EngineNames(), ","), f.Signature, finding.Head(f.Excerpt, 12))
				}
			}
			for _, e := range entries {
				if e.Signature == "" || e.Variant != variant || !strings.Contains(strings.Join(e.Engines, ","), "mutant:") {
					continue
				}
				timeout := 10 * time.Second
				if strings.HasPrefix(e.Signature, "hang") {
					timeout = 3 * time.Second
				}
				res := replay(t, c, e.Engines, []string{e.Path}, timeout)
				f, found := finding.FromResult(res[0], fuzz.SignViolation)
				require.True(t, found, "corpus/%s/%s: the %s detector no longer fires on %v", tg, e.ID, e.Type, e.Engines)
				assert.Equal(t, crashSite(e.Signature), crashSite(f.Signature), "corpus/%s/%s: %s now", tg, e.ID, f.Signature)
			}
			replayed += len(entries)
		})
	}
	t.Logf("replayed %d saved traces", replayed)
}

// crashSite is a signature's type and top frame. The frames under an engine's own are seam's
// call trampoline, named in the installed seam binary that saved the trace but not in this
// stripped test binary (seam_ffi_call_int there, __bss_start here), so the proof compares
// where the engine failed, not who called it.
func crashSite(sig string) string {
	parts := strings.Split(sig, " | ")
	return strings.Join(parts[:min(2, len(parts))], " | ")
}
