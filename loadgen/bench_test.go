package loadgen_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/loadgen"
	"github.com/seamfuzz/seam/stress"
)

// BenchmarkExecutor measures what the native executor adds to a call: one worker's pool
// (stress.DefaultPoolSize) of derived pricing_quote inputs run by lg_run (restore, write-ahead
// slot, call, compare, counters) against the same picks called bare, alternated in one process. The ratio it
// reports, bare/executor, is the executor's share of the loop's throughput (1 = free).
//
//	SEAM_VARIANT=release go test -run '^$' -bench Executor -benchtime 2x ./loadgen
func BenchmarkExecutor(b *testing.B) {
	w, err := loadgen.Open(contracts["pricing"], "cpp", variant(), loadgen.Options{Workers: 1})
	require.NoError(b, err)
	defer w.Close()
	const pool = stress.DefaultPoolSize
	nb, err := w.NewBatch(0, pool, 1, nil)
	require.NoError(b, err)
	defer nb.Close()
	var quote stress.Op
	for _, op := range w.Ops() {
		if op.Name == "pricing_quote" {
			quote = op
		}
	}
	seeds := gen.New([]byte("executor benchmark: the same inputs every run, many bytes of them"))
	var calls []stress.Call
	for i := 0; len(calls) < pool; i++ {
		c, err := quote.Prepare(0, gen.New([]byte{byte(i), byte(i >> 8), byte(seeds.Choose(256)), 3, 1, 4, 1, 5, 9, 2, 6}))
		require.NoError(b, err)
		require.NoError(b, nb.Set(len(calls), 0, c))
		if !loadgen.Native(nb, len(calls)) {
			c.Release()
			continue
		}
		calls = append(calls, c)
	}
	defer func() {
		for _, c := range calls {
			c.Release()
		}
	}()
	const chunk = 1 << 20
	var bare, exec time.Duration
	for range b.N {
		start := time.Now()
		loadgen.Bare(nb, chunk)
		bare += time.Since(start)
		start = time.Now()
		for left := chunk; left > 0; {
			passed, flagged, inGo := nb.Run(left)
			require.False(b, inGo)
			if flagged >= 0 {
				_, err := nb.Check(flagged)
				require.NoError(b, err)
				passed++
			}
			left -= passed
		}
		exec += time.Since(start)
	}
	n := float64(b.N * chunk)
	b.ReportMetric(float64(bare.Nanoseconds())/n, "bare-ns/call")
	b.ReportMetric(float64(exec.Nanoseconds())/n, "exec-ns/call")
	b.ReportMetric(float64(bare)/float64(exec), "bare/exec")
}
