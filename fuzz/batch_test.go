package fuzz

import (
	"context"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/stress"
	"github.com/seamfuzz/seam/wal"
)

// prepareOp prepares n calls of op from seeded random bytes.
func prepareOp(t testing.TB, op stress.Op, n int, seed int64) []stress.Call {
	rng := rand.New(rand.NewSource(seed))
	buf := make([]byte, 64)
	var calls []stress.Call
	for i := 0; i < n; i++ {
		rng.Read(buf)
		c, err := op.Prepare(0, gen.New(buf))
		require.NoError(t, err)
		calls = append(calls, c)
	}
	t.Cleanup(func() {
		for _, c := range calls {
			assert.NoError(t, c.Release())
		}
	})
	return calls
}

// testWorkload is a one-worker workload closed after the test's other cleanups (the calls
// prepared from it release into it).
func testWorkload(t *testing.T, e *engine.Engine) *Workload {
	w, err := NewWorkload(e, 1)
	require.NoError(t, err)
	t.Cleanup(w.Close)
	return w
}

// oneEntryBatch is a batch whose only entry is c, so every call it makes is c.
func oneEntryBatch(t *testing.T, w *Workload, op int, c stress.Call) *nativeBatch {
	nb, err := w.NewBatch(0, 1, 1, nil)
	require.NoError(t, err)
	t.Cleanup(nb.Close)
	require.NoError(t, nb.Set(0, op, c))
	return nb.(*nativeBatch)
}

// A batch makes the same calls as the Go loop: for random inputs of every operation, the
// status the batch counts is the one the call's Run returns, and a correct engine has every
// call passed by the fast check (nothing flagged, nothing left to Go).
func TestBatchAgreesWithTheGoCalls(t *testing.T) {
	e := stressEngine(t)
	w := testWorkload(t, e)
	for opi, op := range w.Ops() {
		for ci, c := range prepareOp(t, op, 40, int64(opi)) {
			st, err := c.Run()
			require.NoError(t, err)
			nb := oneEntryBatch(t, w, opi, c)
			passed, flagged, inGo := nb.Run(3)
			require.Equal(t, -1, flagged, "%s #%d flagged (status %v) on a correct engine", op.Name, ci, nb.st)
			assert.False(t, inGo)
			assert.Equal(t, 3, passed)
			perOp, byStatus := nb.Counts()
			assert.Equal(t, int64(3), perOp[opi], op.Name)
			assert.Equal(t, int64(3), byStatus[st+1], "%s #%d: the batch counted another status than Run's %v", op.Name, ci, engine.Status(st))
		}
	}
}

