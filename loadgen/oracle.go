package loadgen

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/stress"
)

// Reasons of the stress oracle; with the function they make a finding's signature.
const (
	// ReasonConcurrency: a call on shared state gave another answer than the same call alone
	// on the same state, which still gives the first answer.
	ReasonConcurrency = "corrupted result under concurrency"
	// ReasonChanged: the same call on the same state gives another answer than when it was
	// prepared, alone too: history (a counter, a pool running out), not threads.
	ReasonChanged = "answer changed without concurrency"
	// ReasonExclusive: an exclusive call under contention neither did its work nor said busy.
	ReasonExclusive = "exclusive call neither done nor refused"
	// ReasonBusyChanged: an exclusive call said busy and yet the state changed.
	ReasonBusyChanged = "busy call changed the state"
	// ReasonNoHandle: the ordinary calls that made and filled a handle stopped working.
	ReasonNoHandle = "handle no longer made"
	fieldStatus    = "status"
)

// prepare makes one call of spec for worker wi from g.
func (w *Workload) prepare(s OpSpec, wi int, g *gen.Gen) (stress.Call, error) {
	wk, err := w.worker(wi)
	if err != nil {
		return nil, err
	}
	switch s.Kind {
	case Shared:
		return w.prepareShared(s.Func, wk, g)
	case Exclusive:
		return w.prepareExclusive(s, wk, g)
	case Private:
		args, probe, delta := w.drawn(s.Func, g)
		return &privateCall{w: w, wk: wk, f: s.Func, typ: s.Type, args: args, probe: probe, delta: delta}, nil
	case Stateless:
		args, probe, delta := w.drawn(s.Func, g)
		args, err := w.sized(s.Func, args, probe, delta, nil)
		if err != nil {
			return nil, err
		}
		return w.prepareAnswered(s.Func, args, nil)
	case Cycle:
		return w.prepareCycle(s.Type, g)
	}
	return nil, fmt.Errorf("operation %s of unknown kind", s.Name)
}

// answer is what the oracle compares of a result: the return value and every output but a
// made handle's address and what the contract calls engine-specific.
func answer(f *contract.Function, r boundary.Result) string {
	var b strings.Builder
	if !f.Returns.EngineSpecific {
		fmt.Fprintf(&b, "%s %d %q", r.Status, r.Ret, r.Str)
	}
	for _, p := range f.Params {
		v, ok := r.Out[p.Name]
		if !ok || p.EngineSpecific || p.Role == contract.RoleHandleOut {
			continue
		}
		fmt.Fprintf(&b, " %s=%s", p.Name, v)
	}
	return b.String()
}

// breaches are the contract rules every call is held to, whatever its state: nothing written
// past an output or into an input, only declared statuses. (The other rules need a call's
// exact preconditions: the fuzz targets' business.)
func breaches(f *contract.Function, r boundary.Result) error {
	switch {
	case len(r.Overruns) > 0:
		field, _, _ := strings.Cut(r.Overruns[0], ":")
		return violation(f.Name, field, derive.ReasonOverrun, "%s", r.Overruns[0])
	case len(r.Changed) > 0:
		return violation(f.Name, r.Changed[0], derive.ReasonInputWritten, "the engine wrote into a borrowed input")
	case f.Returns.Kind == contract.ReturnStatus && !declared(f, r.Status):
		return violation(f.Name, fieldStatus, derive.ReasonUndeclared, "got %s, declared %s", r.Status, strings.Join(f.Statuses, ", "))
	}
	return nil
}

