package derive

import (
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// ReasonRoundTrip is the reason of a broken round_trip property.
const ReasonRoundTrip = "round trip differs"

// caller makes one recorded, checked call of step s's function (exec's).
type caller func(i int, s step, args boundary.Args, probe bool) (boundary.Result, error)

// roundTrip checks a round_trip property after a successful call of its From function: the
// output, fed into Into on a fresh handle, must load (ok), and Same called on that handle
// must give the outputs the first call gave. Its calls are recorded like the program's, so
// the differential and the spec see them too.
func (t Target) roundTrip(prop *contract.Property, i int, s step, args boundary.Args, res boundary.Result, call caller) error {
	c := t.b.Contract
	fromFn, fromParam, _ := strings.Cut(prop.From, ".")
	intoFn, intoParam, _ := strings.Cut(prop.Into, ".")
	if prop.Kind != contract.PropRoundTrip || s.fn.Name != fromFn || res.Status != "ok" {
		return nil
	}
	into, same := c.Function(intoFn), c.Function(prop.Same)
	if into == nil || same == nil {
		return nil // the contract reader refuses such a property
	}
	out := res.Out[fromParam]
	feed := boundary.Args{intoParam: boundary.Bytes(out.Bytes)}
	if out.Null {
		feed[intoParam] = boundary.Null
	}
	// A fresh handle of each handle type Into takes, made with ordinary arguments.
	made := map[string]*boundary.Handle{}
	for _, p := range into.Params {
		if p.Role != contract.RoleHandle {
			continue
		}
		ctor := allocator(c, p.Of)
		r, err := call(i, step{fn: ctor, makes: -1}, boundary.Args{}, false)
		if err != nil {
			return err
		}
		h := r.Out[handleOut(ctor).Name].Handle
		if h == nil {
			return nil // the constructor failed: its own oracles said so
		}
		made[p.Of] = h
		feed[p.Name] = boundary.Of(h)
	}
	loaded, err := call(i, step{fn: into, makes: -1}, feed, false)
	if err != nil {
		return err
	}
	if into.Returns.Kind == contract.ReturnStatus && loaded.Status != "ok" {
		return breach(into.Name, intoParam, ReasonRoundTrip, "%s's %s fed back returned %s: %s", fromFn, fromParam, loaded.Status, clip(out.String()))
	}
	again := boundary.Args{}
	if same.Name == fromFn {
		for k, v := range args {
			again[k] = v
		}
	}
	for _, p := range same.Params {
		if p.Role == contract.RoleHandle && made[p.Of] != nil {
			again[p.Name] = boundary.Of(made[p.Of])
		}
	}
	res2, err := call(i, step{fn: same, makes: -1}, again, false)
	if err != nil {
		return err
	}
	if same.Name != fromFn {
		return nil // only the same function's outputs can be compared with the first call's
	}
	for _, p := range same.Params {
		if p.EngineSpecific {
			continue
		}
		if field, reason, d := compare(p.Name, res.Out[p.Name], res2.Out[p.Name]); reason != "" {
			return breach(same.Name, field, ReasonRoundTrip, "first %s, after the round trip %s (%s)", d[0], d[1], reason)
		}
	}
	return nil
}
