// Package claims proves a contract's thread claims. Every function and every handle type of
// the contract is one row; its claim decides the check, and each check runs in its own child
// process on the engine's TSan build, so a data race stops the child whose calls were
// running:
//
//   - any, or thread-safe without a handle: the same calls from many threads at once give the
//     answers they gave alone (handles of a type that is not thread-safe are private to a
//     thread);
//   - thread-safe on a handle: one handle, made by allocated_by and filled by filled_by, shared
//     by many threads; every answer is the one computed serially first on the same state;
//   - exclusive: while other threads use the handle, the call returns its serial answer or the
//     contract's busy status, a call that returned busy changed nothing (a read-only
//     function's answer afterwards is the one of the state before), and busy is seen at all; a
//     void function (a free) says busy through the last error;
//   - per-thread: the contract's last_error: each thread reads back its own failure's message,
//     never another thread's;
//   - none: never shared, so not checked here.
//
// A ThreadSanitizer report is put on the function whose claim it breaks, read from the contract
// functions at the top of the racing accesses' stacks: it is the row's whose child found it
// when it names that row's functions (or the row checks per-thread state, its calls sharing
// nothing else); otherwise it goes to the rows of the functions it names, the exclusive ones
// when one of them is exclusive (it should have refused), and the row whose child stopped
// says so and is SKIPPED, never VIOLATED for another function's race.
//
// The free check relies on the engine call being long beside seam's side of it (TSan's
// instrumentation makes it so); in other variants it is skipped.
package claims

import (
	"fmt"
	"slices"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/finding"
)

// Verdicts of a row.
const (
	Proven    = "PROVEN"
	Violated  = "VIOLATED"
	NotShared = "NOT SHARED"
	Skipped   = "SKIPPED"
)

// What a check does, by claim.
const (
	checkParallel  = "parallel calls"
	checkShared    = "shared handle"
	checkExclusive = "busy under contention"
	checkPerThread = "per-thread last error"
	checkType      = "every function at once"
)

// Check is what seam runs for one row.
type Check struct {
	Subject string // a function, or a handle type
	IsType  bool
	Claim   string
	What    string // how the claim is checked ("" when it is not run)
	// Why says why a check does not run (not shared, or nothing seam can observe).
	Why string
	// Blames are the functions a race must name to be this row's: the function itself, or a
	// handle type's functions that share its claim.
	Blames []string
}

// Runs reports whether the check runs a child.
func (c Check) Runs() bool { return c.What != "" }

// Row is one verdict: a check on one engine.
type Row struct {
	Check
	Engine  string
	Verdict string
	// Kind and Evidence say how the claim broke (VIOLATED); Note what ran (PROVEN) or why it
	// did not.
	Kind, Evidence, Note string
	Reproduce            string
	Finding              *finding.Finding
}

// NotSharedWhy is the note of a row whose claim is none.
const NotSharedWhy = "not shared: the contract says not thread-safe"

// Plan lists the checks of c: its functions in contract order, then its handle types.
func Plan(c *contract.Contract) []Check {
	var out []Check
	for _, f := range c.Functions {
		out = append(out, planFunc(c, f))
	}
	for _, t := range c.Types {
		if t.Kind != contract.KindHandle {
			continue
		}
		ch := Check{Subject: t.Name, IsType: true, Claim: t.Threads}
		for _, f := range c.Functions {
			if f.Threads == t.Threads && slices.Contains(handleTypes(f), t.Name) {
				ch.Blames = append(ch.Blames, f.Name)
			}
		}
		switch {
		case t.Threads == contract.ThreadsNone:
			ch.Why = NotSharedWhy
		case len(readers(c, t.Name)) == 0:
			ch.Why = "no read-only function takes it: nothing to share it between"
		default:
			ch.What = checkType
		}
		out = append(out, ch)
	}
	return out
}

func planFunc(c *contract.Contract, f *contract.Function) Check {
	ch := Check{Subject: f.Name, Claim: f.Threads, Blames: []string{f.Name}}
	types := handleTypes(f)
	shared := false
	for _, t := range types {
		if tt := c.Type(t); tt != nil && tt.Threads != contract.ThreadsNone {
			shared = true
		}
	}
	if owner := freedType(c, f.Name); owner != nil && f.Threads != contract.ThreadsNone {
		switch {
		case owner.Kind != contract.KindHandle:
			// Called only through freed_by: the check calls what allocates the value, which
			// frees each result with it.
			ch.What = checkParallel
			return ch
		case f.Threads != contract.ThreadsExclusive:
			ch.Why = fmt.Sprintf("frees %s: freeing a handle other threads use is only defined for an exclusive claim", owner.Name)
			return ch
		}
	}
	switch f.Threads {
	case contract.ThreadsNone:
		ch.Why = NotSharedWhy
	case contract.ThreadsPerThread:
		if f.Name != c.LastError {
			ch.Why = "the per-thread state seam can observe is the contract's last_error; this is not it"
		} else {
			ch.What = checkPerThread
		}
	case contract.ThreadsExclusive:
		switch {
		case len(types) == 0:
			ch.Why = "exclusive without a handle: there is nothing to contend for"
		case f.Returns.Kind == contract.ReturnVoid && c.LastError == "":
			ch.Why = "void and the contract has no last_error: a refusal (busy) cannot be observed"
		default:
			ch.What = checkExclusive
		}
	default: // any, thread-safe
		if shared {
			ch.What = checkShared
		} else {
			ch.What = checkParallel
		}
	}
	return ch
}

// handleTypes are the handle types f takes.
func handleTypes(f *contract.Function) []string {
	var out []string
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle && !slices.Contains(out, p.Of) {
			out = append(out, p.Of)
		}
	}
	return out
}

// freedType is the type fn is the freed_by function of, or nil.
func freedType(c *contract.Contract, fn string) *contract.Type {
	for _, t := range c.Types {
		if t.FreedBy.Func == fn {
			return t
		}
	}
	return nil
}

// readers are the functions that read a handle of typ without changing it: they take only
// that handle, are not its constructor, filler or free function, and may share it (any or
// thread-safe).
func readers(c *contract.Contract, typ string) []*contract.Function {
	t := c.Type(typ)
	var out []*contract.Function
	for _, f := range c.Functions {
		ts := handleTypes(f)
		if len(ts) != 1 || ts[0] != typ || slices.Contains(t.FilledBy, f.Name) || t.FreedBy.Func == f.Name || t.AllocatedBy == f.Name {
			continue
		}
		if f.Threads == contract.ThreadsAny || f.Threads == contract.ThreadsSafe {
			out = append(out, f)
		}
	}
	return out
}
