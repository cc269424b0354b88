// Package stress is seam's concurrent loop driver: N workers hammer a workload's weighted
// operations with adversarial inputs for a duration or a call count, each recording the
// operation and input it is about to run in a memory-mapped write-ahead slot, so when the
// process dies the in-flight calls are known. The parent side (Supervise) runs the loops in a
// child process, samples its RSS, and on a crash or hang reports the in-flight calls, replays
// them alone to find the culprit, and restarts the loops for the rest of the duration.
//
// It knows nothing about the boundary: a Workload supplies the operations, and may run a
// worker's pool in native code itself (Batcher) to save a cgo crossing per call.
package stress

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/wal"
)

// Op is one operation of a workload. Prepare draws its inputs from g and returns a call bound
// to the worker: the loops prepare a pool of calls per worker and run each one many times, so
// the per-call cost is the call and its check, not input generation and copying. Replay of one
// recorded call is Run: prepare, run once, release, from the same bytes.
type Op struct {
	Name    string
	Weight  int
	Prepare func(worker int, g *gen.Gen) (Call, error)
}

// Call is a prepared call. Run makes it (any number of times) and checks its result; an error
// is a finding that is not a crash (a corrupted result, a broken thread claim). Release frees
// what Prepare made; its error is a finding too (an engine wrote into a const input that the
// runs shared). Run must not allocate on the Go heap when it finds nothing.
type Call interface {
	Run() (status int32, err error)
	Release() error
}

// Run prepares the call from g, runs it once and releases it: what a replay of one recorded
// call does.
func (o Op) Run(worker int, g *gen.Gen) (int32, error) {
	c, err := o.Prepare(worker, g)
	if err != nil {
		return 0, err
	}
	st, err := c.Run()
	if rerr := c.Release(); err == nil {
		err = rerr
	}
	return st, err
}

// Workload is what the loops run.
type Workload interface {
	Ops() []Op
	// Close releases shared state (handles) after the loops end.
	Close()
}

// A Batcher is a Workload that can run a worker's pool in native code, many calls per
// crossing: a cgo call costs ~50-70 ns here, a fifth of a typical stress call. Optional; the
// loops then leave picking, recording in the WAL and counting to the batch, and keep refresh,
// flushing and findings.
type Batcher interface {
	NewBatch(worker, poolSize int, seed uint64, slot *wal.Slot) (NativeBatch, error)
}

// NativeBatch is one worker's pool in native code.
type NativeBatch interface {
	// Set makes pool entry i run c (of op index op), natively if the batch can, otherwise by
	// handing it back to the loop (Run stops before it with inGo).
	Set(i, op int, c Call) error
	// Run makes up to n calls of entries picked by the batch's own xorshift (seeded by
	// NewBatch), each recorded in the WAL slot as BeginEntry/End would. passed calls were
	// checked and counted (Counts); it stops at entry flagged (-1: none): not run when inGo,
	// otherwise run and waiting for Check.
	Run(n int) (passed, flagged int, inGo bool)
	// Check is Go's verdict on flagged entry i, which the last Run made: the status to count,
	// and a finding.
	Check(i int) (int32, error)
	// Counts are the passed calls per op and per status+1 (StatusSlots), cumulative.
	Counts() (perOp, byStatus []int64)
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
	// PoolSize is the number of prepared calls per worker (a power of two; DefaultPoolSize), and
	// one of them is replaced by a freshly generated one every RefreshEvery calls of the worker,
	// so a pool entry runs about RefreshEvery times before it is replaced. 0 adapts it: every
	// minRefreshEvery calls or more, so that generating an input takes at most 1/genShare of the
	// time the calls between two fresh inputs take (refreshInterval).
	PoolSize     int `json:"pool_size,omitempty"`
	RefreshEvery int `json:"refresh_every,omitempty"`
}

// Stats are the loop counters the child publishes about every 500 ms.
type Stats struct {
	Calls    int64            `json:"calls"`
	PerOp    map[string]int64 `json:"per_op"`
	ByStatus map[int32]int64  `json:"by_status"`
	Findings []string         `json:"findings,omitempty"`
	Done     bool             `json:"done"`
	// Inputs is how many pool entries were generated (distinct inputs run).
	Inputs int64 `json:"inputs,omitempty"`
}

