// Package stress is seam's concurrent loop driver: N workers hammer a workload's weighted
// operations with adversarial inputs for a duration or a call count, each recording the
// operation and input it is about to run in a memory-mapped write-ahead slot, so when the
// process dies the in-flight calls are known. The parent side (Supervise) runs the loops in a
// child process, samples its RSS, and on a crash or hang reports the in-flight calls, replays
// them alone to find the culprit, and restarts the loops for the rest of the duration.
//
// It knows nothing about the boundary: a Workload supplies the operations.
package stress

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/seamfuzz/seam/internal/gen"
	"github.com/seamfuzz/seam/internal/wal"
)

// Op is one operation of a workload. Run draws its inputs from g; an error is a finding that
// is not a crash (a corrupted result, a broken thread claim).
type Op struct {
	Name   string
	Weight int
	Run    func(worker int, g *gen.Gen) (status int32, err error)
}

// Workload is what the loops run.
type Workload interface {
	Ops() []Op
	// Close releases shared state (handles) after the loops end.
	Close()
}

// LoopConfig configures the loops inside the child.
type LoopConfig struct {
	Workers   int           `json:"workers"`
	Duration  time.Duration `json:"duration"`
	Calls     int64         `json:"calls"` // 0 = until Duration
	Seed      int64         `json:"seed"`
	WALPath   string        `json:"wal"`
	StatsPath string        `json:"stats"`
	InputSize int           `json:"input_size"`
}

// Stats are the loop counters the child publishes about every 500 ms.
type Stats struct {
	Calls    int64            `json:"calls"`
	PerOp    map[string]int64 `json:"per_op"`
	ByStatus map[int32]int64  `json:"by_status"`
	Findings []string         `json:"findings,omitempty"`
	Done     bool             `json:"done"`
}

// inputSlot is the WAL layout: tag = op index, data = the generator bytes.
const defaultInputSize = 64

// RunLoops runs the workload's operations concurrently until the duration or call count is
// reached. It returns the final stats; a crash kills the process (that is the point).
func RunLoops(ctx context.Context, cfg LoopConfig, w Workload) (Stats, error) {
	if cfg.InputSize == 0 {
		cfg.InputSize = defaultInputSize
	}
	ops := w.Ops()
	weights := make([]int, len(ops))
	for i, o := range ops {
		weights[i] = o.Weight
	}
	var slots *wal.File
	if cfg.WALPath != "" {
		var err error
		if slots, err = wal.Create(cfg.WALPath, cfg.Workers, cfg.InputSize+8); err != nil {
			return Stats{}, err
		}
		defer slots.Close()
	}
	var calls atomic.Int64
	perOp := make([]atomic.Int64, len(ops))
	var mu sync.Mutex
	byStatus := map[int32]int64{}
	var findings []string
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	snapshot := func(done bool) Stats {
		s := Stats{Calls: calls.Load(), PerOp: map[string]int64{}, ByStatus: map[int32]int64{}, Done: done}
		for i, o := range ops {
			s.PerOp[o.Name] = perOp[i].Load()
		}
		mu.Lock()
		for k, v := range byStatus {
			s.ByStatus[k] = v
		}
		s.Findings = append(s.Findings, findings...)
		mu.Unlock()
		return s
	}
	publish := func(done bool) {
		if cfg.StatsPath == "" {
			return
		}
		b, _ := json.Marshal(snapshot(done))
		tmp := cfg.StatsPath + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, cfg.StatsPath)
		}
	}
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				publish(false)
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	for wi := 0; wi < cfg.Workers; wi++ {
		wi := wi
		g.Go(func() error {
			rng := rand.New(rand.NewSource(cfg.Seed + int64(wi)*7919))
			var slot *wal.Slot
			if slots != nil {
				slot = slots.Slot(wi)
			}
			local := map[int32]int64{}
			buf := make([]byte, cfg.InputSize)
			defer func() {
				mu.Lock()
				for k, v := range local {
					byStatus[k] += v
				}
				mu.Unlock()
			}()
			for gctx.Err() == nil {
				if cfg.Calls > 0 && calls.Load() >= cfg.Calls {
					return nil
				}
				rng.Read(buf)
				op := gen.New(buf[:1]).Op(weights)
				if slot != nil {
					slot.Begin(uint32(op), buf)
				}
				st, err := ops[op].Run(wi, gen.New(buf[1:]))
				if slot != nil {
					slot.End()
				}
				calls.Add(1)
				perOp[op].Add(1)
				local[st]++
				if calls.Load()%1024 == 0 || len(local) > 64 {
					mu.Lock()
					for k, v := range local {
						byStatus[k] += v
					}
					mu.Unlock()
					local = map[int32]int64{}
				}
				if err != nil {
					mu.Lock()
					if len(findings) < 100 {
						findings = append(findings, fmt.Sprintf("%s: %v", ops[op].Name, err))
					}
					mu.Unlock()
				}
			}
			return nil
		})
	}
	err := g.Wait()
	w.Close()
	publish(true)
	return snapshot(true), err
}

// EncodeCall is the replayable form of one recorded call: the op index then the input bytes.
func EncodeCall(op uint32, input []byte) []byte {
	b := make([]byte, 4, 4+len(input))
	binary.LittleEndian.PutUint32(b, op)
	return append(b, input...)
}

// DecodeCall splits EncodeCall's form.
func DecodeCall(b []byte) (op uint32, input []byte, ok bool) {
	if len(b) < 4 {
		return 0, nil, false
	}
	return binary.LittleEndian.Uint32(b), b[4:], true
}