func violation(op, field, reason, format string, args ...any) error {
	return &derive.Violation{Kind: derive.KindContract, Op: op, Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// differs is the finding for a call whose answer got differs from want, the serial answer,
// given what the same call gives alone now (again): concurrency only when that is want.
func differs(f *contract.Function, got, want, again string, shared bool) error {
	reason := ReasonChanged
	if again == want && shared {
		reason = ReasonConcurrency
	}
	return violation(f.Name, firstDiff(got, want), reason, "got %s, alone %s", clip(got), clip(want))
}

// firstDiff names the first output (or the status) in which two answers differ.
func firstDiff(a, b string) string {
	fa, fb := strings.Fields(a), strings.Fields(b)
	for i := 0; i < len(fa) && i < len(fb); i++ {
		if fa[i] != fb[i] {
			if name, _, ok := strings.Cut(fa[i], "="); ok {
				return name
			}
			return fieldStatus
		}
	}
	return fieldStatus
}

func clip(s string) string {
	if len(s) > 160 {
		return fmt.Sprintf("%s...(%d bytes)", s[:140], len(s))
	}
	return s
}

// sharedCall is a call on shared state with its serial answer: a call on a shared handle,
// answered by the same call on the worker's twin of it; or a call of a function without
// handles, answered by its first run.
type sharedCall struct {
	w    *Workload
	f    *contract.Function
	call *boundary.Prepared
	// twins are the worker's twins of the call's handles, by parameter: the same call on them
	// is the serial call (nil without handles: calling again is).
	twins map[string]*boundary.Handle
	// serial is the serial call's result; want its answer, made when first needed (most
	// calls pass in C and never need it).
	serial boundary.Result
	want   string
	form   *nativeForm // nil: not comparable by bytes (a per-thread answer, a callee allocation)
}

// wanted is the serial answer.
func (c *sharedCall) wanted() string {
	if c.want == "" {
		c.want = answer(c.f, c.serial)
	}
	return c.want
}

// serialCall makes the serial call.
func (c *sharedCall) serialCall() (boundary.Result, error) {
	if c.twins == nil {
		return c.call.Call(), nil
	}
	return c.call.CallOn(c.twins)
}

func (w *Workload) prepareShared(f *contract.Function, wk *worker, g *gen.Gen) (*sharedCall, error) {
	i := g.Choose(sharedHandles)
	args, probe, delta := w.drawn(f, g)
	twins := handlesOf(f, func(typ string) *boundary.Handle { return wk.twins[typ][i] })
	args, err := w.sized(f, args, probe, delta, twins)
	if err != nil {
		return nil, err
	}
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			args[p.Name] = boundary.Of(w.shared[p.Of][i])
		}
	}
	return w.prepareAnswered(f, args, twins)
}

// handlesOf is f's handle parameters, each set to handleOf(its type); nil without any.
func handlesOf(f *contract.Function, handleOf func(typ string) *boundary.Handle) map[string]*boundary.Handle {
	var out map[string]*boundary.Handle
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			if out == nil {
				out = map[string]*boundary.Handle{}
			}
			out[p.Name] = handleOf(p.Of)
		}
	}
	return out
}

// prepareAnswered prepares the call with args and learns its serial answer from the same call
// on twins (by parameter; nil: the call itself).
func (w *Workload) prepareAnswered(f *contract.Function, args boundary.Args, twins map[string]*boundary.Handle) (*sharedCall, error) {
	c := &sharedCall{w: w, f: f, twins: twins}
	var err error
	if c.call, err = w.e.Prepare(f.Name, args); err != nil {
		return nil, err
	}
	res, err := c.settled()
	if err != nil {
		c.call.Free()
		return nil, err
	}
	c.serial = res
	// A serial call that broke a rule (an overrun, a write into an input) would make its
	// broken bytes the answer C compares with: Go runs it, and judge reports it.
	if f.Threads == contract.ThreadsPerThread || !c.call.Native() || breaches(f, res) != nil {
		return c, nil
	}
	// C makes the call thousands of times: from packed memory, and the answer C compares with
	// is the packed copy's own bytes, once it agrees with the guard-page copy's.
	packed, err := w.e.Repack(c.call)
	if err != nil {
		c.call.Free()
		return nil, err
	}
	c.call = packed
	if res, err = c.serialCall(); err != nil {
		c.call.Free()
		return nil, err
	}
	if breaches(f, res) != nil || answer(f, res) != c.wanted() {
		return c, nil
	}
	c.form = &nativeForm{call: c.call, wantRet: uint64(res.Ret), countsStatus: f.Returns.Kind == contract.ReturnStatus}
	for _, r := range c.call.Regions() {
		c.form.want = append(c.form.want, append([]byte(nil), r.Span...))
	}
	if v, ok := w.b.StatusValue(w.busy); ok && declared(f, w.busy) {
		c.form.pass = &[]uint64{uint64(v)}[0]
	}
	return c, nil
}

// serialTries bounds the serial calls of settled and serialAnswer: a bug in state every handle
// shares (a static) corrupts the serial side's calls too, though far less often than not.
const serialTries = 4

