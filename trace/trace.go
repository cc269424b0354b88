// Package trace is seam's call trace: the calls a production process made on a boundary —
// the calls that set up state and the call that misbehaved — written by the contract's
// parameter and field names, so one file replays on every engine of the boundary (Run), is
// compared between engines (Compare), runs in an isolated child (JobKind) and becomes a
// standalone C program (EmitC).
//
// A trace is one JSON object (a day of traffic is JSON Lines, one trace a line):
//
//	{"id": "req-123", "calls": [
//	  {"call": "tally_new", "args": {"opts": {"mode": "TALLY_MODE_WORDS", "flags": 1, "min_len": 1}}, "as": "t"},
//	  {"call": "tally_feed", "args": {"t": "$t", "data": {"text": "hello wor"}}},
//	  {"call": "tally_feed", "args": {"t": "$t", "data": {"base64": "bGQK"}}},
//	  {"call": "tally_count", "args": {"t": "$t", "token": {"text": "hello"}}}
//	]}
//
// Arguments are named by the C prototype's parameter names (the contract's); a parameter
// left out gets boundary's ordinary value (an output allocated, a length the length of what
// it measures, a struct's size field sizeof the struct). Each argument is one of:
//
//   - an integer, or the name of an integer constant of the header ("TALLY_MODE_LINES",
//     "SEAM_MAX_COUPON_LEN"), for integers, enums, flags and explicit lengths and capacities
//     (a length given apart from its buffer is how a lie about a length is written: "data":
//     null, "len": 3 is NULL with length 3);
//   - {"text": "..."} or {"base64": "..."} for bytes and strings (a string parameter gets its
//     NUL added; the text's own bytes are what the engine may read);
//   - null, a NULL pointer;
//   - an object by field name for a struct ("opts": {"mode": 0, "min_len": 1}), its byte
//     fields as above;
//   - "$NAME" for a handle: the handle that an earlier call with "as": "NAME" made (its
//     handle_out output; a call that failed to make one binds NULL);
//   - an out_buffer's size as an integer (its capacity parameter follows it unless given).
//
// Outputs (handle_out, out_int, out_size, callee_alloc) take only null: the trace can make
// an engine write through NULL, nothing else. Handles still open at the end are freed with
// their type's freed_by, in reverse order of making; a handle the trace frees itself (by
// calling that function with it) is not freed again.
//
// A trace that does not fit the contract is one error line naming the trace, the call (from
// 1) and the parameter: "trace req-123: call 2 (tally_feed): data: want {"text": ...} or
// {"base64": ...} for bytes, got 5".
package trace

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
)

// Trace is a parsed call trace, its arguments resolved against one boundary.
type Trace struct {
	ID    string
	Calls []Call
}

// String names the trace in errors: "trace ID", or "trace" when it has no id.
func (t Trace) String() string {
	if t.ID == "" {
		return "trace"
	}
	return "trace " + t.ID
}

// Call is one call of a trace.
type Call struct {
	Func string
	Args map[string]Arg
	// As names the handle this call makes (its handle_out output), for later calls' "$As".
	As string
}

// Arg is one argument: a value, or a reference to a handle an earlier call made.
type Arg struct {
	Value boundary.Value
	Ref   string // the "as" name of the handle, when the argument is "$Ref"
	// Consts are the constant names the trace wrote for integers, by struct field ("" for
	// the argument itself), so the C program says TALLY_MODE_LINES where the trace did.
	Consts map[string]string
}

// wire is a trace as written.
type wire struct {
	ID    string `json:"id"`
	Calls []struct {
		Call string                     `json:"call"`
		Args map[string]json.RawMessage `json:"args"`
		As   string                     `json:"as"`
	} `json:"calls"`
}

// IsTrace reports whether data looks like a call trace rather than another JSON input (a
// pricing production request): an object with a "calls" key.
func IsTrace(data []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(data), &probe) != nil {
		// A JSON Lines file: judge by its first line.
		line, _, _ := bytes.Cut(bytes.TrimSpace(data), []byte("\n"))
		if json.Unmarshal(line, &probe) != nil {
			return false
		}
	}
	_, ok := probe["calls"]
	return ok
}

