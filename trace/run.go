package trace

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// Run makes the trace's calls on e in order and returns each call's result, then frees every
// handle the trace left open (not part of the results). The error is a call seam could not
// make; what the engine did is in the results.
func Run(e *boundary.Engine, t Trace) ([]boundary.Result, error) {
	c := e.B.Contract
	named := map[string]*boundary.Handle{}
	var made []*boundary.Handle
	freed := map[*boundary.Handle]bool{}
	var results []boundary.Result
	defer func() {
		// Reverse order: a handle made later may depend on one made before it.
		for i := len(made) - 1; i >= 0; i-- {
			if !freed[made[i]] {
				e.Free(made[i])
			}
		}
	}()
	for i, call := range t.Calls {
		args := boundary.Args{}
		for name, a := range call.Args {
			switch {
			case a.Ref == "":
				args[name] = a.Value
			case named[a.Ref] == nil:
				args[name] = boundary.Null // the call that was to make it failed
			default:
				args[name] = boundary.Of(named[a.Ref])
			}
		}
		r, err := e.Call(call.Func, args)
		if err != nil {
			return results, fmt.Errorf("%s: call %d (%s): %w", t, i+1, call.Func, err)
		}
		results = append(results, r)
		for name, a := range call.Args {
			if h := named[a.Ref]; h != nil && frees(c, call.Func, name, h.Type) {
				freed[h] = true
			}
		}
		for _, p := range c.Function(call.Func).Params {
			if p.Role != contract.RoleHandleOut {
				continue
			}
			h := r.Out[p.Name].Handle
			if h != nil {
				made = append(made, h)
			}
			if call.As != "" {
				named[call.As] = h
			}
		}
	}
	return results, nil
}

// frees reports whether fn with a handle of typ as param is that type's freed_by call.
func frees(c *contract.Contract, fn, param, typ string) bool {
	t := c.Type(typ)
	return t != nil && t.FreedBy.Func == fn && len(t.FreedBy.Args) == 1 && t.FreedBy.Args[0] == param
}

// Violation is a finding of a trace that is not a crash: an engine broke its contract on one
// call, or two engines answered one call differently. Its text is fuzz.Violation's ("KIND in
// FUNC: FIELD: DETAIL (REASON)"), so a finding is signed by one rule whichever boundary it
// comes from.
type Violation struct {
	Kind   string // "mismatch" (two engines) or "contract" (one engine)
	Call   int    // the call, from 1
	Func   string
	Field  string // status, return, or the output's name
	Reason string // status differs, output differs, undeclared status, overrun, ...
	Detail string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("%s in %s: %s: call %d: %s (%s)", v.Kind, v.Func, v.Field, v.Call, v.Detail, v.Reason)
}

// Check holds one engine's results to its contract: every status one the function may
// return, no write outside an output, no write to an input.
func Check(b *boundary.Boundary, res []boundary.Result) *Violation {
	for i, r := range res {
		f := b.Contract.Function(r.Func)
		v := &Violation{Kind: "contract", Call: i + 1, Func: r.Func}
		switch {
		case f.Returns.Kind == contract.ReturnStatus && len(f.Statuses) > 0 && !slices.Contains(f.Statuses, r.Status):
			v.Field, v.Reason, v.Detail = "status", "undeclared status", fmt.Sprintf("returned %s, declared %s", r.Status, strings.Join(f.Statuses, ", "))
		case len(r.Overruns) > 0:
			v.Field, v.Reason, v.Detail = strings.SplitN(r.Overruns[0], ":", 2)[0], "write outside an output", r.Overruns[0]
		case len(r.Changed) > 0:
			v.Field, v.Reason, v.Detail = r.Changed[0], "write to a borrowed input", "the engine changed "+strings.Join(r.Changed, ", ")
		default:
			continue
		}
		return v
	}
	return nil
}

// Compare is the differential of two engines' results of one trace: each call's status (or
// return value), then each output the contract does not mark engine_specific. An output a
// failed call leaves unspecified is not compared.
func Compare(b *boundary.Boundary, names [2]string, ref, other []boundary.Result) *Violation {
	for i := 0; i < min(len(ref), len(other)); i++ {
		r, o := ref[i], other[i]
		f := b.Contract.Function(r.Func)
		v := &Violation{Kind: "mismatch", Call: i + 1, Func: r.Func}
		differ := func(field, reason, a, b string) *Violation {
			v.Field, v.Reason, v.Detail = field, reason, fmt.Sprintf("%s %s, %s %s", names[0], a, names[1], b)
			return v
		}
		switch f.Returns.Kind {
		case contract.ReturnStatus:
			if r.Status != o.Status {
				return differ("status", "status differs", r.Status, o.Status)
			}
		case contract.ReturnValue:
			if r.Ret != o.Ret && !f.Returns.EngineSpecific {
				return differ("return", "return value differs", fmt.Sprint(r.Ret), fmt.Sprint(o.Ret))
			}
		case contract.ReturnString:
			if r.Str != o.Str && !f.Returns.EngineSpecific {
				return differ("return", "returned string differs", fmt.Sprintf("%q", r.Str), fmt.Sprintf("%q", o.Str))
			}
		}
		ok := f.Returns.Kind != contract.ReturnStatus || r.Status == "ok"
		outs := slices.Sorted(maps.Keys(r.Out))
		for n := range o.Out {
			if _, ok := r.Out[n]; !ok {
				outs = append(outs, n)
			}
		}
		for _, n := range outs {
			p := f.Param(n)
			if p != nil && (p.EngineSpecific || (!ok && p.OnError != contract.OnErrorZero && p.OnError != contract.OnErrorUntouched)) {
				continue
			}
			if !same(r.Out[n], o.Out[n]) {
				return differ(n, "output differs", r.Out[n].String(), o.Out[n].String())
			}
		}
	}
	return nil
}

// same compares two values of one output; handles only by being there (each engine's
// pointer is its own).
func same(a, b boundary.Value) bool {
	switch {
	case a.Handle != nil || b.Handle != nil:
		return (a.Handle != nil) == (b.Handle != nil)
	case a.Null != b.Null || a.Int != b.Int || !bytes.Equal(a.Bytes, b.Bytes) || len(a.Fields) != len(b.Fields) || len(a.Elems) != len(b.Elems):
		return false
	}
	for k, av := range a.Fields {
		bv, ok := b.Fields[k]
		if !ok || !same(av, bv) {
			return false
		}
	}
	for i := range a.Elems {
		if !same(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
}
