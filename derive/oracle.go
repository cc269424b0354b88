package derive

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// Reasons of the contract oracles: stable, so each is one signature per function and field.
const (
	ReasonOverrun        = "write past an output"
	ReasonInputWritten   = "input written"
	ReasonUndeclared     = "undeclared status"
	ReasonNoPrecondition = "status without its precondition"
	ReasonNotZero        = "output not zero on error"
	ReasonTouched        = "output written on error"
	ReasonNeededUnset    = "needed not set"
	ReasonNeededUnstable = "needed not stable"
	ReasonLastErrorUnset = "last error not set"
	ReasonNotIdempotent  = "not idempotent"
	reasonWrongStatus    = "wrong status for "
	reasonSeveralBroken  = "several broken preconditions"
	fieldStatus          = "status"
	fieldReturn          = "return"
)

// check runs one engine's call against the contract.
func (t Target) check(e *boundary.Engine, r record) error {
	f, res := r.fn, r.res
	detail := func() string { return "call " + describe(r) }
	if len(res.Overruns) > 0 {
		field, _, _ := strings.Cut(res.Overruns[0], ":")
		return breach(f.Name, field, ReasonOverrun, "%s; %s", res.Overruns[0], detail())
	}
	if len(res.Changed) > 0 {
		return breach(f.Name, res.Changed[0], ReasonInputWritten, "the engine wrote into a borrowed input; %s", detail())
	}
	for _, p := range f.Params {
		if p.Role != contract.RoleOutSize || !p.AlwaysSet || r.args[p.Name].Null {
			continue
		}
		if v, ok := res.Out[p.Name]; ok && unset(v.Int) {
			return breach(f.Name, p.Name, ReasonNeededUnset, "returned %s without setting %s; %s", res.Status, p.Name, detail())
		}
	}
	if f.Returns.Kind != contract.ReturnStatus {
		return nil
	}
	if !slices.Contains(f.Statuses, res.Status) {
		return breach(f.Name, fieldStatus, ReasonUndeclared, "got %s, declared %s; %s", res.Status, strings.Join(f.Statuses, ", "), detail())
	}
	if want := required(r.bad); len(want) > 0 && !slices.Contains(want, res.Status) && !callerCase(r.bad) {
		field, reason := r.bad[0].path, reasonWrongStatus+r.bad[0].pre
		if len(r.bad) > 1 {
			var paths []string
			for _, b := range r.bad {
				paths = append(paths, b.path+" "+b.pre)
			}
			field, reason = strings.Join(paths, ", "), reasonWrongStatus+reasonSeveralBroken
		}
		return breach(f.Name, field, reason, "got %s, want %s; %s", res.Status, strings.Join(want, " or "), detail())
	}
	if len(r.bad) == 0 && slices.Contains(t.preconditionStatuses(f), res.Status) {
		return breach(f.Name, fieldStatus, ReasonNoPrecondition, "got %s, which the contract gives only for a broken precondition, with none broken; %s", res.Status, detail())
	}
	if res.Status == "ok" {
		return nil
	}
	if err := t.onError(r); err != nil {
		return err
	}
	return t.lastError(e, r)
}

func callerCase(bad []broken) bool {
	for _, b := range bad {
		if b.status == contract.CallerGuarantee {
			return true
		}
	}
	return false
}

// preconditionStatuses are the statuses f's contract names for its own broken preconditions,
// besides the default one every broken precondition gives: such a status (a limit status, say)
// comes only from its precondition, so it is wrong when nothing is broken.
func (t Target) preconditionStatuses(f *contract.Function) []string {
	if v, ok := preStats.Load(f); ok {
		return v.([]string)
	}
	v, _ := preStats.LoadOrStore(f, t.ownStatuses(f))
	return v.([]string)
}