// settled is the serial call's result once two calls in a row answer the same: a corrupted
// serial answer would make every right answer of the call under load read as one that changed
// without concurrency.
func (c *sharedCall) settled() (boundary.Result, error) {
	res, err := c.serialCall()
	for i := 1; err == nil && i < serialTries; i++ {
		var next boundary.Result
		if next, err = c.serialCall(); err == nil && answer(c.f, next) == answer(c.f, res) {
			return next, nil
		}
		res = next
	}
	return res, err
}

// serialAnswer is the serial call's answer now: the wanted one if one of a few calls gives it
// (a corrupted call is not the state having changed).
func (c *sharedCall) serialAnswer() (string, error) {
	var got string
	for i := 0; i < serialTries && got != c.wanted(); i++ {
		res, err := c.serialCall()
		if err != nil {
			return "", err
		}
		got = answer(c.f, res)
	}
	return got, nil
}

func (c *sharedCall) Run() (int32, error) { return c.judge(c.call.Call()) }

func (c *sharedCall) native() *nativeForm { return c.form }

func (c *sharedCall) flagged(raw uint64) (int32, error) { return c.judge(c.call.Collect(raw)) }

// judge checks one result of the call against the contract and the serial answer.
func (c *sharedCall) judge(res boundary.Result) (int32, error) {
	if err := breaches(c.f, res); err != nil {
		return status(c.f, res), err
	}
	if c.f.Threads == contract.ThreadsPerThread {
		return status(c.f, res), nil // its answer is this thread's history
	}
	if res.Status == c.w.busy && declared(c.f, c.w.busy) {
		return status(c.f, res), nil // an exclusive call holds the handle
	}
	if got := answer(c.f, res); got != c.wanted() {
		again, err := c.serialAnswer()
		if err != nil {
			return status(c.f, res), err
		}
		return status(c.f, res), differs(c.f, got, c.wanted(), again, true)
	}
	return status(c.f, res), nil
}

func (c *sharedCall) Release() error {
	changed := c.call.Changed()
	c.call.Free()
	if len(changed) > 0 {
		return violation(c.f.Name, changed[0], derive.ReasonInputWritten, "the engine wrote into a borrowed input the calls shared")
	}
	return nil
}

// exclusiveCall refills a shared handle with the arguments that filled it: done (the state
// is what it was) or busy. After busy, a read-only call on the handle must still give its
// serial answer.
type exclusiveCall struct {
	*sharedCall
	read *sharedCall // nil when the type has no read-only function
}

func (w *Workload) prepareExclusive(s OpSpec, wk *worker, g *gen.Gen) (*exclusiveCall, error) {
	i := g.Choose(sharedHandles)
	fc := w.fills[s.Type].fill(s.Func)
	if fc == nil {
		return nil, fmt.Errorf("%s is not a fill of %s that succeeds", s.Func.Name, s.Type)
	}
	sc, err := w.prepareAnswered(s.Func,
		withHandles(s.Func, fc.args, func(typ string) *boundary.Handle { return w.shared[typ][i] }),
		handlesOf(s.Func, func(typ string) *boundary.Handle { return wk.twins[typ][i] }))
	if err != nil {
		return nil, err
	}
	if sc.form != nil {
		sc.form.pass = nil // busy is Go's to judge: the state must not have changed
	}
	c := &exclusiveCall{sharedCall: sc}
	for _, o := range w.specs {
		if o.Kind == Shared && o.Type == s.Type {
			// Ordinary arguments on the same handle index: the bytes run out after choosing it.
			read, err := w.prepareShared(o.Func, wk, gen.New([]byte{byte(i)}))
			if err != nil {
				sc.Release()
				return nil, err
			}
			c.read = read
			break
		}
	}
	return c, nil
}

func (c *exclusiveCall) Run() (int32, error) { return c.judge(c.call.Call()) }

func (c *exclusiveCall) flagged(raw uint64) (int32, error) { return c.judge(c.call.Collect(raw)) }

