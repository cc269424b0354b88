package loadgen

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/stress"
)

// Options configure a workload.
type Options struct {
	Workers int
	// Weights override operations' weights by name (Plan).
	Weights map[string]int
}

// sharedHandles is how many handles of each sharable type the workers share: two, so a call
// on one runs while an exclusive call holds the other.
const sharedHandles = 2

// privateUses is how many calls a worker's private handle takes before it is freed and made
// again: its state grows with every call (a feed appends), which over a minute would read as
// memory growth of a correct engine.
const privateUses = 256

// Workload is the contract's stress operations on one engine (stress.Workload).
type Workload struct {
	b     *boundary.Boundary
	e     *boundary.Engine
	specs []OpSpec
	fills map[string]*fillPlan
	// shared holds each sharable handle type's shared handles, filled as its plan says.
	shared  map[string][]*boundary.Handle
	busy    string // the contract's busy status name ("" when it declares none)
	mu      sync.Mutex
	workers map[int]*worker
}

// fillPlan is how a handle of one type is made and filled: the ordinary constructor call, then
// each filled_by function once with ordinary arguments (a parameter's first example when it
// has one), keeping only the fills that succeed. Every shared handle and every twin is made by
// it, so they hold the same state.
type fillPlan struct {
	typ   string
	ctor  *contract.Function
	args  boundary.Args
	fills []fillCall
}

type fillCall struct {
	f    *contract.Function
	args boundary.Args
}

// worker is one worker's own handles: a twin of every shared handle (the serial side of the
// concurrency oracle) and a private handle per type.
type worker struct {
	twins   map[string][]*boundary.Handle
	private map[string]*privateHandle
}

type privateHandle struct {
	h    *boundary.Handle
	uses int
}

// New makes the workload: the fill plans, then the shared handles. The caller's goroutine
// should stay on one OS thread until Close (stress.RunLoops says why).
func New(b *boundary.Boundary, e *boundary.Engine, opts Options) (*Workload, error) {
	specs, err := Plan(b, opts.Weights)
	if err != nil {
		return nil, err
	}
	w := &Workload{b: b, e: e, specs: specs, fills: map[string]*fillPlan{}, shared: map[string][]*boundary.Handle{}, workers: map[int]*worker{}}
	if _, ok := b.StatusValue("busy"); ok {
		w.busy = "busy"
	}
	for _, t := range b.Contract.Types {
		if t.Kind != contract.KindHandle || t.AllocatedBy == "" {
			continue
		}
		p, err := w.plan(t)
		if err != nil {
			w.Close()
			return nil, err
		}
		w.fills[t.Name] = p
		if !sharable(t.Threads) {
			continue
		}
		for i := 0; i < sharedHandles; i++ {
			h, err := w.make(t.Name)
			if err != nil {
				w.Close()
				return nil, err
			}
			w.shared[t.Name] = append(w.shared[t.Name], h)
		}
	}
	return w, nil
}

// plan finds t's fill plan: which filled_by calls succeed on a freshly made handle.
func (w *Workload) plan(t *contract.Type) (*fillPlan, error) {
	c := w.b.Contract
	p := &fillPlan{typ: t.Name, ctor: c.Function(t.AllocatedBy)}
	if p.ctor == nil {
		return nil, fmt.Errorf("%s: %s's allocated_by %s is not a function of the contract", c.Path, t.Name, t.AllocatedBy)
	}
	p.args, _, _ = derive.CallArgs(w.b, p.ctor, gen.New(nil), true)
	h, res, err := w.e.New(t.Name, p.args)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("engine %s: %s with ordinary arguments made no %s: %s", w.e.Name, p.ctor.Name, t.Name, res)
	}
	defer w.e.Free(h)
	for _, name := range t.FilledBy {
		f := c.Function(name)
		if f == nil {
			continue
		}
		for _, args := range fillCandidates(w.b, f) {
			res, err := w.e.Call(f.Name, withHandles(f, args, func(string) *boundary.Handle { return h }))
			if err != nil {
				return nil, err
			}
			if f.Returns.Kind != contract.ReturnStatus || res.Status == "ok" {
				p.fills = append(p.fills, fillCall{f: f, args: args})
				break
			}
		}
	}
	return p, nil
}

// fillCandidates are the arguments a fill is tried with, best first: a parameter with examples
// gets them (a line-structured one all its example lines together first, then each alone),
// as valid content random bytes would almost never be; otherwise the ordinary arguments.
func fillCandidates(b *boundary.Boundary, f *contract.Function) []boundary.Args {
	base, _, _ := derive.CallArgs(b, f, gen.New(nil), true)
	out := []boundary.Args{base}
	for _, pr := range f.Params {
		if len(pr.Examples) == 0 {
			continue
		}
		var texts [][]byte
		if pr.Lines {
			texts = append(texts, append(bytes.Join(pr.Examples, []byte("\n")), '\n'))
		}
		texts = append(texts, pr.Examples...)
		out = out[:0]
		for _, t := range texts {
			args, _, _ := derive.CallArgs(b, f, gen.New(nil), true)
			args[pr.Name] = boundary.Text(string(t))
			out = append(out, args)
		}
		out = append(out, base)
		break // one parameter's examples: a fill with two example parameters tries the first
	}
	return out
}

