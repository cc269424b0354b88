// Package derive turns a boundary's contract into fuzz targets and oracles, with no Go written
// for the boundary: one target per function (its handles made by their allocated_by function
// and filled by a few filled_by calls), one lifecycle target per handle type (made, a sequence
// of calls, freed), arguments shaped by each parameter's role, and oracles read from the
// contract (the status each broken precondition must give, declared statuses only, outputs
// left as on_error says, nothing written past an output or into an input, needed always set
// and stable, the last error set on failure), the contract's properties (round_trip,
// idempotent), the boundary's own Spec model where it has one (see Spec for how a team adds
// it), plus the differential across engines. Target.Trace turns an input into the call trace
// it makes, which package trace replays and writes as a C program.
//
// A Target turns fuzz bytes into one program, decoded once, and runs it on every engine, each
// with its own handles; it never generates what the contract says the caller guarantees (a
// handle of another engine or a freed one, a string without its NUL, a length the engine
// cannot check).
package derive

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// LifecyclePrefix starts the name of a lifecycle target: "lifecycle_" and the handle type.
const LifecyclePrefix = "lifecycle_"

// Target is one fuzz target derived from the contract.
type Target struct {
	// Name is the function's name, or LifecyclePrefix and the handle type's.
	Name string
	// Func is the function under test ("" for a lifecycle target).
	Func string
	// Handle is the handle type of a lifecycle target ("" otherwise).
	Handle string
	b      *boundary.Boundary
	spec   Spec // the boundary's model (nil: it has none)
}

// maxFills and maxOps bound the calls a program makes: enough to carry state across calls,
// few enough to keep a fuzz input in the milliseconds.
const (
	maxFills = 7
	maxOps   = 16
)

// Plan derives every target of b: one per function that is not a free function (a function
// named in some type's freed_by is only called through it), then one lifecycle target per
// handle type.
func Plan(b *boundary.Boundary) ([]Target, error) {
	spec, err := specFor(b.Contract)
	if err != nil {
		return nil, err
	}
	return plan(b, spec)
}

// plan derives b's targets with spec as their model (nil: none).
func plan(b *boundary.Boundary, spec Spec) ([]Target, error) {
	c := b.Contract
	frees := map[string]bool{}
	for _, t := range c.Types {
		if t.FreedBy.Func != "" {
			frees[t.FreedBy.Func] = true
		}
	}
	var out []Target
	for _, f := range c.Functions {
		if frees[f.Name] {
			continue
		}
		if b.Func(f.Name) == nil {
			return nil, fmt.Errorf("%s: %s is not bound", c.Path, f.Name)
		}
		for _, p := range f.Params {
			if p.Role == contract.RoleHandle && allocator(c, p.Of) == nil {
				return nil, fmt.Errorf("%s: %s.%s: handle type %s has no allocated_by function to make it", c.Path, f.Name, p.Name, p.Of)
			}
		}
		out = append(out, Target{Name: f.Name, Func: f.Name, b: b, spec: spec})
	}
	for _, t := range c.Types {
		if t.Kind != contract.KindHandle {
			continue
		}
		if allocator(c, t.Name) == nil {
			return nil, fmt.Errorf("%s: handle type %s has no allocated_by function", c.Path, t.Name)
		}
		out = append(out, Target{Name: LifecyclePrefix + t.Name, Handle: t.Name, b: b, spec: spec})
	}
	return out, nil
}

// Lookup finds the target called name.
func Lookup(b *boundary.Boundary, name string) (Target, error) {
	ts, err := Plan(b)
	if err != nil {
		return Target{}, err
	}
	return find(b, ts, name)
}