func (c *exclusiveCall) judge(res boundary.Result) (int32, error) {
	if err := breaches(c.f, res); err != nil {
		return status(c.f, res), err
	}
	st := status(c.f, res)
	if res.Status == c.w.busy && declared(c.f, c.w.busy) {
		if c.read == nil {
			return st, nil
		}
		// The state changed only if the read keeps answering wrong: one wrong read can be the
		// read's own race, which its shared operation finds.
		var v *derive.Violation
		for i := 0; i < serialTries; i++ {
			_, err := c.read.Run()
			if err == nil {
				return st, nil
			}
			if !errors.As(err, &v) || v.Reason != ReasonConcurrency {
				return st, err
			}
		}
		return st, violation(c.f.Name, fieldStatus, ReasonBusyChanged, "after it returned %s, %s: %s", res.Status, c.read.f.Name, v.Detail)
	}
	if got := answer(c.f, res); got != c.wanted() {
		return st, violation(c.f.Name, fieldStatus, ReasonExclusive, "got %s under contention, alone %s", clip(got), clip(c.wanted()))
	}
	return st, nil
}

func (c *exclusiveCall) Release() error {
	err := c.sharedCall.Release()
	if c.read != nil {
		if rerr := c.read.Release(); err == nil {
			err = rerr
		}
	}
	return err
}

// privateCall is a call on the worker's own handle.
type privateCall struct {
	w     *Workload
	wk    *worker
	f     *contract.Function
	typ   string
	args  boundary.Args
	probe string
	delta int64
}

func (c *privateCall) Run() (int32, error) {
	h, err := c.w.privateOf(c.wk, c.typ)
	if err != nil {
		return 0, err
	}
	args, err := c.w.sized(c.f, withHandles(c.f, c.args, func(string) *boundary.Handle { return h }), c.probe, c.delta, nil)
	if err != nil {
		return 0, err
	}
	res, err := c.w.e.Call(c.f.Name, args)
	if err != nil {
		return 0, err
	}
	return status(c.f, res), breaches(c.f, res)
}

func (c *privateCall) Release() error { return nil }

// maxCycleFills bounds the fills of one cycle.
const maxCycleFills = 4

// cycleCall makes a handle, fills it, frees it; every answer must be the one the same cycle
// gave when prepared.
type cycleCall struct {
	w     *Workload
	typ   string
	ctor  *contract.Function
	args  boundary.Args
	fills []fillCall
	want  []string
}

func (w *Workload) prepareCycle(typ string, g *gen.Gen) (*cycleCall, error) {
	p := w.fills[typ]
	c := &cycleCall{w: w, typ: typ, ctor: p.ctor}
	c.args, _, _ = w.drawn(p.ctor, g)
	t := w.b.Contract.Type(typ)
	if len(t.FilledBy) > 0 {
		for n := g.Choose(maxCycleFills + 1); n > 0; n-- {
			f := w.b.Contract.Function(t.FilledBy[g.Choose(len(t.FilledBy))])
			args, _, _ := w.drawn(f, g)
			c.fills = append(c.fills, fillCall{f: f, args: args})
		}
	}
	want, _, err := c.cycle()
	c.want = want
	return c, err
}

// cycle runs the cycle and returns its answers, and the status to count (the constructor's).
func (c *cycleCall) cycle() ([]string, int32, error) {
	h, res, err := c.w.e.New(c.typ, c.args)
	if err != nil {
		return nil, 0, err
	}
	if err := breaches(c.ctor, res); err != nil {
		c.w.e.Free(h)
		return nil, status(c.ctor, res), err
	}
	answers := []string{answer(c.ctor, res)}
	if h == nil {
		return answers, status(c.ctor, res), nil
	}
	for _, fc := range c.fills {
		r, err := c.w.e.Call(fc.f.Name, withHandles(fc.f, fc.args, func(string) *boundary.Handle { return h }))
		if err == nil {
			err = breaches(fc.f, r)
		}
		if err != nil {
			c.w.e.Free(h)
			return nil, status(c.ctor, res), err
		}
		answers = append(answers, answer(fc.f, r))
	}
	return answers, status(c.ctor, res), c.w.e.Free(h)
}

func (c *cycleCall) Run() (int32, error) {
	got, st, err := c.cycle()
	if err != nil {
		return st, err
	}
	for i := range got {
		if i < len(c.want) && got[i] != c.want[i] {
			f := c.ctor
			if i > 0 {
				f = c.fills[i-1].f
			}
			return st, differs(f, got[i], c.want[i], "", false)
		}
	}
	return st, nil
}

func (c *cycleCall) Release() error { return nil }
