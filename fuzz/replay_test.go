package fuzz

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	contractfile "github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/trace"
)

// replay runs inputs of a contract's target ("<boundary>.<target>", the boundary one of
// native/<boundary>/contract.yaml) in isolated children of this test binary (a crash kills the
// child, not the test) through FuzzContract's job, with a leak check per input in the asan
// variant, on specs of that contract (none: all its engines).
func replay(t *testing.T, target string, specs []string, files []string, timeout time.Duration) []isolate.Result {
	t.Helper()
	path, name, ok := contractTargetOf(target)
	require.True(t, ok, "corpus/%s is no target of a contract in native/", target)
	job := isolate.Job{Kind: ContractJobKind, Args: map[string]string{"contract": path, "target": name, "engines": strings.Join(specs, ","), "variant": Variant()},
		Inputs: files, LeakCheck: Variant() == "asan"}
	res, err := isolate.Run(context.Background(), job, isolate.Options{Timeout: timeout, OnHang: watchdog.GDBStack})
	require.NoError(t, err)
	return res
}

// contractTargetOf splits a corpus target "<boundary>.<target>" of a boundary in native/.
func contractTargetOf(corpusTarget string) (contractPath, target string, ok bool) {
	b, name, found := strings.Cut(corpusTarget, ".")
	if !found || name == "" {
		return "", "", false
	}
	root, err := checkout.Root()
	if err != nil {
		return "", "", false
	}
	p := filepath.Join(root, "native", b, "contract.yaml")
	if _, err := os.Stat(p); err != nil {
		return "", "", false
	}
	return p, name, true
}

// TestCorpusReplay replays every regression input against the contract's (correct) engines: an entry whose
// bug comes back fails with its id and signature. Entries stay forever.
func TestCorpusReplay(t *testing.T) {
	dir, err := CorpusDir()
	require.NoError(t, err)
	st := corpus.Open(dir)
	entries, err := st.List("")
	require.NoError(t, err, "run `seam corpus check`")
	byTarget := map[string][]corpus.Entry{}
	for _, e := range entries {
		if _, isTrace := trace.BoundaryOf(e.Target); isTrace {
			continue // call traces of any boundary: package trace replays them
		}
		if _, isStress := loadgen.BoundaryOf(e.Target); isStress {
			continue // stress inputs of any boundary: package loadgen replays them
		}
		byTarget[e.Target] = append(byTarget[e.Target], e)
	}
	targets := make([]string, 0, len(byTarget))
	for tg := range byTarget {
		targets = append(targets, tg)
	}
	sort.Strings(targets)
	for _, tg := range targets {
		t.Run(tg, func(t *testing.T) {
			var files []string
			for _, e := range byTarget[tg] {
				files = append(files, e.Path)
			}
			var specs []string // the contract's engines: the correct ones
			for i, r := range replay(t, tg, specs, files, 10*time.Second) {
				if f, bad := finding.FromResult(r, SignViolation); bad {
					e := byTarget[tg][i]
					t.Errorf("regression: corpus/%s/%s (first seen %s as %q) fails again on %s: %s\n%s",
						tg, e.ID, e.FirstSeen.Format("2006-01-02"), e.Signature, strings.Join(specs, ","), f.Signature, finding.Head(f.Excerpt, 12))
				}
			}
		})
	}
	t.Logf("replayed %d corpus entries in %d targets", len(entries), len(targets))
}