// inputSlot is the WAL layout: tag = op index, data = the generator bytes.
const (
	defaultInputSize = 64
	// With an adaptive refresh, a fresh input every minRefreshEvery to maxRefreshEvery calls.
	minRefreshEvery = 128
	maxRefreshEvery = 1 << 14
	// 1/genShare is the time generating an input may take against the calls it replaces
	// (adaptive refresh): a fast call (a quote is ~100 ns native) must not spend most of the
	// loop in Go drawing and laying out its arguments (~10-50 µs an input), yet a slow one
	// still gets a fresh input every minRefreshEvery calls. A sixteenth: at an eighth, making
	// inputs was the biggest cost of seam's own in a profile of quotes (a ninth of the CPU),
	// for each input run ~8,000 times instead of ~15,000, which adds little a stress run needs.
	genShare = 16
	// A worker publishes its private counters every flushEvery calls (batchFlushEvery with a
	// native batch), and at least every flushInterval (checked every 64 calls, or after each
	// crossing) so that slow calls do not look like a hang to the supervisor, which watches the
	// call count.
	flushEvery      = 1024
	batchFlushEvery = 1 << 16
	flushInterval   = 100 * time.Millisecond
	maxFindings     = 100
)

// DefaultPoolSize is a worker's prepared calls unless configured: each entry's memory is ~10
// cache lines (its block, outputs, inputs), and at 64 the pools of the workers a core runs no
// longer stay in its caches: with 8 workers on one core, 16 made 8-24% more calls a CPU-second
// than 64 in each of 7 alternating runs. The inputs a run makes are the same either way (the
// refresh is timed); only how many are live at once changes (16 a worker).
const DefaultPoolSize = 16

// StatusSlots is how many statuses, -1..14, are counted in an array (a NativeBatch's Counts
// too); others go to a map.
const StatusSlots = 16

// crossingCalls is how many calls one native crossing may make: what fits in a quarter of
// flushInterval at the calls' average time so far (call for calls), so that slow calls with a
// long fixed -refresh still publish their count well before the hang watchdog looks.
func crossingCalls(call time.Duration, calls int64) int64 {
	if calls <= 0 || call <= 0 {
		return flushEvery
	}
	return max(1, int64(float64(flushInterval/4)*float64(calls)/float64(call)))
}

// refreshInterval is how many calls a worker makes between fresh inputs so that generating
// one (gen for inputs so far) takes at most 1/genShare of the time of those calls (call for
// calls so far).
func refreshInterval(gen, call time.Duration, inputs, calls int64) int {
	if inputs <= 0 || calls <= 0 || call <= 0 {
		return minRefreshEvery
	}
	perInput := float64(gen) / float64(inputs)
	perCall := float64(call) / float64(calls)
	n := genShare * perInput / perCall
	return int(min(max(n, minRefreshEvery), maxRefreshEvery))
}

// counters are one worker's: written only by it (plain fields while it runs, atomics when it
// publishes), summed by the publisher. No counter is shared between workers on the hot path.
type counters struct {
	calls    atomic.Int64
	inputs   atomic.Int64
	perOp    []atomic.Int64
	byStatus [StatusSlots]atomic.Int64
	mu       sync.Mutex
	other    map[int32]int64 // statuses outside the array (rare)
	_        [64]byte
}

