package stress

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/gen"
)

func TestRefreshIntervalKeepsGenerationToItsShare(t *testing.T) {
	// 20 µs an input against 100 ns a call: 16 * 200 calls.
	assert.Equal(t, 3200, refreshInterval(20*time.Microsecond*100, 100*time.Nanosecond*10000, 100, 10000))
	// A slow call still gets a fresh input every minRefreshEvery calls; a very cheap one not
	// less often than every maxRefreshEvery.
	assert.Equal(t, minRefreshEvery, refreshInterval(time.Microsecond, time.Millisecond, 1, 1))
	assert.Equal(t, maxRefreshEvery, refreshInterval(time.Second, time.Nanosecond, 1, 1))
	assert.Equal(t, minRefreshEvery, refreshInterval(0, 0, 0, 0), "nothing measured yet")
}

// busyCall is a call that takes about a microsecond; slowPrepare's inputs take a millisecond.
type busyCall struct{}

func (busyCall) Run() (int32, error) {
	for start := time.Now(); time.Since(start) < time.Microsecond; {
	}
	return 0, nil
}
func (busyCall) Release() error { return nil }

type slowPrepare struct{}

func (slowPrepare) Ops() []Op {
	return []Op{{Name: "op", Weight: 1, Prepare: func(int, *gen.Gen) (Call, error) {
		time.Sleep(time.Millisecond)
		return busyCall{}, nil
	}}}
}
func (slowPrepare) Close() {}

// An adaptive refresh stretches the interval when inputs cost much more than calls; a fixed
// one keeps it.
func TestAdaptiveRefreshStretchesForExpensiveInputs(t *testing.T) {
	run := func(every int) Stats {
		st, err := RunLoops(context.Background(), LoopConfig{Workers: 1, Duration: 1500 * time.Millisecond, Seed: 1, PoolSize: 4, RefreshEvery: every}, slowPrepare{})
		require.NoError(t, err)
		return st
	}
	fixed, adaptive := run(minRefreshEvery), run(0)
	perInput := func(st Stats) float64 { return float64(st.Calls) / float64(st.Inputs-4) }
	assert.InDelta(t, minRefreshEvery, perInput(fixed), minRefreshEvery/2, "fixed: %+v", fixed)
	// A millisecond an input against about a microsecond a call: thousands of calls an input.
	assert.Greater(t, perInput(adaptive), 4.0*minRefreshEvery, "adaptive: %+v", adaptive)
}

func TestCrossingCallsFitAQuarterOfTheFlushInterval(t *testing.T) {
	// 1 ms a call: 25 calls keep the count published every 25 ms, whatever -refresh says.
	assert.Equal(t, int64(25), crossingCalls(time.Second, 1000))
	// 100 ns a call: more than a refresh interval fits, so the refresh ends the crossing.
	assert.Equal(t, int64(250000), crossingCalls(100*time.Millisecond, 1000000))
	assert.Equal(t, int64(1), crossingCalls(time.Hour, 1))
	assert.Equal(t, int64(flushEvery), crossingCalls(0, 0)) // nothing timed yet
}