// TestSeededBugsAreCaught: every corpus entry found on a seeded-bug mutant must still make that
// mutant fail with the same signature (the detector fires) — and, by TestCorpusReplay, the
// correct engines stay quiet on it.
func TestSeededBugsAreCaught(t *testing.T) {
	if Variant() != "asan" {
		t.Skip("seeded bugs are proven in the asan variant")
	}
	dir, err := CorpusDir()
	require.NoError(t, err)
	entries, err := corpus.Open(dir).List("")
	require.NoError(t, err)
	proven := map[string]bool{} // "<boundary>/<mutant>"
	for _, e := range entries {
		mutant := ""
		for _, s := range e.Engines {
			if strings.HasPrefix(s, "mutant:") {
				mutant = strings.TrimPrefix(s, "mutant:")
			}
		}
		b, replayedElsewhere := trace.BoundaryOf(e.Target)
		if sb, isStress := loadgen.BoundaryOf(e.Target); isStress {
			b, replayedElsewhere = sb, true
		}
		if replayedElsewhere {
			if mutant != "" && e.Signature != "" {
				proven[b+"/"+mutant] = true // packages trace and loadgen replay their saved inputs on their mutants
			}
			continue
		}
		if mutant == "" || e.Signature == "" || sanrt.For(e.Variant) != sanrt.ASan { // cov is asan with coverage
			continue
		}
		b, _, _ = strings.Cut(e.Target, ".")
		t.Run(mutant+"/"+e.Target+"/"+e.ID, func(t *testing.T) {
			path, _, ok := contractTargetOf(e.Target)
			require.True(t, ok, "corpus/%s is no target of a contract in native/", e.Target)
			c, err := contractfile.Load(path)
			require.NoError(t, err)
			lib, err := c.Library("mutant:"+mutant, "asan")
			require.NoError(t, err, "run make native")
			// Without a nightly Rust toolchain the Rust asan build is the debug build: memory
			// errors inside Rust code are invisible to it, which the build already said.
			if rt, _ := sanrt.RuntimeOf(lib); rt != sanrt.ASan && strings.HasPrefix(mutant, "rust-") && memoryError(e.Type) {
				proven[b+"/"+mutant] = true
				t.Skipf("%s: no nightly Rust toolchain, so no ASan build of the Rust engine to prove it", mutant)
			}
			timeout := 10 * time.Second
			if strings.HasPrefix(e.Signature, "hang") {
				timeout = 3 * time.Second
			}
			res := replay(t, e.Target, e.Engines, []string{e.Path}, timeout)
			f, found := finding.FromResult(res[0], SignViolation)
			require.True(t, found, "the %s detector no longer fires on %s", e.Type, mutant)
			assert.Equal(t, e.Signature, f.Signature, "signature of %s", mutant)
			proven[b+"/"+mutant] = true
		})
	}
	// Every fuzzing mutant of every boundary has a proof input in the corpus: each
	// native/<b>/mutants/*.patch but those its build.conf keeps out of the fuzzer variant
	// (stress, thread and layout mutants: campaign's TestThreadsPutsEachMutantOnItsRows and
	// TestStressFindsHistoryAndLeakBugs prove them).
	patches, _ := filepath.Glob("../native/*/mutants/*.patch")
	for _, p := range patches {
		name := strings.TrimSuffix(filepath.Base(p), ".patch")
		b := filepath.Base(filepath.Dir(filepath.Dir(p)))
		if !fuzzingMutant(t, filepath.Join("..", "native", b, "build.conf"), name) {
			continue
		}
		assert.True(t, proven[b+"/"+name], "no corpus entry proves mutant %s of %s (run CONTRACT=native/%s/contract.yaml scripts/time-to-find.sh and import what it found)", name, b, b)
	}
	fmt.Fprintf(os.Stderr, "seeded bugs proven: %d\n", len(proven))
}

// fuzzingMutant: build.conf builds the mutant in the fuzzer variant (MUTANTS_fuzzer_EXCEPT
// does not name it).
func fuzzingMutant(t *testing.T, buildConf, name string) bool {
	b, err := os.ReadFile(buildConf)
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(line, "MUTANTS_fuzzer_EXCEPT=")
		if !ok {
			continue
		}
		for _, pat := range strings.Fields(strings.Trim(v, "'\"")) {
			if m, _ := filepath.Match(pat, name); m {
				return false
			}
		}
	}
	return true
}

func memoryError(typ string) bool {
	for _, p := range []string{"heap-", "stack-", "global-", "double-free", "bad-free", "SEGV", "leak"} {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}
