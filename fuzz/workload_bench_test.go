package fuzz

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/stress"
	"github.com/seamfuzz/seam/wal"
)

// stressEngine is the engine the stress benchmarks and tests load: SEAM_STRESS_BENCH_ENGINE
// (default cpp) in the test variant, e.g.
//
//	cd fuzz && SEAM_VARIANT=release go test -run '^$' -bench StressLoops -cpuprofile cpu.out
func stressEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	spec := os.Getenv("SEAM_STRESS_BENCH_ENGINE")
	if spec == "" {
		spec = "cpp"
	}
	engines, err := OpenEngines([]string{spec}, Variant())
	require.NoError(tb, err)
	return engines[0]
}

// BenchmarkStressLoops: what `seam stress` runs in its child (8 workers, WAL on), b.N calls.
func BenchmarkStressLoops(b *testing.B) {
	e := stressEngine(b)
	const workers = 8
	w, err := NewWorkload(e, workers)
	require.NoError(b, err)
	refresh, _ := strconv.Atoi(os.Getenv("SEAM_STRESS_REFRESH")) // 0 = the default
	pool, _ := strconv.Atoi(os.Getenv("SEAM_STRESS_POOL"))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	s, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: workers, Duration: time.Hour, Calls: int64(b.N),
		Seed: 1, WALPath: filepath.Join(b.TempDir(), "wal"), RefreshEvery: refresh, PoolSize: pool}, w)
	el := time.Since(start)
	require.NoError(b, err)
	require.Empty(b, s.Findings)
	b.ReportMetric(float64(s.Calls)/el.Seconds(), "calls/s")
	b.ReportMetric(float64(s.Inputs), "inputs")
}

// BenchmarkStressOp: one op's prepared call, run repeatedly on one goroutine.
func BenchmarkStressOp(b *testing.B) {
	e := stressEngine(b)
	w, err := NewWorkload(e, 1)
	require.NoError(b, err)
	defer w.Close()
	for opi, op := range w.Ops() {
		b.Run(op.Name, func(b *testing.B) {
			calls := prepareOp(b, op, 64, int64(opi))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				calls[i&63].Run()
			}
			b.StopTimer()
		})
	}
}

// The hot path allocates nothing: every op's prepared call runs without a Go heap allocation
// (when it finds nothing), and each is checked on every run.
func TestStressCallsDoNotAllocate(t *testing.T) {
	if Variant() == "asan" {
		t.Skip("allocation counts in the release variant (ASan's malloc interposition is irrelevant to the Go heap, but keep the asan run short)")
	}
	e := stressEngine(t)
	w, err := NewWorkload(e, 1)
	require.NoError(t, err)
	defer w.Close()
	rng := rand.New(rand.NewSource(2))
	buf := make([]byte, 64)
	for _, op := range w.Ops() {
		for i := 0; i < 16; i++ {
			rng.Read(buf)
			c, err := op.Prepare(0, gen.New(buf))
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(20, func() {
				_, err := c.Run()
				require.NoError(t, err)
			})
			assert.Zero(t, allocs, "%s allocates per call", op.Name)
			c.Release()
		}
	}
}

// The WAL names the in-flight input exactly: the pool entry recorded for a call decodes, via
// EncodeCall/DecodeCall, to the call that was running.
func TestStressWALRecordsPoolInputs(t *testing.T) {
	e := stressEngine(t)
	w, err := NewWorkload(e, 2)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "wal")
	s, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: 2, Duration: time.Minute, Calls: 5000, Seed: 3,
		WALPath: path, PoolSize: 16, RefreshEvery: 4}, w)
	require.NoError(t, err)
	assert.Equal(t, int64(5000), s.Calls, "a call count is exact")
	assert.Empty(t, s.Findings)
	assert.Greater(t, s.Inputs, int64(1000), "the pool is refreshed")
	recs, err := wal.Read(path)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	var began uint64
	for _, r := range recs {
		assert.False(t, r.InFlight, "every call returned")
		began += r.Seq
	}
	assert.Equal(t, uint64(5000), began)
}

// BenchmarkStressRefresh: what replacing one pool entry costs (generate, prepare, release).
func BenchmarkStressRefresh(b *testing.B) {
	e := stressEngine(b)
	w, err := NewWorkload(e, 1)
	require.NoError(b, err)
	defer w.Close()
	ops := w.Ops()
	weights := make([]int, len(ops))
	for i, o := range ops {
		weights[i] = o.Weight
	}
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rng.Read(buf)
		op := gen.New(buf[:1]).Op(weights)
		c, err := ops[op].Prepare(0, gen.New(buf[1:]))
		require.NoError(b, err)
		c.Release()
	}
}