// Parse reads one trace and resolves it against b: every function, parameter, field, constant
// and handle name checked, every value laid out for its role.
func Parse(b *boundary.Boundary, data []byte) (Trace, error) {
	var w wire
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Trace{}, fmt.Errorf("trace: %v", err)
	}
	if dec.More() {
		return Trace{}, fmt.Errorf("%s: more than one JSON value (a JSON Lines file holds one trace a line)", Trace{ID: w.ID})
	}
	if len(w.Calls) == 0 {
		return Trace{}, fmt.Errorf("%s: no calls", Trace{ID: w.ID})
	}
	t := Trace{ID: w.ID}
	bound := map[string]string{} // "as" name -> handle type
	for i, wc := range w.Calls {
		where := fmt.Sprintf("%s: call %d (%s)", Trace{ID: w.ID}, i+1, wc.Call)
		cf, hf := b.Contract.Function(wc.Call), b.Header.Function(wc.Call)
		if cf == nil || hf == nil {
			return Trace{}, fmt.Errorf("%s: not a function of %s", where, b.Contract.Path)
		}
		c := Call{Func: wc.Call, Args: map[string]Arg{}, As: wc.As}
		for _, name := range slices.Sorted(maps.Keys(wc.Args)) {
			hp := hf.Param(name)
			if hp == nil {
				return Trace{}, fmt.Errorf("%s: %s: not a parameter of %s (it has %s)", where, name, wc.Call, paramNames(hf))
			}
			a, err := resolve(b, cf.Param(name), hp.Type, wc.Args[name], bound)
			if err != nil {
				return Trace{}, fmt.Errorf("%s: %s: %v", where, name, err)
			}
			c.Args[name] = a
		}
		for _, p := range cf.Params {
			if _, given := c.Args[p.Name]; !given && p.Role == contract.RoleHandle {
				return Trace{}, fmt.Errorf("%s: %s: missing: a %s handle is needed (\"$NAME\" or null)", where, p.Name, p.Of)
			}
		}
		if wc.As != "" {
			typ := handleOut(cf)
			if typ == "" {
				return Trace{}, fmt.Errorf("%s: as %q: %s makes no handle (no handle_out parameter)", where, wc.As, wc.Call)
			}
			bound[wc.As] = typ
		}
		t.Calls = append(t.Calls, c)
	}
	return t, nil
}

// handleOut is the handle type a function makes, "" if none.
func handleOut(cf *contract.Function) string {
	for _, p := range cf.Params {
		if p.Role == contract.RoleHandleOut {
			return p.Of
		}
	}
	return ""
}

func paramNames(f *cheader.Function) string {
	if len(f.Params) == 0 {
		return "no parameters"
	}
	var n []string
	for _, p := range f.Params {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}

// resolve turns one written argument into an Arg for its role (nil: a parameter the contract
// leaves out, such as a free function's) and C type.
func resolve(b *boundary.Boundary, role *contract.Param, ct *cheader.Type, raw json.RawMessage, bound map[string]string) (Arg, error) {
	v, err := decode(raw)
	if err != nil {
		return Arg{}, err
	}
	if v == nil {
		if ct.Kind != cheader.Pointer {
			return Arg{}, fmt.Errorf("null for %s, which is not a pointer", ct.Spelling)
		}
		return Arg{Value: boundary.Null}, nil
	}
	if s, ok := v.(string); ok && strings.HasPrefix(s, "$") {
		if ct.Kind != cheader.Pointer || (role != nil && role.Role != contract.RoleHandle) {
			return Arg{}, fmt.Errorf("%s is a handle reference, but this parameter is %s", s, what(role, ct))
		}
		typ, ok := bound[s[1:]]
		if !ok {
			return Arg{}, fmt.Errorf("%s: no earlier call made a handle \"as\": %q", s, s[1:])
		}
		if role != nil && role.Of != typ {
			return Arg{}, fmt.Errorf("%s is a %s handle, want a %s", s, typ, role.Of)
		}
		return Arg{Ref: s[1:]}, nil
	}
	if role == nil {
		// A parameter with no role is passed as its bits (a free function's count).
		n, err := integer(b, v)
		return Arg{Value: boundary.Int(n), Consts: constNames(map[string]any{"": v})}, err
	}
	switch role.Role {
	case contract.RoleHandle:
		return Arg{}, fmt.Errorf("want \"$NAME\" (a handle an earlier call made \"as\": NAME) or null, got %s", raw)
	case contract.RoleBytes, contract.RoleString:
		bs, err := byteValue(v)
		return Arg{Value: boundary.Bytes(bs)}, err
	case contract.RoleStruct, contract.RoleOutStruct:
		st := ct.Elem.Struct
		if st == nil {
			return Arg{}, fmt.Errorf("%s is not a struct with a layout", ct.Elem.Spelling)
		}
		obj, ok := v.(map[string]any)
		if !ok || isBytes(obj) {
			return Arg{}, fmt.Errorf("want an object of %s's fields (or null), got %s", st.Name, raw)
		}
		fields, err := structFields(b, role, st, obj)
		return Arg{Value: boundary.Struct(fields), Consts: constNames(obj)}, err
	case contract.RoleHandleOut, contract.RoleCalleeAlloc, contract.RoleOutInt, contract.RoleOutSize:
		return Arg{}, fmt.Errorf("an output (%s) takes only null, a NULL pointer; got %s", role.Role, raw)
	case contract.RoleLength:
		if ct.Kind == cheader.Pointer {
			return Arg{}, fmt.Errorf("an output length takes only null, a NULL pointer; got %s", raw)
		}
	}
	// int, length, out_buffer (its size)
	n, err := integer(b, v)
	return Arg{Value: boundary.Int(n), Consts: constNames(map[string]any{"": v})}, err
}

// constNames keeps which values were written as constant names, by field ("" for the
// argument itself).
func constNames(vals map[string]any) map[string]string {
	var out map[string]string
	for k, v := range vals {
		if s, ok := v.(string); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = s
		}
	}
	return out
}

