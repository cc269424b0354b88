package derive

import (
	"fmt"
	"runtime"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/trace"
)

// Trace turns a fuzz input of t into the call trace of what it makes an engine do, every
// argument by its contract name: the input of a finding becomes a trace that `seam repro
// -contract` replays and trace.EmitC writes as a standalone C program. ref runs the program
// once to learn what the input leaves to the engine (the needed size a capacity is set
// around); it must be a correct engine, as the engine under suspicion may crash. Capacity
// probes are calls of the trace like any other, so the C program makes exactly the calls the
// target made.
func (t Target) Trace(ref *boundary.Engine, data []byte) (trace.Trace, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	recs, err := t.exec(ref, t.decode(data), true)
	if err != nil {
		return trace.Trace{}, fmt.Errorf("engine %s, which must be a correct one, fails the input: %w", ref.Name, err)
	}
	names := map[*boundary.Handle]string{}
	tr := trace.Trace{ID: t.Name}
	for _, r := range recs {
		call := trace.Call{Func: r.fn.Name, Args: map[string]trace.Arg{}}
		for name, v := range r.args {
			if v.Handle != nil {
				call.Args[name] = trace.Arg{Ref: names[v.Handle]}
				continue
			}
			call.Args[name] = trace.Arg{Value: v}
		}
		for _, p := range r.fn.Params {
			if p.Role != contract.RoleHandleOut {
				continue
			}
			if h := r.res.Out[p.Name].Handle; h != nil {
				call.As = fmt.Sprintf("h%d", len(names)+1)
				names[h] = call.As
			}
		}
		tr.Calls = append(tr.Calls, call)
	}
	return tr, nil
}

// TraceInput is the call trace of an input of b's target name (see Target.Trace). It needs no
// spec model, as it judges nothing: a tool that only converts findings need not link one.
func TraceInput(b *boundary.Boundary, name string, ref *boundary.Engine, data []byte) (trace.Trace, error) {
	ts, err := plan(b, nil)
	if err != nil {
		return trace.Trace{}, err
	}
	t, err := find(b, ts, name)
	if err != nil {
		return trace.Trace{}, err
	}
	return t.Trace(ref, data)
}
