package fuzz

import (
	"fmt"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/stress"
	"github.com/seamfuzz/seam/wal"
)

// The workload's native batches (stress.Batcher): every operation is a call an engine.Batch
// runs in C, with a fast check that only passes or flags; the call's own Go check (the one its
// Run uses) decides on a flagged call.

// batchCall is a stress call an engine.Batch can run: setIn makes it entry i, flagged is its Go
// check of the call the batch made and flagged.
type batchCall interface {
	stress.Call
	setIn(b *engine.Batch, i, op int) error
	flagged(b *engine.Batch, i int, st engine.Status) (int32, error)
}

type nativeBatch struct {
	b     *engine.Batch
	calls []batchCall
	st    engine.Status // the flagged call's status
}

// NewBatch makes worker's batch of poolSize entries (stress.Batcher).
func (w *Workload) NewBatch(_ int, poolSize int, seed uint64, slot *wal.Slot) (stress.NativeBatch, error) {
	if n := len(w.Ops()); n > engine.BatchMaxOps {
		return nil, fmt.Errorf("%d operations, a batch counts %d", n, engine.BatchMaxOps)
	}
	var state *uint32
	var seq *uint64
	if slot != nil {
		state, seq = slot.Words()
	}
	b, err := w.e.NewBatch(poolSize, seed, state, seq)
	if err != nil {
		return nil, err
	}
	return &nativeBatch{b: b, calls: make([]batchCall, poolSize)}, nil
}

func (n *nativeBatch) Set(i, op int, c stress.Call) error {
	bc, ok := c.(batchCall)
	if !ok {
		n.calls[i] = nil
		n.b.SetGo(i)
		return nil
	}
	n.calls[i] = bc
	return bc.setIn(n.b, i, op)
}

func (n *nativeBatch) Run(k int) (passed, flagged int, inGo bool) {
	passed, flagged, n.st, inGo = n.b.Run(k)
	return passed, flagged, inGo
}

func (n *nativeBatch) Check(i int) (int32, error) { return n.calls[i].flagged(n.b, i, n.st) }

func (n *nativeBatch) Counts() (perOp, byStatus []int64) { return n.b.Counts() }

func (n *nativeBatch) Close() { n.b.Close() }