// RunLoops runs the workload's operations concurrently until the duration or call count is
// reached. It returns the final stats; a crash kills the process (that is the point).
//
// Each worker keeps a pool of prepared calls, generated from seeded random bytes by the
// adversarial generator and written once into the worker's WAL slot; a call is recorded with
// one atomic store of its pool index, so a crash still names the exact in-flight input. Every
// RefreshEvery calls one entry is regenerated, cycling through the pool.
func RunLoops(ctx context.Context, cfg LoopConfig, w Workload) (Stats, error) {
	if cfg.InputSize == 0 {
		cfg.InputSize = defaultInputSize
	}
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = DefaultPoolSize
	}
	if cfg.PoolSize&(cfg.PoolSize-1) != 0 {
		return Stats{}, fmt.Errorf("stress: pool size %d is not a power of two", cfg.PoolSize)
	}
	// Every worker gets its own P, so N workers are N threads inside native code at once (as in
	// the C++ pthread baseline), not GOMAXPROCS of them with the rest queued behind cgo calls;
	// the OS interleaves them, which is what shakes out races.
	if procs := runtime.GOMAXPROCS(0); procs < cfg.Workers {
		runtime.GOMAXPROCS(cfg.Workers)
		defer runtime.GOMAXPROCS(procs)
	}
	ops := w.Ops()
	weights := make([]int, len(ops))
	for i, o := range ops {
		weights[i] = o.Weight
	}
	var slots *wal.File
	if cfg.WALPath != "" {
		var err error
		if slots, err = wal.CreatePool(cfg.WALPath, cfg.Workers, cfg.InputSize, cfg.PoolSize); err != nil {
			return Stats{}, err
		}
		defer slots.Close()
	}
	ctr := make([]*counters, cfg.Workers)
	for i := range ctr {
		ctr[i] = &counters{perOp: make([]atomic.Int64, len(ops)), other: map[int32]int64{}}
	}
	var mu sync.Mutex
	var findings []string
	var budget atomic.Int64 // calls handed out, when cfg.Calls > 0
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	snapshot := func(done bool) Stats {
		s := Stats{PerOp: map[string]int64{}, ByStatus: map[int32]int64{}, Done: done}
		for _, c := range ctr {
			s.Calls += c.calls.Load()
			s.Inputs += c.inputs.Load()
			for i, o := range ops {
				s.PerOp[o.Name] += c.perOp[i].Load()
			}
			for i := range c.byStatus {
				if v := c.byStatus[i].Load(); v != 0 {
					s.ByStatus[int32(i-1)] += v
				}
			}
			c.mu.Lock()
			for k, v := range c.other {
				s.ByStatus[k] += v
			}
			c.mu.Unlock()
		}
		mu.Lock()
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
	g, gctx := errgroup.WithContext(ctx)
	// Workers poll a flag, not the context (whose Err takes a lock shared by all of them).
	var stop atomic.Bool
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-gctx.Done():
				stop.Store(true)
				return
			case <-t.C:
				publish(false)
			}
		}
	}()
	// Each worker keeps one OS thread, and the hand-offs around the loops (the workload set up
	// before, closed after) are annotated: ThreadSanitizer sees threads, not goroutines, and
	// without both it reports the pool's native memory and the shared handles as raced between
	// the threads a goroutine happened to run on.
	// The caller's goroutine stays on one thread from here to the workload's Close, and should
	// have set the workload up on it (ServeIfChild does).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	begin, end := sanrt.Token(2), sanrt.Token(3)
	sanrt.Release(begin)
	for wi := 0; wi < cfg.Workers; wi++ {
		wi := wi
		g.Go(func() error {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			sanrt.Acquire(begin)
			defer sanrt.Release(end)
			err := runWorker(wi, cfg, w, ops, weights, slots, ctr[wi], &stop, &budget, func(msg string) {
				mu.Lock()
				if len(findings) < maxFindings {
					findings = append(findings, msg)
				}
				mu.Unlock()
			})
			if err != nil {
				stop.Store(true)
			}
			return err
		})
	}
	err := g.Wait()
	sanrt.Acquire(end)
	stop.Store(true)
	w.Close()
	publish(true)
	return snapshot(true), err
}

type poolEntry struct {
	op   int
	call Call
}

