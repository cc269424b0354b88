package loadgen_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/stress"
)

var contracts = map[string]string{"pricing": "../native/pricing/contract.yaml", "tally": "../native/tally/contract.yaml"}

// variant is the build variant the tests load (SEAM_VARIANT, default asan as in make test).
var variant = checkout.TestVariant

func TestMain(m *testing.M) {
	if err := sanrt.Ensure(sanrt.For(variant())); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen tests:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func open(t *testing.T, boundaryName, spec string, opts loadgen.Options) *loadgen.Workload {
	t.Helper()
	w, err := loadgen.Open(contracts[boundaryName], spec, variant(), opts)
	require.NoError(t, err)
	return w
}

// loops runs the workload of spec in this process.
func loops(t *testing.T, boundaryName, spec string, d time.Duration) stress.Stats {
	t.Helper()
	w := open(t, boundaryName, spec, loadgen.Options{Workers: 4})
	st, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: 4, Duration: d, Seed: 1}, w)
	require.NoError(t, err)
	return st
}

// The operations follow the claims: pricing's thread-safe calls share handles, its exclusive
// load refills them (and runs on a private handle with any text), tally's handle is never
// shared; every handle type has a cycle, and a free function runs only inside it.
func TestPlanFollowsTheClaims(t *testing.T) {
	kinds := func(name string) map[string]string {
		b, err := boundary.Load(contracts[name])
		require.NoError(t, err)
		ops, err := loadgen.Plan(b, nil)
		require.NoError(t, err)
		out := map[string]string{}
		for _, o := range ops {
			out[o.Name] = o.Kind.String()
		}
		return out
	}
	assert.Equal(t, map[string]string{"seam_abi_version": "stateless", "seam_engine_name": "stateless", "seam_layout": "stateless",
		"pricing_rules_load": "exclusive", "pricing_rules_load/private": "private", "pricing_quote": "shared", "pricing_rules_describe": "shared",
		"pricing_rules_export": "shared", "seam_last_error": "stateless", "cycle/pricing_rules": "cycle"}, kinds("pricing"))
	assert.Equal(t, map[string]string{"tally_abi_version": "stateless", "tally_version": "stateless", "tally_strerror": "stateless",
		"tally_checksum": "stateless", "tally_feed": "private", "tally_finish": "private", "tally_count": "private", "tally_top": "private",
		"cycle/tally": "cycle"}, kinds("tally"))
}

func TestWeights(t *testing.T) {
	b, err := boundary.Load(contracts["tally"])
	require.NoError(t, err)
	w, err := loadgen.ParseWeights("tally_feed=0, cycle/tally=50")
	require.NoError(t, err)
	ops, err := loadgen.Plan(b, w)
	require.NoError(t, err)
	for _, o := range ops {
		switch o.Name {
		case "tally_feed":
			assert.Zero(t, o.Weight)
		case "cycle/tally":
			assert.Equal(t, 50, o.Weight)
		default:
			assert.Positive(t, o.Weight, o.Name)
		}
	}
	_, err = loadgen.Plan(b, map[string]int{"tally_fed": 1})
	assert.ErrorContains(t, err, `-weights: no operation "tally_fed" (operations: tally_abi_version,`)
	_, err = loadgen.ParseWeights("tally_feed")
	assert.EqualError(t, err, `-weights: "tally_feed" is not OPERATION=N with N >= 0`)
	assert.Equal(t, "cycle/tally=50,tally_feed=0", loadgen.FormatWeights(w))
}

func TestCorrectEnginesAreClean(t *testing.T) {
	for b := range contracts {
		for _, spec := range []string{"cpp", "rust"} {
			st := loops(t, b, spec, time.Second)
			assert.Empty(t, st.Findings, "%s %s", b, spec)
			for op, n := range st.PerOp {
				assert.Positive(t, n, "%s %s: operation %s ran", b, spec, op)
			}
		}
	}
}

// A wrong answer that is the same alone (the Rust engine rounding tax half up) is never called
// concurrency; a pool that runs out after 5000 handles changes the answer of the same call with
// no thread involved, and is said to.
func TestConcurrencyOnlyWhenTheSerialAnswerDiffers(t *testing.T) {
	st := loops(t, "pricing", "mutant:rust-rounding-drift", 2*time.Second)
	assert.Empty(t, st.Findings)
	st = loops(t, "tally", "mutant:cpp-fail-after-n", 3*time.Second)
	require.NotEmpty(t, st.Findings)
	for _, f := range st.Findings {
		assert.NotContains(t, f, loadgen.ReasonConcurrency)
	}
	// The first to see the pool run out says so: a cycle (its answer changed) or the remake of
	// a private handle (no handle any more).
	assert.Contains(t, st.Findings[0], "in tally_new: status: ")
	assert.Regexp(t, `\((`+loadgen.ReasonChanged+`|`+loadgen.ReasonNoHandle+`)\)$`, st.Findings[0])
}

// Every stress input in the corpus replays clean on the correct engines of its boundary.
func TestCorpusReplaysClean(t *testing.T) {
	dirs, err := filepath.Glob("../corpus/*.stress")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		name, ok := loadgen.BoundaryOf(filepath.Base(dir))
		require.True(t, ok, dir)
		require.Contains(t, contracts, name, dir)
		entries, err := filepath.Glob(filepath.Join(dir, "*"))
		require.NoError(t, err)
		for _, path := range entries {
			if strings.HasSuffix(path, ".json") {
				continue
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			for _, spec := range []string{"cpp", "rust"} {
				start := time.Now()
				w := open(t, name, spec, loadgen.Options{Workers: 1})
				assert.NoError(t, w.Replay(data), "%s on %s", path, spec)
				w.Close()
				t.Logf("%s on %s: %s", path, spec, time.Since(start))
			}
		}
	}
}