func (t Target) ownStatuses(f *contract.Function) []string {
	def := f.Broken
	if def == "" {
		def = t.b.Contract.Broken
	}
	var out []string
	var walk func(ps []*contract.Param)
	walk = func(ps []*contract.Param) {
		for _, p := range ps {
			for _, s := range p.Pre {
				if s != contract.Allowed && s != contract.CallerGuarantee && s != def && s != "ok" && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
			walk(p.Fields)
		}
	}
	walk(f.Params)
	return out
}

// onError checks the outputs the contract says what an error leaves in: zero (NULL, with its
// length 0) or untouched (the fill pattern still there).
func (t Target) onError(r record) error {
	f, res := r.fn, r.res
	for _, p := range f.Params {
		if r.args[p.Name].Null {
			continue
		}
		v, ok := res.Out[p.Name]
		if !ok {
			continue
		}
		rule := p.OnError
		if rule == "" && p.Role == contract.RoleCalleeAlloc {
			rule = contract.OnErrorZero // an allocation the caller would not know to free
		}
		switch rule {
		case contract.OnErrorZero:
			nonzero := false
			switch p.Role {
			case contract.RoleHandleOut, contract.RoleCalleeAlloc:
				nonzero = !v.Null
			case contract.RoleOutInt, contract.RoleOutSize:
				nonzero = v.Int != 0
			}
			if nonzero {
				return breach(f.Name, p.Name, ReasonNotZero, "returned %s with %s=%s; call %s", res.Status, p.Name, clip(v.String()), describe(r))
			}
			if p.Role == contract.RoleCalleeAlloc {
				for _, lp := range f.Params {
					if lp.Role == contract.RoleLength && lp.Len == p.Name && !r.args[lp.Name].Null && res.Out[lp.Name].Int != 0 {
						return breach(f.Name, lp.Name, ReasonNotZero, "returned %s with %s=%d; call %s", res.Status, lp.Name, res.Out[lp.Name].Int, describe(r))
					}
				}
			}
		case contract.OnErrorUntouched:
			touched := false
			switch p.Role {
			case contract.RoleOutBuffer:
				touched = slices.ContainsFunc(v.Bytes, func(b byte) bool { return b != boundary.FillByte })
			case contract.RoleOutInt, contract.RoleOutSize:
				touched = !unset(v.Int)
			}
			if touched {
				return breach(f.Name, p.Name, ReasonTouched, "returned %s and wrote %s; call %s", res.Status, p.Name, describe(r))
			}
		}
	}
	return nil
}

// lastError checks that a failing call set the last error (a non-empty message).
func (t Target) lastError(e *boundary.Engine, r record) error {
	name := t.b.Contract.LastError
	lf := t.b.Contract.Function(name)
	if lf == nil {
		return nil
	}
	res, err := e.Call(name, lengthQuery(lf))
	if err != nil {
		return err
	}
	if res.Ret <= 0 {
		return breach(r.fn.Name, name, ReasonLastErrorUnset, "returned %s and %s gives length %d; call %s", r.res.Status, name, res.Ret, describe(r))
	}
	return nil
}

// stable checks that the same call twice reports the same needed.
func stable(f *contract.Function, a, b boundary.Result) error {
	for _, p := range f.Params {
		if p.Role != contract.RoleOutSize || !p.AlwaysSet {
			continue
		}
		x, okx := a.Out[p.Name]
		y, oky := b.Out[p.Name]
		if okx && oky && x.Int != y.Int {
			return breach(f.Name, p.Name, ReasonNeededUnstable, "first call %d, the same call again %d", x.Int, y.Int)
		}
	}
	return nil
}

// describe is a call's arguments on one line, clipped.
func describe(r record) string {
	var as []string
	for _, n := range sortedKeys(r.args) {
		as = append(as, n+"="+clip(r.args[n].String()))
	}
	s := fmt.Sprintf("%d %s(%s)", r.step, r.fn.Name, strings.Join(as, " "))
	if r.probe {
		s += " (capacity probe)"
	}
	return s
}

// sameAgain checks an idempotent function: called again after a success, it succeeds again
// with the same outputs (after a failure the state may have moved on: not judged).
func sameAgain(c *contract.Contract, f *contract.Function, a, b boundary.Result) error {
	if !idempotent(c, f) || (f.Returns.Kind == contract.ReturnStatus && a.Status != "ok") {
		return nil
	}
	if a.Status != b.Status || a.Ret != b.Ret {
		return breach(f.Name, fieldStatus, ReasonNotIdempotent, "first call %s, the same call again %s", a.String(), b.String())
	}
	for _, p := range f.Params {
		if field, reason, d := compare(p.Name, a.Out[p.Name], b.Out[p.Name]); reason != "" && !p.EngineSpecific {
			return breach(f.Name, field, ReasonNotIdempotent, "first call %s, again %s (%s)", d[0], d[1], reason)
		}
	}
	return nil
}
