// Package loadgen derives stress operations from a contract: every function is an operation of
// a stress.Workload, with no Go written for the boundary.
//
//   - A function whose thread claim allows sharing (thread-safe, exclusive, any) runs on handles
//     the workers share; one the contract calls not thread-safe (none, per-thread) runs on a
//     handle private to the worker, recycled (freed and made again) every so many calls.
//   - Every handle type gets a cycle: made, filled, freed, on the worker's own thread.
//   - Free functions run only as their type's freed_by says (at the end of a cycle).
//   - Arguments are drawn by role as the fuzz targets draw them (derive.CallArgs), mostly
//     ordinary, one call in four with a broken precondition.
//
// The oracle (see oracle.go): a call on a shared handle must give what the same call gives alone
// on the same state, computed once per pooled input on the worker's own twin of the handle; an
// exclusive call under contention may only succeed or say busy, and a busy call must leave the
// state as it was.
package loadgen

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// Kind is what an operation does, and so what its oracle can know.
type Kind int

const (
	// Shared: a call on the shared handles, checked against the same call on the worker's twin.
	Shared Kind = iota
	// Exclusive: an exclusive fill of a shared handle with the arguments that filled it (so
	// the state stays what every twin holds): done or busy, and busy changes nothing.
	Exclusive
	// Private: a call on the worker's own handle, whose state moves with every call: checked
	// against the contract's statuses and output rules only.
	Private
	// Stateless: a function without handles, checked against its answer when prepared.
	Stateless
	// Cycle: make, fill and free a handle of one type; the answers must be those of the same
	// cycle when prepared.
	Cycle
)

var kindNames = [...]string{"shared", "exclusive", "private", "stateless", "cycle"}

func (k Kind) String() string { return kindNames[k] }

// OpSpec is one stress operation, derived from the contract alone (no engine needed): the
// parent of a stress run names in-flight calls with it.
type OpSpec struct {
	Name   string // the function, "FUNC/private" or "cycle/TYPE"
	Kind   Kind
	Func   *contract.Function // nil for a cycle
	Type   string             // the handle type of a cycle, or of the handles Func takes
	Weight int
}

// Default weights by kind: the calls on shared handles, where races live, most.
var defaultWeight = [...]int{Shared: 20, Exclusive: 3, Private: 8, Stateless: 2, Cycle: 8}

// sharable says a claim lets seam share one handle between threads.
func sharable(claim string) bool {
	return claim == contract.ThreadsSafe || claim == contract.ThreadsExclusive || claim == contract.ThreadsAny
}

// Plan lists b's stress operations in a stable order (the order of the contract), each with
// its weight: the contract's, else the default of its kind, then weights' override by name.
func Plan(b *boundary.Boundary, weights map[string]int) ([]OpSpec, error) {
	c := b.Contract
	frees, makers := map[string]bool{}, map[string]bool{}
	for _, t := range c.Types {
		if t.FreedBy.Func != "" {
			frees[t.FreedBy.Func] = true
		}
		if t.Kind == contract.KindHandle && t.AllocatedBy != "" {
			makers[t.AllocatedBy] = true
		}
	}
	var ops []OpSpec
	add := func(o OpSpec) {
		o.Weight = defaultWeight[o.Kind]
		if o.Func != nil && o.Func.Weight > 0 {
			o.Weight = o.Func.Weight
		}
		ops = append(ops, o)
	}
	for _, f := range c.Functions {
		if frees[f.Name] || makers[f.Name] {
			continue
		}
		typ := handleType(f)
		if typ == "" {
			add(OpSpec{Name: f.Name, Kind: Stateless, Func: f})
			continue
		}
		t := c.Type(typ)
		if t == nil || t.AllocatedBy == "" {
			return nil, fmt.Errorf("%s: %s takes a %s handle, which has no allocated_by function to make it", c.Path, f.Name, typ)
		}
		fill := slices.Contains(t.FilledBy, f.Name)
		switch {
		case !sharable(t.Threads) || !sharable(f.Threads):
			add(OpSpec{Name: f.Name, Kind: Private, Func: f, Type: typ})
		case f.Threads == contract.ThreadsExclusive && !fill:
			// Nothing says what such a call does to the state the other workers read.
			add(OpSpec{Name: f.Name, Kind: Private, Func: f, Type: typ})
		case f.Threads == contract.ThreadsExclusive:
			add(OpSpec{Name: f.Name, Kind: Exclusive, Func: f, Type: typ})
			add(OpSpec{Name: f.Name + "/private", Kind: Private, Func: f, Type: typ})
		default:
			add(OpSpec{Name: f.Name, Kind: Shared, Func: f, Type: typ})
		}
	}
	for _, t := range c.Types {
		if t.Kind == contract.KindHandle && t.AllocatedBy != "" && t.FreedBy.Func != "" {
			add(OpSpec{Name: "cycle/" + t.Name, Kind: Cycle, Type: t.Name})
		}
	}
	for name, w := range weights {
		i := slices.IndexFunc(ops, func(o OpSpec) bool { return o.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("-weights: no operation %q (operations: %s)", name, strings.Join(Names(ops), ", "))
		}
		ops[i].Weight = w
	}
	total := 0
	for _, o := range ops {
		total += o.Weight
	}
	if total == 0 {
		return nil, fmt.Errorf("%s: every stress operation has weight 0", c.Path)
	}
	return ops, nil
}

// handleType is the type of f's handle parameters ("" when it takes none). A function taking
// handles of two types gets the first's: the planner makes one handle of each, so only the
// sharing decision follows the first.
func handleType(f *contract.Function) string {
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			return p.Of
		}
	}
	return ""
}

// Names lists the operations' names in order.
func Names(ops []OpSpec) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.Name
	}
	return out
}

// ParseWeights reads "-weights fn=N,...".
func ParseWeights(s string) (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		n, err := strconv.Atoi(v)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("-weights: %q is not OPERATION=N with N >= 0", kv)
		}
		out[name] = n
	}
	return out, nil
}

// FormatWeights is ParseWeights' input form, sorted (for a child's environment).
func FormatWeights(w map[string]int) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, w[n])
	}
	return strings.Join(parts, ",")
}
