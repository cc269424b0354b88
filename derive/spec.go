package derive

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// Spec is a boundary's own model of what its contract cannot declare: exact arithmetic, the
// grammar of a text input, what an output must say. Every call an engine makes in a derived
// target is handed to Check after the contract's oracles passed it; an error is a finding (a
// *Violation from Breach keeps its field and reason, any other error is signed as the
// function's "spec model" breach). A boundary without a Spec gets every other oracle.
//
// A team adds one as a Go package in its boundary's folder, native/<b>/spec, that registers
// it by the contract's boundary name from init:
//
//	package spec
//
//	func init() { derive.RegisterSpec("widget", model{}) }
//
// and names the package in the contract (`spec: github.com/x/y/native/widget/spec`). seam's
// machinery never imports it: whatever binary runs the boundary's targets (a test, the fuzz
// worker seam builds) links it with a blank import of that path, and Plan refuses a contract
// whose spec is not linked, so a model is never skipped in silence.
type Spec interface {
	Check(c Call) error
}

// Call is one call an engine made, as a Spec sees it: arguments and results by the contract's
// parameter and field names, and the calls before it on the same engine.
type Call struct {
	Func string
	// Args are the arguments as sent; a handle parameter holds its handle (Value.Handle), the
	// same *boundary.Handle in every call that got it.
	Args boundary.Args
	// Result is what came back: status, outputs by parameter name.
	Result boundary.Result
	// Broken lists the preconditions the arguments break, as "path precondition"
	// ("req.subtotal_cents over_max"); the contract's oracles have judged the status already.
	Broken []string
	// Probe marks the capacity-0 call that learns an out_buffer's needed size.
	Probe bool
	// History holds the program's earlier calls on this engine, oldest first.
	History []Call
}

// Handle is the handle the call got in param, or nil.
func (c Call) Handle(param string) *boundary.Handle { return c.Args[param].Handle }

// Last is the latest earlier call of fn that got handle h (in any parameter) and returned
// status (any status when status is ""), or nil: the state a handle was left in.
func (c Call) Last(fn string, h *boundary.Handle, status string) *Call {
	for i := len(c.History) - 1; i >= 0; i-- {
		prev := &c.History[i]
		if prev.Func != fn || (status != "" && prev.Result.Status != status) {
			continue
		}
		for _, v := range prev.Args {
			if v.Handle == h {
				return prev
			}
		}
	}
	return nil
}

// Breach is a Spec's finding: the engine broke the header in op's field for reason (stable
// across inputs: it signs the finding); detail says what this input showed.
func Breach(op, field, reason, format string, args ...any) *Violation {
	return breach(op, field, reason, format, args...)
}

// ReasonSpec is the reason of a Spec error that is not a Violation.
const ReasonSpec = "spec model"

var (
	specsMu sync.Mutex
	specs   = map[string]Spec{}
)

// RegisterSpec makes s the model of the boundary named boundary (its contract's boundary key),
// for every target Plan derives from then on. Registering a boundary twice is a programming
// error: two models of one boundary would silently shadow each other.
func RegisterSpec(boundary string, s Spec) {
	specsMu.Lock()
	defer specsMu.Unlock()
	if _, dup := specs[boundary]; dup {
		panic("derive: a second spec registered for boundary " + boundary)
	}
	specs[boundary] = s
}

// Specs lists the boundaries with a registered spec, sorted.
func Specs() []string {
	specsMu.Lock()
	defer specsMu.Unlock()
	out := make([]string, 0, len(specs))
	for b := range specs {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// specFor is the registered spec of c's boundary: nil when the contract names none, an error
// when it names one this binary does not link.
func specFor(c *contract.Contract) (Spec, error) {
	specsMu.Lock()
	s, ok := specs[c.Boundary]
	specsMu.Unlock()
	switch {
	case c.Spec == "":
		return nil, nil
	case !ok:
		return nil, fmt.Errorf("%s: its spec model %s is not linked into this binary: add `import _ %q` to the binary that runs the targets", c.Path, c.Spec, c.Spec)
	}
	return s, nil
}

// checkSpec hands the last record to the spec, with the records before it as history. calls
// holds the records before it as the spec saw them (one Call per record, in order); the new
// one is appended, so a program of n calls builds n Calls, not n².
func (t Target) checkSpec(recs []record, calls *[]Call) error {
	if t.spec == nil {
		return nil
	}
	r := &recs[len(recs)-1]
	prev := *calls
	c := Call{Func: r.fn.Name, Args: r.args, Result: r.res, Probe: r.probe, History: prev[:len(prev):len(prev)]}
	for _, b := range r.bad {
		c.Broken = append(c.Broken, b.path+" "+b.pre)
	}
	*calls = append(prev, c)
	err := t.spec.Check(c)
	if err == nil {
		return nil
	}
	var v *Violation
	if errors.As(err, &v) {
		if !strings.Contains(v.Detail, "; call ") {
			v.Detail += "; call " + describe(*r)
		}
		return v
	}
	return breach(c.Func, "spec", ReasonSpec, "%v; call %s", err, describe(*r))
}