func find(b *boundary.Boundary, ts []Target, name string) (Target, error) {
	var names []string
	for _, t := range ts {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Target{}, fmt.Errorf("no target %q in %s (targets: %s)", name, b.Contract.Path, strings.Join(names, ", "))
}

// allocator is the function that makes a handle type (its handle_out parameter names it).
func allocator(c *contract.Contract, typ string) *contract.Function {
	t := c.Type(typ)
	if t == nil || t.AllocatedBy == "" {
		return nil
	}
	f := c.Function(t.AllocatedBy)
	if f == nil || handleOut(f) == nil {
		return nil
	}
	return f
}

// handleOut is f's handle_out parameter, or nil.
func handleOut(f *contract.Function) *contract.Param {
	for _, p := range f.Params {
		if p.Role == contract.RoleHandleOut {
			return p
		}
	}
	return nil
}

// step is one call of a program. Handle arguments are slots, so the same program runs on
// every engine with that engine's handles.
type step struct {
	fn   *contract.Function
	args boundary.Args
	// handles maps a handle parameter to the slot of the handle it gets (nil: none).
	handles map[string]int
	// makes is the slot a handle_out result fills (-1: none; a handle made anyway is freed at
	// the end).
	makes int
	// probe names the out_buffer whose capacity is needed+delta, needed from a first call
	// with capacity 0 on the same engine.
	probe string
	delta int64
	// twice repeats the call: an always_set out_size must be the same for the same input, an
	// idempotent function must give what it gave.
	twice bool
}

// program is what one fuzz input decodes to.
type program struct {
	steps []step
	slots int
}

// String lists the program's calls, for a finding's detail and for tests.
func (p program) String() string {
	var parts []string
	for _, s := range p.steps {
		var as []string
		for _, n := range sortedKeys(s.args) {
			as = append(as, n+"="+clip(s.args[n].String()))
		}
		for _, n := range sortedKeys(s.handles) {
			as = append(as, fmt.Sprintf("%s=#%d", n, s.handles[n]))
		}
		if s.probe != "" {
			as = append(as, fmt.Sprintf("%s=needed%+d", s.probe, s.delta))
		}
		parts = append(parts, s.fn.Name+"("+strings.Join(as, " ")+")")
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// clip shortens a value for a message (1 MiB arguments are common).
func clip(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%s...(%d bytes)", s[:60], len(s))
	}
	return s
}

// Decode turns fuzz bytes into the target's program, as text (for tests and reproducers).
func (t Target) Decode(data []byte) string { return t.decode(data).String() }

// Run runs data through the target on every engine, the first the reference: each engine
// alone against the contract, then every other engine against the first. The error is the
// first violation, prefixed with the engine as the campaign's parser expects ("engine=NAME: ").
// Engines must come from Open on t's boundary.
func (t Target) Run(engines []*boundary.Engine, data []byte) error {
	// The last error is per thread: a failing call and the look at its last error must run
	// on one OS thread, which a goroutine does not stay on by itself.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	prog := t.decode(data)
	runs := make([][]record, len(engines))
	for i, e := range engines {
		recs, err := t.exec(e, prog, i == len(engines)-1)
		if err != nil {
			return fmt.Errorf("engine=%s: %w", e.Name, err)
		}
		runs[i] = recs
	}
	for i := 1; i < len(engines); i++ {
		if v := t.differ(runs[0], runs[i], engines[0].Name, engines[i].Name); v != nil {
			return fmt.Errorf("engines %s/%s: %w", engines[0].Name, engines[i].Name, v)
		}
	}
	return nil
}

// record is one call an engine made, with the arguments it got and what came back.
type record struct {
	step  int
	fn    *contract.Function
	args  boundary.Args
	res   boundary.Result
	bad   []broken
	probe bool // the capacity-0 call that learns needed
}

// exec runs prog on e, checking every call against the contract. Every handle it made is
// freed once, at the end, whatever happened. last says no engine runs prog after e: its steps'
// arguments then take e's handles in place instead of in a copy.
func (t Target) exec(e *boundary.Engine, prog program, last bool) (recs []record, err error) {
	slots := make([]*boundary.Handle, prog.slots)
	var made []*boundary.Handle
	// Most steps make one call (two with a probe or a repeat, a round trip three more).
	recs = make([]record, 0, 2*len(prog.steps))
	calls := make([]Call, 0, cap(recs)) // the records as the spec saw them
	defer func() {
		for _, h := range made {
			if ferr := e.Free(h); ferr != nil && err == nil {
				err = ferr
			}
		}
	}()
	call := func(i int, s step, args boundary.Args, probe bool) (boundary.Result, error) {
		res, err := e.Call(s.fn.Name, args)
		if err != nil {
			return res, err
		}
		for _, v := range res.Out {
			if v.Handle != nil {
				made = append(made, v.Handle)
			}
		}
		r := record{step: i, fn: s.fn, args: args, res: res, bad: t.broken(s.fn, args, res), probe: probe}
		recs = append(recs, r)
		if err := t.check(e, r); err != nil {
			return res, err
		}
		return res, t.checkSpec(recs, &calls)
	}
	for i, s := range prog.steps {
		args := s.args
		if !last && len(s.handles)+len(s.probe) > 0 {
			args = maps.Clone(s.args)
		}
		ready := true
		for p, slot := range s.handles {
			if slots[slot] == nil {
				ready = false // its constructor failed on this engine: the differential says so
			}
			args[p] = boundary.Of(slots[slot])
		}
		if !ready {
			break
		}
		if s.probe != "" {
			pa := boundary.Args{}
			for k, v := range args {
				pa[k] = v
			}
			pa[s.probe] = boundary.Int(0)
			res, err := call(i, s, pa, true)
			if err != nil {
				return recs, err
			}
			needed := res.Out[s.fn.Param(s.probe).Needed].Int
			args[s.probe] = boundary.Int(max(needed+s.delta, 0))
		}
		res, err := call(i, s, args, false)
		if err != nil {
			return recs, err
		}
		if s.makes >= 0 {
			if p := handleOut(s.fn); p != nil {
				slots[s.makes] = res.Out[p.Name].Handle
			}
		}
		for _, prop := range t.b.Contract.Properties {
			if err := t.roundTrip(prop, i, s, args, res, call); err != nil {
				return recs, err
			}
		}
		if s.twice {
			again, err := call(i, s, args, false)
			if err != nil {
				return recs, err
			}
			if v := stable(s.fn, res, again); v != nil {
				return recs, v
			}
			if v := sameAgain(t.b.Contract, s.fn, res, again); v != nil {
				return recs, v
			}
		}
	}
	return recs, nil
}

// Open opens engines of b by spec in a build variant (see contract.Library: an engine the
// contract names, mutant:NAME, NAME=PATTERN or a path); no specs means every engine the
// contract names, the reference first. A mutant is named without its "mutant:" prefix, so a
// finding's "engine=NAME: " stays parseable.
func Open(b *boundary.Boundary, specs []string, variant string) ([]*boundary.Engine, error) {
	if len(specs) == 0 {
		specs = b.Contract.EngineNames()
	}
	var out []*boundary.Engine
	for _, spec := range specs {
		path, err := b.Contract.Library(spec, variant)
		if err == nil {
			var e *boundary.Engine
			name, _, _ := strings.Cut(strings.TrimPrefix(spec, "mutant:"), "=")
			if e, err = b.Open(name, path); err == nil {
				out = append(out, e)
				continue
			}
		}
		for _, e := range out {
			e.Close()
		}
		return nil, err
	}
	return out, nil
}