// The fast checks fire: each operation's call, with the answer it expects made wrong, is
// flagged by the batch, and the call's own Go check then reports the finding it reports in the
// Go loop.
func TestBatchFlagsWhatTheGoCheckReports(t *testing.T) {
	e := stressEngine(t)
	w := testWorkload(t, e)
	ops := w.Ops()
	index := map[string]int{}
	for i, op := range ops {
		index[op.Name] = i
	}
	// first returns a prepared call of op for which keep is true.
	first := func(name string, keep func(stress.Call) bool) stress.Call {
		for _, c := range prepareOp(t, ops[index[name]], 200, 7) {
			if keep(c) {
				return c
			}
		}
		t.Fatalf("no %s call to seed", name)
		return nil
	}
	other, err := e.NewInput(engine.Bytes([]byte("1,0,1000,825\n")))
	require.NoError(t, err)
	defer other.Free()
	flags := func(name string, c stress.Call, reason string) {
		t.Helper()
		nb := oneEntryBatch(t, w, index[name], c)
		passed, flagged, inGo := nb.Run(5)
		require.Equal(t, 0, passed, "%s: the wrong answer passed the fast check", name)
		require.Equal(t, 0, flagged)
		require.False(t, inGo)
		_, err := nb.Check(flagged)
		v := AsViolation(err)
		require.NotNil(t, v, "%s: the Go check of the flagged call found nothing (%v)", name, err)
		assert.Equal(t, reason, v.Reason, name)
	}

	q := first("quote-shared", func(c stress.Call) bool { return c.(*quoteSharedCall).hasRule }).(*quoteSharedCall)
	q.want.TaxCents++
	flags("quote-shared", q, "corrupted result under concurrency")

	q = first("quote-shared", func(c stress.Call) bool { return !c.(*quoteSharedCall).hasRule }).(*quoteSharedCall)
	q.hasRule = true // expects SEAM_OK and a price, gets SEAM_NO_RULE
	flags("quote-shared", q, "wrong status under concurrency")

	qa := first("quote-adversarial", func(c stress.Call) bool {
		st, _ := c.Run()
		return st == int32(engine.OK)
	}).(*quoteAdversarialCall)
	qa.mustFail = true
	flags("quote-adversarial", qa, "invalid input accepted")

	d := first("describe-shared", func(c stress.Call) bool { return len(c.(*describeSharedCall).want) > 0 }).(*describeSharedCall)
	wrong := make([]byte, len(d.want))
	copy(wrong, d.want)
	wrong[len(wrong)-1] ^= 1
	d.want = wrong
	wrongIn, err := e.NewInput(engine.Bytes(wrong))
	require.NoError(t, err)
	defer wrongIn.Free()
	d.wantIn = wrongIn
	flags("describe-shared", d, "corrupted result under concurrency")

	x := first("export-shared", func(stress.Call) bool { return true }).(*exportSharedCall)
	x.want = other
	flags("export-shared", x, "corrupted result under concurrency")

	l := first("load-private", func(c stress.Call) bool {
		st, _ := c.Run()
		return st == int32(engine.OK)
	}).(*loadPrivateCall)
	l.allowed = []engine.Status{engine.BadInput}
	flags("load-private", l, "invalid input accepted")

	// Go has the final say: a call the fast check flags (here told that only SEAM_BUSY passes)
	// but the Go check accepts is counted, not reported.
	ls := first("load-shared", func(stress.Call) bool { return true }).(*loadSharedCall)
	nb := oneEntryBatch(t, w, index["load-shared"], ls)
	nb.b.SetLoad(0, index["load-shared"], *ls.r, ls.text, []engine.Status{engine.Busy})
	_, flagged, _ := nb.Run(1)
	require.Equal(t, 0, flagged)
	st, err := nb.Check(0)
	assert.NoError(t, err)
	assert.Equal(t, int32(engine.OK), st)

	// The cycle's export must be the text it loaded: a different expected text is flagged, and
	// the Go check reports the round trip (and frees the handle and bytes the cycle left).
	cy := first("new-load-free", func(stress.Call) bool { return true }).(*newLoadFreeCall)
	nb = oneEntryBatch(t, w, index["new-load-free"], cy)
	s, err := w.scratchFor(0)
	require.NoError(t, err)
	nb.b.SetCycle(0, index["new-load-free"], s, w.refIn, other)
	passed, flagged, _ := nb.Run(3)
	require.Equal(t, 0, passed)
	require.Equal(t, 0, flagged)
	_, err = nb.Check(0)
	v := AsViolation(err)
	require.NotNil(t, v)
	assert.Equal(t, "export round trip differs", v.Reason)
}

// goOnlyCall hides a call's batch methods: the batch hands it back to the Go loop.
type goOnlyCall struct{ stress.Call }

// goOnlyWorkload is the pricing workload with every other operation run in Go.
type goOnlyWorkload struct{ *Workload }

func (w goOnlyWorkload) Ops() []stress.Op {
	ops := w.Workload.Ops()
	for i := range ops {
		if i%2 == 1 {
			prepare := ops[i].Prepare
			ops[i].Prepare = func(worker int, g *gen.Gen) (stress.Call, error) {
				c, err := prepare(worker, g)
				return goOnlyCall{c}, err
			}
		}
	}
	return ops
}

// Pool entries a batch cannot run are run by the Go loop in between batched calls: the call
// count stays exact, every op is counted, and the WAL saw every call begin and end.
func TestStressLoopsMixBatchedAndGoCalls(t *testing.T) {
	e := stressEngine(t)
	w, err := NewWorkload(e, 2)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "wal")
	s, err := stress.RunLoops(context.Background(), stress.LoopConfig{Workers: 2, Duration: time.Minute, Calls: 20000, Seed: 5,
		WALPath: path, PoolSize: 16, RefreshEvery: 8}, goOnlyWorkload{w})
	require.NoError(t, err)
	assert.Empty(t, s.Findings)
	assert.Equal(t, int64(20000), s.Calls)
	var perOp, byStatus int64
	for name, n := range s.PerOp {
		assert.Positive(t, n, name)
		perOp += n
	}
	for _, n := range s.ByStatus {
		byStatus += n
	}
	assert.Equal(t, s.Calls, perOp)
	assert.Equal(t, s.Calls, byStatus)
	recs, err := wal.Read(path)
	require.NoError(t, err)
	var began uint64
	for _, r := range recs {
		assert.False(t, r.InFlight)
		began += r.Seq
	}
	assert.Equal(t, uint64(20000), began)
}