// make makes a handle of typ by its fill plan.
func (w *Workload) make(typ string) (*boundary.Handle, error) {
	p := w.fills[typ]
	h, res, err := w.e.New(typ, p.args)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, &derive.Violation{Kind: derive.KindContract, Op: p.ctor.Name, Field: fieldStatus, Reason: ReasonNoHandle,
			Detail: fmt.Sprintf("the ordinary call that made %s before now gives %s", typ, res)}
	}
	for _, fc := range p.fills {
		res, err := w.e.Call(fc.f.Name, withHandles(fc.f, fc.args, func(string) *boundary.Handle { return h }))
		if err != nil {
			w.e.Free(h)
			return nil, err
		}
		if fc.f.Returns.Kind == contract.ReturnStatus && res.Status != "ok" {
			w.e.Free(h)
			return nil, &derive.Violation{Kind: derive.KindContract, Op: fc.f.Name, Field: fieldStatus, Reason: ReasonNoHandle,
				Detail: fmt.Sprintf("the fill that succeeded before now gives %s", res)}
		}
	}
	return h, nil
}

// fill is the plan's call of f (nil when f is no fill of the plan or did not succeed).
func (p *fillPlan) fill(f *contract.Function) *fillCall {
	for i := range p.fills {
		if p.fills[i].f == f {
			return &p.fills[i]
		}
	}
	return nil
}

// Specs are the operations, in Ops' order.
func (w *Workload) Specs() []OpSpec { return w.specs }

// Ops are the stress operations (stress.Workload). An exclusive operation whose function did
// not fill a fresh handle successfully has weight 0: it cannot run without changing the state
// the twins hold.
func (w *Workload) Ops() []stress.Op {
	out := make([]stress.Op, len(w.specs))
	for i, s := range w.specs {
		s := s
		weight := s.Weight
		if s.Kind == Exclusive && w.fills[s.Type].fill(s.Func) == nil {
			weight = 0
		}
		out[i] = stress.Op{Name: s.Name, Weight: weight, Prepare: func(wi int, g *gen.Gen) (stress.Call, error) { return w.prepare(s, wi, g) }}
	}
	return out
}

// worker returns worker wi's own handles (made on first use, on that worker's thread).
func (w *Workload) worker(wi int) (*worker, error) {
	w.mu.Lock()
	wk := w.workers[wi]
	w.mu.Unlock()
	if wk != nil {
		return wk, nil
	}
	wk = &worker{twins: map[string][]*boundary.Handle{}, private: map[string]*privateHandle{}}
	for typ, hs := range w.shared {
		for range hs {
			h, err := w.make(typ)
			if err != nil {
				w.freeWorker(wk)
				return nil, err
			}
			wk.twins[typ] = append(wk.twins[typ], h)
		}
	}
	w.mu.Lock()
	w.workers[wi] = wk
	w.mu.Unlock()
	return wk, nil
}

// privateOf is the worker's private handle of typ, made again every privateUses calls.
func (w *Workload) privateOf(wk *worker, typ string) (*boundary.Handle, error) {
	ph := wk.private[typ]
	if ph == nil {
		ph = &privateHandle{}
		wk.private[typ] = ph
	}
	if ph.h != nil && ph.uses >= privateUses {
		if err := w.e.Free(ph.h); err != nil {
			return nil, err
		}
		ph.h = nil
	}
	if ph.h == nil {
		h, err := w.make(typ)
		if err != nil {
			return nil, err
		}
		ph.h, ph.uses = h, 0
	}
	ph.uses++
	return ph.h, nil
}

func (w *Workload) freeWorker(wk *worker) {
	for _, hs := range wk.twins {
		for _, h := range hs {
			w.e.Free(h)
		}
	}
	for _, ph := range wk.private {
		w.e.Free(ph.h)
	}
}

// Close frees every handle (stress.Workload).
func (w *Workload) Close() {
	for _, wk := range w.workers {
		w.freeWorker(wk)
	}
	w.workers = map[int]*worker{}
	for _, hs := range w.shared {
		for _, h := range hs {
			w.e.Free(h)
		}
	}
	w.shared = map[string][]*boundary.Handle{}
}

// withHandles is args with f's handle parameters set to handleOf(type).
func withHandles(f *contract.Function, args boundary.Args, handleOf func(typ string) *boundary.Handle) boundary.Args {
	out := maps.Clone(args)
	if out == nil {
		out = boundary.Args{}
	}
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			out[p.Name] = boundary.Of(handleOf(p.Of))
		}
	}
	return out
}

// drawn draws one call's arguments from g: ordinary three times in four.
func (w *Workload) drawn(f *contract.Function, g *gen.Gen) (boundary.Args, string, int64) {
	ordinary := g.Choose(4) != 3
	args, probe, delta := derive.CallArgs(w.b, f, g, ordinary)
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			delete(args, p.Name) // a handle the workload gives; derive's NULL handles are fuzzing's
		}
	}
	return args, probe, delta
}

// sized resolves a capacity probe: the needed size the same call reports with capacity 0 (on
// the handles of args, or of on where it names a parameter), plus delta.
func (w *Workload) sized(f *contract.Function, args boundary.Args, probe string, delta int64, on map[string]*boundary.Handle) (boundary.Args, error) {
	if probe == "" {
		return args, nil
	}
	pa := maps.Clone(args)
	for name, h := range on {
		pa[name] = boundary.Of(h)
	}
	pa[probe] = boundary.Int(0)
	res, err := w.e.Call(f.Name, pa)
	if err != nil {
		return nil, err
	}
	args[probe] = boundary.Int(max(res.Out[f.Param(probe).Needed].Int+delta, 0))
	return args, nil
}

// status is what the loops count for a result: the status value of a status function, else 0.
func status(f *contract.Function, r boundary.Result) int32 {
	if f.Returns.Kind == contract.ReturnStatus {
		return int32(r.Ret)
	}
	return 0
}

// declared says f may return the named status.
func declared(f *contract.Function, st string) bool {
	return st != "" && slices.Contains(f.Statuses, st)
}
