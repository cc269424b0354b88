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
	"bytes"
	"fmt"
	"sync"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/stress"
)

// Workload is the pricing workload on one engine.
//
// Its operations are prepared calls (stress.Op.Prepare): the generator's values are drawn, the
// inputs copied into native memory and the spec model's answer computed once per pool entry;
// each run of the call is then the native call and the check of its result against that answer
// (every result is checked, none sampled). Outputs live in a per-worker engine.Scratch.
type Workload struct {
	e       *engine.Engine
	shared  []*engine.Rules
	private []*engine.Rules
	ref     map[[2]uint32]Rule
	// desc is each reference region's description of the reference rules; descIn the same in
	// native memory (for a batch's check).
	desc    map[uint32][]byte
	descIn  map[uint32]*engine.Input
	refIn   *engine.Input // RefRules in native memory, shared by every load of them
	refText []byte
	mu      sync.Mutex
	scratch map[int]*engine.Scratch
}

const sharedHandles = 2

// NewWorkload opens shared handles (reference rules) and per-worker private handles.
func NewWorkload(e *engine.Engine, workers int) (*Workload, error) {
	w := &Workload{e: e, ref: map[[2]uint32]Rule{}, desc: map[uint32][]byte{}, descIn: map[uint32]*engine.Input{}, refText: []byte(RefRules),
		scratch: map[int]*engine.Scratch{}}
	for i := 0; i < sharedHandles+workers; i++ {
		r, err := mustNew(e)
		if err != nil {
			w.Close()
			return nil, err
		}
		if i < sharedHandles {
			w.shared = append(w.shared, r)
		} else {
			w.private = append(w.private, r)
		}
		if st := r.Load(engine.Bytes([]byte(RefRules))); st != engine.OK {
			w.Close()
			return nil, fmt.Errorf("loading the reference rules returned %v", st)
		}
	}
	for _, region := range refRegions {
		desc, st := w.shared[0].DescribeAll(region)
		if region == noRuleRegion {
			w.desc[region] = nil // SEAM_NO_RULE, or SEAM_OK with nothing
			continue
		}
		if st != engine.OK {
			w.Close()
			return nil, fmt.Errorf("describe of the reference rules returned %v", st)
		}
		rules, err := ParseDescription(desc)
		if err != nil {
			w.Close()
			return nil, err
		}
		for _, r := range rules {
			w.ref[[2]uint32{region, r.Tier}] = r
		}
		w.desc[region] = desc
	}
	var err error
	if w.refIn, err = e.NewInput(engine.Bytes(w.refText)); err != nil {
		w.Close()
		return nil, err
	}
	for region, desc := range w.desc {
		if w.descIn[region], err = e.NewInput(engine.Bytes(desc)); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// Close frees every handle and native block.
func (w *Workload) Close() {
	for _, r := range append(w.shared, w.private...) {
		r.Free()
	}
	w.shared, w.private = nil, nil
	for _, s := range w.scratch {
		s.Free()
	}
	w.scratch = nil
	if w.refIn != nil {
		w.refIn.Free()
		w.refIn = nil
	}
	for _, in := range w.descIn {
		in.Free()
	}
	w.descIn = nil
}

// scratchFor is the worker's output blocks (made on first use).
func (w *Workload) scratchFor(worker int) (*engine.Scratch, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s := w.scratch[worker]; s != nil {
		return s, nil
	}
	s, err := w.e.NewScratch()
	if err != nil {
		return nil, err
	}
	w.scratch[worker] = s
	return s, nil
}

// refRegions are the regions quotes and describes use: those of the reference rules and one
// without rules.
var refRegions = []uint32{1, 2, 7, 65535, noRuleRegion}

const noRuleRegion = 3

// Ops: weights favour the thread-safe calls on shared handles, where races live.
func (w *Workload) Ops() []stress.Op {
	return []stress.Op{
		{Name: "quote-shared", Weight: 40, Prepare: w.quoteShared},
		{Name: "quote-adversarial", Weight: 10, Prepare: w.quoteAdversarial},
		{Name: "describe-shared", Weight: 10, Prepare: w.describeShared},
		{Name: "export-shared", Weight: 8, Prepare: w.exportShared},
		{Name: "load-private", Weight: 8, Prepare: w.loadPrivate},
		{Name: "new-load-free", Weight: 8, Prepare: w.newLoadFree},
		{Name: "load-shared", Weight: 3, Prepare: w.loadShared},
	}
}

func (w *Workload) pickShared(g *gen.Gen) *engine.Rules { return w.shared[g.Choose(len(w.shared))] }

// quoteSharedCall prices a valid request on a shared handle: the answer must be the spec's.
type quoteSharedCall struct {
	s        *engine.Scratch
	r        *engine.Rules
	q        *engine.PreparedQuote
	rule     Rule
	hasRule  bool
	want     engine.Result // the spec model's price (Price), computed when prepared
	region   uint32
	tier     uint32
	subtotal int64
	coupon   string
}

func (w *Workload) quoteShared(worker int, g *gen.Gen) (stress.Call, error) {
	s, err := w.scratchFor(worker)
	if err != nil {
		return nil, err
	}
	c := &quoteSharedCall{s: s}
	c.region = refRegions[g.Choose(len(refRegions))]
	c.tier = uint32(g.Choose(3))
	c.subtotal = int64(g.Choose(1 << 20))
	c.coupon = []string{"", "SAVE10", "HALF", "NOPE"}[g.Choose(4)]
	req := engine.NewRequest(1, c.subtotal, c.region, c.tier)
	if c.coupon != "" {
		req.Coupon = engine.Bytes([]byte(c.coupon))
	}
	c.r = w.pickShared(g)
	if c.q, err = w.e.PrepareQuote(engine.QuoteArgs{Req: req, ResultStructSize: engine.ResultSize}); err != nil {
		return nil, err
	}
	c.rule, c.hasRule = w.ref[[2]uint32{c.region, c.tier}]
	if c.hasRule {
		c.want = Price(c.rule, c.subtotal, []byte(c.coupon))
	}
	return c, nil
}

func (c *quoteSharedCall) Run() (int32, error) { return c.check(c.r.QuotePrepared(c.q, c.s)) }

func (c *quoteSharedCall) check(res engine.Result, st engine.Status) (int32, error) {
	switch {
	case st == engine.Busy:
		return int32(st), nil // a concurrent load-shared holds the handle
	case !c.hasRule && st != engine.NoRule:
		return int32(st), contract("pricing_quote", "status", "wrong status under concurrency", "region %d tier %d has no rule but got %v", c.region, c.tier, st)
	case c.hasRule && st != engine.OK:
		return int32(st), contract("pricing_quote", "status", "wrong status under concurrency", "region %d tier %d got %v", c.region, c.tier, st)
	case c.hasRule && res != c.want:
		field, detail, _, _ := ResultDiff(res, c.want, "engine", "spec")
		return int32(st), contract("pricing_quote", field, "corrupted result under concurrency", "%s (subtotal %d region %d tier %d coupon %q)", detail, c.subtotal, c.region, c.tier, c.coupon)
	}
	return int32(st), nil
}

func (c *quoteSharedCall) Release() error { return freeQuote(c.q) }

func (c *quoteSharedCall) setIn(b *engine.Batch, i, op int) error {
	if c.hasRule {
		b.SetQuote(i, op, *c.r, c.q, c.s, onlyBusy, onlyOK, c.want)
	} else {
		b.SetQuote(i, op, *c.r, c.q, c.s, noRuleOrBusy, nil, engine.Result{})
	}
	return nil
}

func (c *quoteSharedCall) flagged(b *engine.Batch, i int, st engine.Status) (int32, error) {
	return c.check(b.Quoted(i, st), st)
}

// Status sets of the batch's fast checks (engine.Batch), made once.
var (
	onlyOK         = []engine.Status{engine.OK}
	onlyBusy       = []engine.Status{engine.Busy}
	okOrBusy       = []engine.Status{engine.OK, engine.Busy}
	noRuleOrBusy   = []engine.Status{engine.NoRule, engine.Busy}
	badInputOrBusy = []engine.Status{engine.BadInput, engine.Busy}
)

// freeQuote frees a prepared quote; an engine that wrote into the (const) request or coupon
// the runs shared is a finding.
func freeQuote(q *engine.PreparedQuote) error {
	changed := q.Changed()
	q.Free()
	if changed {
		return contract("pricing_quote", "req", "const input modified", "the engine wrote into the request or its coupon")
	}
	return nil
}

// inputChanged is a finding when an engine wrote into a (const) input the runs shared.
func inputChanged(op string, in *engine.Input) error {
	if in.Changed() {
		return contract(op, "text", "const input modified", "the engine wrote into its input")
	}
	return nil
}

// quoteAdversarialCall sends adversarial quote arguments to a shared handle: invalid input
// must be refused (or the handle busy).
type quoteAdversarialCall struct {
	s        *engine.Scratch
	r        *engine.Rules
	a        engine.QuoteArgs
	q        *engine.PreparedQuote
	mustFail bool // QuoteInputStatus says SEAM_BAD_INPUT
}

func (w *Workload) quoteAdversarial(worker int, g *gen.Gen) (stress.Call, error) {
	s, err := w.scratchFor(worker)
	if err != nil {
		return nil, err
	}
	c := &quoteAdversarialCall{s: s, a: quoteArgs(g)}
	c.r = w.pickShared(g)
	c.mustFail = QuoteInputStatus(c.a, false) == engine.BadInput
	if c.q, err = w.e.PrepareQuote(c.a); err != nil {
		return nil, err
	}
	c.a.Req.Coupon.Data = clipBytes(c.a.Req.Coupon.Data) // only for the message; the MiB shape is shared
	return c, nil
}

func (c *quoteAdversarialCall) Run() (int32, error) {
	_, st := c.r.QuotePrepared(c.q, c.s)
	return c.check(st)
}

func (c *quoteAdversarialCall) check(st engine.Status) (int32, error) {
	if c.mustFail && st != engine.BadInput && st != engine.Busy {
		return int32(st), contract("pricing_quote", "status", "invalid input accepted", "%v for %s", st, describeArgs(c.a, false))
	}
	return int32(st), nil
}

func (c *quoteAdversarialCall) Release() error { return freeQuote(c.q) }

func (c *quoteAdversarialCall) setIn(b *engine.Batch, i, op int) error {
	pass := engine.AnyStatus
	if c.mustFail {
		pass = badInputOrBusy
	}
	b.SetQuote(i, op, *c.r, c.q, c.s, pass, nil, engine.Result{})
	return nil
}

func (c *quoteAdversarialCall) flagged(_ *engine.Batch, _ int, st engine.Status) (int32, error) {
	return c.check(st)
}

// clipBytes keeps what describeArgs prints of a coupon (it clips at 80 characters).
func clipBytes(b []byte) []byte {
	if len(b) > 81 {
		return b[:81:81]
	}
	return b
}

// describeSharedCall describes a region of a shared handle in one call, into an exact-size
// buffer of the reference description's length: on SEAM_OK the text must be that description,
// byte for byte (stricter than parsing it). The sizing call with a short buffer is the describe
// fuzz target's business.
type describeSharedCall struct {
	s      *engine.Scratch
	r      *engine.Rules
	region uint32
	want   []byte
	wantIn *engine.Input // want in native memory, for a batch's check
}

func (w *Workload) describeShared(worker int, g *gen.Gen) (stress.Call, error) {
	s, err := w.scratchFor(worker)
	if err != nil {
		return nil, err
	}
	c := &describeSharedCall{s: s, region: refRegions[g.Choose(len(refRegions))]}
	c.r = w.pickShared(g)
	c.want, c.wantIn = w.desc[c.region], w.descIn[c.region]
	return c, nil
}

func (c *describeSharedCall) Run() (int32, error) {
	return c.check(c.r.DescribeScratch(c.s, c.region, len(c.want)))
}

func (c *describeSharedCall) setIn(b *engine.Batch, i, op int) error {
	return b.SetDescribe(i, op, *c.r, c.s, c.region, c.wantIn)
}

func (c *describeSharedCall) flagged(b *engine.Batch, i int, st engine.Status) (int32, error) {
	text, needed := b.Described(i, st)
	return c.check(text, needed, st)
}

func (c *describeSharedCall) check(text []byte, needed int, st engine.Status) (int32, error) {
	if st == engine.OK && (needed != len(c.want) || !bytes.Equal(text, c.want)) {
		if _, err := ParseDescription(text); err != nil {
			return int32(st), contract("pricing_rules_describe", "text", "corrupted result under concurrency", "%v", err)
		}
		return int32(st), contract("pricing_rules_describe", "text", "corrupted result under concurrency",
			"region %d: needed %d, %q, want %q", c.region, needed, clip(string(text)), clip(string(c.want)))
	}
	return int32(st), nil
}

func (c *describeSharedCall) Release() error { return nil }

// exportSharedCall exports a shared handle: the bytes must be the reference rules.
type exportSharedCall struct {
	s    *engine.Scratch
	r    *engine.Rules
	want *engine.Input
}

func (w *Workload) exportShared(worker int, g *gen.Gen) (stress.Call, error) {
	s, err := w.scratchFor(worker)
	if err != nil {
		return nil, err
	}
	return &exportSharedCall{s: s, r: w.pickShared(g), want: w.refIn}, nil
}

func (c *exportSharedCall) Run() (int32, error) { return c.check(c.r.ExportEqual(c.s, c.want)) }

func (c *exportSharedCall) setIn(b *engine.Batch, i, op int) error {
	b.SetExport(i, op, *c.r, c.s, c.want)
	return nil
}

func (c *exportSharedCall) flagged(b *engine.Batch, i int, st engine.Status) (int32, error) {
	return c.check(b.Exported(i, st))
}

func (c *exportSharedCall) check(same bool, got []byte, st engine.Status) (int32, error) {
	if st == engine.OK && !same {
		return int32(st), contract("pricing_rules_export", "bytes", "corrupted result under concurrency", "%q", clip(string(got)))
	}
	return int32(st), nil
}

func (c *exportSharedCall) Release() error { return nil }

// loadPrivateCall loads generated rules into the worker's private handle.
type loadPrivateCall struct {
	r       *engine.Rules
	text    *engine.Input
	allowed []engine.Status
}

func (w *Workload) loadPrivate(worker int, g *gen.Gen) (stress.Call, error) {
	text := rulesText(g)
	in, err := w.e.NewInput(text)
	if err != nil {
		return nil, err
	}
	return &loadPrivateCall{r: w.private[worker%len(w.private)], text: in, allowed: loadAllowed(text)}, nil
}

func (c *loadPrivateCall) Run() (int32, error) { return c.check(c.r.LoadInput(c.text)) }

func (c *loadPrivateCall) setIn(b *engine.Batch, i, op int) error {
	b.SetLoad(i, op, *c.r, c.text, c.allowed)
	return nil
}

func (c *loadPrivateCall) flagged(_ *engine.Batch, _ int, st engine.Status) (int32, error) {
	return c.check(st)
}

func (c *loadPrivateCall) check(st engine.Status) (int32, error) {
	if err := expectOneOf("pricing_rules_load", st, c.allowed...); err != nil {
		return int32(st), err
	}
	return int32(st), nil
}

func (c *loadPrivateCall) Release() error {
	err := inputChanged("pricing_rules_load", c.text)
	c.text.Free()
	return err
}

// newLoadFreeCall is the alloc/free cycle: a bug that needs thousands of them shows here.
type newLoadFreeCall struct {
	w *Workload
	s *engine.Scratch
}

func (w *Workload) newLoadFree(worker int, _ *gen.Gen) (stress.Call, error) {
	s, err := w.scratchFor(worker)
	if err != nil {
		return nil, err
	}
	return &newLoadFreeCall{w: w, s: s}, nil
}

func (c *newLoadFreeCall) Run() (int32, error) {
	// One cgo call for the whole cycle (engine.NewLoadExportFree): the same native calls as
	// NewRules, Load, Export and Free, with the export compared in place.
	return c.check(c.w.e.NewLoadExportFree(c.s, c.w.refIn, c.w.refIn))
}

func (c *newLoadFreeCall) setIn(b *engine.Batch, i, op int) error {
	b.SetCycle(i, op, c.s, c.w.refIn, c.w.refIn)
	return nil
}

func (c *newLoadFreeCall) flagged(b *engine.Batch, i int, _ engine.Status) (int32, error) {
	return c.check(b.Cycled(i))
}

func (c *newLoadFreeCall) check(r engine.Cycle) (int32, error) {
	if r.New != engine.OK {
		return int32(engine.Internal), contract("pricing_rules_new", "status", "status not allowed", "returned %v", r.New)
	}
	if r.Export == engine.OK && r.Load == engine.OK && !r.Same {
		return int32(r.Export), contract("pricing_rules_export", "bytes", "export round trip differs", "%q", clip(string(r.Got)))
	}
	return int32(r.Load), nil
}

func (c *newLoadFreeCall) Release() error { return inputChanged("pricing_rules_load", c.w.refIn) }

// loadSharedCall reloads the same reference rules into a shared handle: exclusive, so
// SEAM_BUSY is the only other answer while readers are active.
type loadSharedCall struct {
	r    *engine.Rules
	text *engine.Input
}

func (w *Workload) loadShared(_ int, g *gen.Gen) (stress.Call, error) {
	return &loadSharedCall{r: w.pickShared(g), text: w.refIn}, nil
}

func (c *loadSharedCall) Run() (int32, error) { return c.check(c.r.LoadInput(c.text)) }

func (c *loadSharedCall) setIn(b *engine.Batch, i, op int) error {
	b.SetLoad(i, op, *c.r, c.text, okOrBusy)
	return nil
}

func (c *loadSharedCall) flagged(_ *engine.Batch, _ int, st engine.Status) (int32, error) {
	return c.check(st)
}

func (c *loadSharedCall) check(st engine.Status) (int32, error) {
	if st != engine.OK && st != engine.Busy {
		return int32(st), contract("pricing_rules_load", "status", "exclusive call neither done nor refused", "got %v", st)
	}
	return int32(st), nil
}

func (c *loadSharedCall) Release() error { return inputChanged("pricing_rules_load", c.text) }

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
