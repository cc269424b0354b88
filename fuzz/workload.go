// The pricing stress workload: what `seam stress` runs on many threads at once. Shared handles
// always hold the reference rules, so every quote on them has one right answer and a
// corrupted result is a finding; exclusive calls on shared handles may return SEAM_BUSY and
// nothing else.
//
// Target "stressop" replays one recorded call alone:
//
//	seam repro -target stressop -engines cpp corpus/stressop/<id>
package fuzz

import (
	"fmt"
	"sync"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/internal/gen"
	"github.com/seamfuzz/seam/stress"
)

// Workload is the pricing workload on one engine.
type Workload struct {
	e       *engine.Engine
	shared  []*engine.Rules
	private []*engine.Rules
	ref     map[[2]uint32]Rule
	mu      sync.Mutex
}

const sharedHandles = 2

// NewWorkload opens shared handles (reference rules) and per-worker private handles.
func NewWorkload(e *engine.Engine, workers int) (*Workload, error) {
	w := &Workload{e: e, ref: map[[2]uint32]Rule{}}
	for i := 0; i < sharedHandles+workers; i++ {
		r, err := mustNew(e)
		if err != nil {
			return nil, err
		}
		if st := r.Load(engine.Bytes([]byte(RefRules))); st != engine.OK {
			return nil, fmt.Errorf("loading the reference rules returned %v", st)
		}
		if i < sharedHandles {
			w.shared = append(w.shared, r)
		} else {
			w.private = append(w.private, r)
		}
	}
	for _, region := range []uint32{1, 2, 7, 65535} {
		desc, st := w.shared[0].DescribeAll(region)
		if st != engine.OK {
			return nil, fmt.Errorf("describe of the reference rules returned %v", st)
		}
		rules, err := ParseDescription(desc)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			w.ref[[2]uint32{region, r.Tier}] = r
		}
	}
	return w, nil
}

// Close frees every handle.
func (w *Workload) Close() {
	for _, r := range append(w.shared, w.private...) {
		r.Free()
	}
}

var refRegions = []uint32{1, 2, 7, 65535, 3}

// Ops: weights favour the thread-safe calls on shared handles, where races live.
func (w *Workload) Ops() []stress.Op {
	return []stress.Op{
		{Name: "quote-shared", Weight: 40, Run: w.quoteShared},
		{Name: "quote-adversarial", Weight: 10, Run: w.quoteAdversarial},
		{Name: "describe-shared", Weight: 10, Run: w.describeShared},
		{Name: "export-shared", Weight: 8, Run: w.exportShared},
		{Name: "load-private", Weight: 8, Run: w.loadPrivate},
		{Name: "new-load-free", Weight: 8, Run: w.newLoadFree},
		{Name: "load-shared", Weight: 3, Run: w.loadShared},
	}
}

func (w *Workload) pickShared(g *gen.Gen) *engine.Rules { return w.shared[g.Choose(len(w.shared))] }

// quoteShared prices a valid request on a shared handle: the answer must be the spec's.
func (w *Workload) quoteShared(_ int, g *gen.Gen) (int32, error) {
	region := refRegions[g.Choose(len(refRegions))]
	tier := uint32(g.Choose(3))
	subtotal := int64(g.Choose(1 << 20))
	coupon := []string{"", "SAVE10", "HALF", "NOPE"}[g.Choose(4)]
	req := engine.NewRequest(1, subtotal, region, tier)
	if coupon != "" {
		req.Coupon = engine.Bytes([]byte(coupon))
	}
	res, st := w.pickShared(g).Quote(req)
	rule, ok := w.ref[[2]uint32{region, tier}]
	switch {
	case st == engine.Busy:
		return int32(st), nil // a concurrent load-shared holds the handle
	case !ok && st != engine.NoRule:
		return int32(st), contract("pricing_quote", "status", "wrong status under concurrency", "region %d tier %d has no rule but got %v", region, tier, st)
	case ok && st != engine.OK:
		return int32(st), contract("pricing_quote", "status", "wrong status under concurrency", "region %d tier %d got %v", region, tier, st)
	case ok:
		want := Price(rule, subtotal, []byte(coupon))
		if field, detail, _, bad := ResultDiff(res, want, "engine", "spec"); bad {
			return int32(st), contract("pricing_quote", field, "corrupted result under concurrency", "%s (subtotal %d region %d tier %d coupon %q)", detail, subtotal, region, tier, coupon)
		}
	}
	return int32(st), nil
}

func (w *Workload) quoteAdversarial(worker int, g *gen.Gen) (int32, error) {
	a := quoteArgs(g)
	_, st := w.pickShared(g).QuoteWith(a)
	if QuoteInputStatus(a, false) == engine.BadInput && st != engine.BadInput && st != engine.Busy {
		return int32(st), contract("pricing_quote", "status", "invalid input accepted", "%v for %s", st, describeArgs(a, false))
	}
	return int32(st), nil
}