// what names a parameter's kind for an error.
func what(role *contract.Param, ct *cheader.Type) string {
	if role != nil {
		return role.Role
	}
	return ct.Spelling
}

// structFields resolves an object of struct fields by the header's layout.
func structFields(b *boundary.Boundary, role *contract.Param, st *cheader.Struct, obj map[string]any) (map[string]boundary.Value, error) {
	out := map[string]boundary.Value{}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		f := st.Field(name)
		if f == nil {
			var all []string
			for _, f := range st.Fields {
				all = append(all, f.Name)
			}
			return nil, fmt.Errorf("%s has no field %s (fields: %s)", st.Name, name, strings.Join(all, ", "))
		}
		v := obj[name]
		fr := role.Field(name)
		var err error
		switch {
		case fr != nil && fr.Role == contract.RoleBytes:
			if v == nil {
				out[name] = boundary.Null
				continue
			}
			var bs []byte
			bs, err = byteValue(v)
			out[name] = boundary.Bytes(bs)
		case f.Type.Kind == cheader.Array:
			var bs []byte
			if bs, err = byteValue(v); err == nil && int64(len(bs)) > f.Size {
				err = fmt.Errorf("%d bytes do not fit %s", len(bs), f.Type.Spelling)
			}
			out[name] = boundary.Bytes(bs)
		case f.Type.Kind == cheader.Pointer:
			err = fmt.Errorf("a pointer field the contract gives no bytes role")
		default:
			var n int64
			n, err = integer(b, v)
			out[name] = boundary.Int(n)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	}
	return out, nil
}

func decode(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// isBytes: an object that is a byte value ({"text": ...} or {"base64": ...}).
func isBytes(obj map[string]any) bool {
	_, t := obj["text"]
	_, b := obj["base64"]
	return len(obj) == 1 && (t || b)
}

// byteValue reads {"text": "..."} or {"base64": "..."}.
func byteValue(v any) ([]byte, error) {
	obj, ok := v.(map[string]any)
	if !ok || !isBytes(obj) {
		return nil, fmt.Errorf(`want {"text": ...} or {"base64": ...} for bytes, got %s`, show(v))
	}
	if s, ok := obj["text"].(string); ok {
		return []byte(s), nil
	}
	if s, ok := obj["base64"].(string); ok {
		bs, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("base64: %v", err)
		}
		return bs, nil
	}
	return nil, fmt.Errorf(`want a JSON string in {"text": ...} or {"base64": ...}, got %s`, show(v))
}

// integer reads a JSON integer (signed, or unsigned up to 2^64-1 keeping its bits) or the
// name of a constant of the header.
func integer(b *boundary.Boundary, v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, nil
		}
		if n, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return int64(n), nil
		}
		return 0, fmt.Errorf("want an integer, got %s", x)
	case string:
		if n, ok := b.Header.Const(x); ok {
			return n, nil
		}
		return 0, fmt.Errorf("%q is not a constant of %s (a handle is \"$NAME\", bytes are {\"text\": ...})", x, b.Header.Path)
	}
	return 0, fmt.Errorf("want an integer or a constant name, got %s", show(v))
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// CorpusTarget is the corpus target of a boundary's traces, "<boundary>.trace": a corpus
// target is one directory name, and the dot keeps it apart from pricing's fuzz targets
// (rules, quote, request, ...), which have none.
func CorpusTarget(boundary string) string { return boundary + targetSuffix }

// BoundaryOf is the boundary whose traces a corpus target holds, if it is a trace target.
func BoundaryOf(target string) (string, bool) {
	b, ok := strings.CutSuffix(target, targetSuffix)
	return b, ok && b != ""
}

const targetSuffix = ".trace"