// runWorker is one worker's loop.
func runWorker(wi int, cfg LoopConfig, w Workload, ops []Op, weights []int, slots *wal.File, c *counters,
	stop *atomic.Bool, budget *atomic.Int64, finding func(string)) error {
	release := func(e poolEntry) {
		if e.call == nil {
			return
		}
		if err := e.call.Release(); err != nil {
			finding(fmt.Sprintf("%s: %v", ops[e.op].Name, err))
		}
	}
	rng := rand.New(rand.NewSource(cfg.Seed + int64(wi)*7919))
	var slot *wal.Slot
	if slots != nil {
		slot = slots.Slot(wi)
	}
	// x picks the pool entry of each call (xorshift: a few instructions, no shared state).
	x := uint64(cfg.Seed)*0x9E3779B97F4A7C15 + uint64(wi+1)*0xBF58476D1CE4E5B9 | 1
	var nb NativeBatch
	if b, ok := w.(Batcher); ok {
		var err error
		if nb, err = b.NewBatch(wi, cfg.PoolSize, x, slot); err != nil {
			return fmt.Errorf("stress: %w", err)
		}
		defer nb.Close()
	}
	pool := make([]poolEntry, cfg.PoolSize)
	defer func() {
		for _, e := range pool {
			release(e)
		}
	}()
	buf := make([]byte, cfg.InputSize)
	var inputs int64
	// fill replaces entry i with a freshly generated call; no call on it is in flight.
	fill := func(i int) error {
		rng.Read(buf)
		op := gen.New(buf[:1]).Op(weights)
		call, err := ops[op].Prepare(wi, gen.New(buf[1:]))
		if err != nil {
			return fmt.Errorf("stress: preparing %s: %w", ops[op].Name, err)
		}
		if slot != nil {
			slot.SetEntry(i, uint32(op), buf)
		}
		release(pool[i])
		pool[i] = poolEntry{op: op, call: call}
		inputs++
		if nb != nil {
			if err := nb.Set(i, op, call); err != nil {
				return fmt.Errorf("stress: batching %s: %w", ops[op].Name, err)
			}
		}
		return nil
	}
	for i := range pool {
		if stop.Load() {
			return nil
		}
		if err := fill(i); err != nil {
			return err
		}
	}
	// Plain per-worker counters, published every flushEvery calls or flushInterval. With a
	// batch, the calls it passed are counted in its Counts, the rest here.
	var calls int64
	lastFlush := time.Now()
	perOp := make([]int64, len(ops))
	var byStatus [StatusSlots]int64
	flush := func() {
		lastFlush = time.Now()
		c.calls.Store(calls)
		c.inputs.Store(inputs)
		var bOp, bStatus []int64
		if nb != nil {
			bOp, bStatus = nb.Counts()
		}
		for i, v := range perOp {
			if i < len(bOp) {
				v += bOp[i]
			}
			c.perOp[i].Store(v)
		}
		for i, v := range byStatus {
			if i < len(bStatus) {
				v += bStatus[i]
			}
			c.byStatus[i].Store(v)
		}
	}
	defer flush()
	count := func(op int, st int32, err error) {
		calls++
		perOp[op]++
		if uint32(st+1) < StatusSlots {
			byStatus[st+1]++
		} else {
			c.mu.Lock()
			c.other[st]++
			c.mu.Unlock()
		}
		if err != nil {
			finding(fmt.Sprintf("%s: %v", ops[op].Name, err))
		}
	}
	// goCall makes the call on pool entry i in Go.
	goCall := func(i int) {
		e := &pool[i]
		if slot != nil {
			slot.BeginEntry(i)
		}
		st, err := e.call.Run()
		if slot != nil {
			slot.End()
		}
		count(e.op, st, err)
	}
	mask := uint64(cfg.PoolSize - 1)
	// step makes up to limit calls (at least one) and returns how many it made: in Go, one
	// call; with a batch, every call up to limit in one crossing, the call it stopped at (if
	// any) finished here.
	step := func(limit int64) int64 {
		if nb == nil {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			goCall(int(x & mask))
			return 1
		}
		passed, flagged, inGo := nb.Run(int(limit))
		calls += int64(passed)
		switch {
		case flagged < 0:
			return int64(passed)
		case inGo:
			goCall(flagged)
		default:
			st, err := nb.Check(flagged)
			count(pool[flagged].op, st, err)
		}
		return int64(passed) + 1
	}
	// every is the current refresh interval; genTime and callTime what filling and calling
	// took so far, for an adaptive one.
	every, adapt := cfg.RefreshEvery, cfg.RefreshEvery <= 0
	if adapt {
		every = minRefreshEvery
	}
	var genTime, callTime time.Duration
	var timedCalls int64
	refresh, next := 0, 0
	// A native batch flushes by time, so one crossing runs up to the next refresh (or
	// crossingCalls): every return from C costs more than the crossing (the runtime has often
	// handed the P to another thread by then).
	perFlush := int64(flushEvery)
	if nb != nil {
		perFlush = batchFlushEvery
	}
	for {
		// A batch of calls between flushes; with a call count, the batch is taken from the
		// shared budget so the total is exact.
		n := perFlush
		if cfg.Calls > 0 {
			chunk := max(1, min(perFlush, cfg.Calls/int64(cfg.Workers*8)))
			got := budget.Add(chunk)
			if got-chunk >= cfg.Calls {
				return nil
			}
			n = min(chunk, cfg.Calls-(got-chunk))
		}
		for k := int64(0); k < n; {
			if stop.Load() {
				return nil
			}
			// A native crossing is timed too: its length is bounded by the calls' average time.
			timed := adapt || nb != nil
			var t0 time.Time
			if timed {
				t0 = time.Now()
			}
			limit := min(n-k, int64(every-refresh))
			if nb != nil {
				limit = min(limit, crossingCalls(callTime, timedCalls))
			}
			made := step(limit)
			if timed {
				callTime += time.Since(t0)
				timedCalls += made
			}
			if (nb != nil || calls&63 == 0) && time.Since(lastFlush) >= flushInterval {
				flush()
			}
			k += made
			if refresh += int(made); refresh >= every {
				refresh = 0
				t0 = time.Now()
				if err := fill(next); err != nil {
					return err
				}
				next = (next + 1) & int(mask)
				if adapt {
					genTime += time.Since(t0)
					every = refreshInterval(genTime, callTime, inputs-int64(cfg.PoolSize), timedCalls)
				}
			}
		}
		flush()
	}
}