func (w *Workload) describeShared(_ int, g *gen.Gen) (int32, error) {
	region := refRegions[g.Choose(len(refRegions))]
	text, st := w.pickShared(g).DescribeAll(region)
	if st == engine.OK {
		if _, err := ParseDescription(text); err != nil {
			return int32(st), contract("pricing_rules_describe", "text", "corrupted result under concurrency", "%v", err)
		}
	}
	return int32(st), nil
}

func (w *Workload) exportShared(_ int, g *gen.Gen) (int32, error) {
	out, st := w.pickShared(g).Export()
	if st == engine.OK && string(out) != RefRules {
		return int32(st), contract("pricing_rules_export", "bytes", "corrupted result under concurrency", "%q", clip(string(out)))
	}
	return int32(st), nil
}

func (w *Workload) loadPrivate(worker int, g *gen.Gen) (int32, error) {
	r := w.private[worker%len(w.private)]
	text := rulesText(g)
	st := r.Load(text)
	if err := expectOneOf("pricing_rules_load", st, loadAllowed(text)...); err != nil {
		return int32(st), err
	}
	return int32(st), nil
}

// newLoadFree is the alloc/free cycle: a bug that needs thousands of them shows here.
func (w *Workload) newLoadFree(_ int, g *gen.Gen) (int32, error) {
	r, err := mustNew(w.e)
	if err != nil {
		return int32(engine.Internal), err
	}
	st := r.Load(engine.Bytes([]byte(RefRules)))
	if out, est := r.Export(); est == engine.OK && st == engine.OK && string(out) != RefRules {
		r.Free()
		return int32(est), contract("pricing_rules_export", "bytes", "export round trip differs", "%q", clip(string(out)))
	}
	r.Free()
	return int32(st), nil
}

// loadShared reloads the same reference rules into a shared handle: exclusive, so SEAM_BUSY is
// the only other answer while readers are active.
func (w *Workload) loadShared(_ int, g *gen.Gen) (int32, error) {
	st := w.pickShared(g).Load(engine.Bytes([]byte(RefRules)))
	if st != engine.OK && st != engine.Busy {
		return int32(st), contract("pricing_rules_load", "status", "exclusive call neither done nor refused", "got %v", st)
	}
	return int32(st), nil
}

var stressopTarget = register(Target{
	Name: "stressop", FuzzFunc: "FuzzStressOp", one: runStressOp,
	Seeds: [][]byte{stress.EncodeCall(0, []byte{0, 1, 2, 3, 4, 5, 6, 7}), stress.EncodeCall(5, []byte("new-load-free"))},
})

// runStressOp replays one recorded call (op index + the input bytes it was given) alone.
func runStressOp(e *engine.Engine, data []byte) error {
	op, input, ok := stress.DecodeCall(data)
	if !ok || len(input) == 0 {
		return nil
	}
	w, err := NewWorkload(e, 1)
	if err != nil {
		return err
	}
	defer w.Close()
	ops := w.Ops()
	_, err = ops[int(op)%len(ops)].Run(0, gen.New(input[1:]))
	return err
}

var stressbatchTarget = register(Target{
	Name: "stressbatch", FuzzFunc: "FuzzStressBatch", one: runStressBatch,
	Seeds: [][]byte{EncodeBatch(0, 100, 1)},
})

// MaxBatchCalls bounds one stressbatch input: enough for "fails after N calls" bugs, a second
// or two under ASan.
const MaxBatchCalls = 10000

// EncodeBatch is a batch of count calls of one op with inputs from a seeded generator: the unit
// of a LeakSanitizer check (a check per call would cost 10-20 ms each).
func EncodeBatch(op uint32, count uint32, seed uint32) []byte {
	return stress.EncodeCall(op, []byte{byte(count), byte(count >> 8), byte(count >> 16), byte(seed), byte(seed >> 8)})
}

func runStressBatch(e *engine.Engine, data []byte) error {
	op, p, ok := stress.DecodeCall(data)
	if !ok || len(p) < 5 {
		return nil
	}
	// Fuzzed counts reach 16M calls (minutes under ASan): a slow input, not a hang in the
	// engine. Stress's leak batches use exactly the cap.
	count := min(int(p[0])|int(p[1])<<8|int(p[2])<<16, MaxBatchCalls)
	seed := uint64(p[3]) | uint64(p[4])<<8
	w, err := NewWorkload(e, 1)
	if err != nil {
		return err
	}
	defer w.Close()
	ops := w.Ops()
	run := ops[int(op)%len(ops)].Run
	buf := make([]byte, 64)
	x := seed*2862933555777941757 + 3037000493
	for i := 0; i < count; i++ {
		for j := range buf { // xorshift: deterministic inputs without math/rand state
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			buf[j] = byte(x)
		}
		if _, err := run(0, gen.New(buf)); err != nil {
			return err
		}
	}
	return nil
}

// StressOpNames lists the workload's operations in index order.
func StressOpNames() []string {
	var out []string
	for _, o := range (&Workload{}).Ops() {
		out = append(out, o.Name)
	}
	return out
}
