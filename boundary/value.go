package boundary

import (
	"fmt"
	"sort"
	"strings"
)

// Value is one argument of a call, or one output read back. Arguments are named by their
// contract parameter; a parameter left out gets its ordinary value (an output is allocated, a
// byte buffer is empty but not NULL, a struct is zero with its size field set, an integer is
// 0, a length is the length of what it measures).
type Value struct {
	Null   bool             // a NULL pointer (as an argument), or NULL stored by the engine
	Int    int64            // an integer (unsigned values keep their bits)
	Bytes  []byte           // bytes or a string's bytes (without the NUL), an out buffer's contents
	Handle *Handle          // a handle argument, or the handle a handle_out produced
	Fields map[string]Value // a struct's fields
	Elems  []Value          // a callee-allocated array's elements
}

// Int makes an integer argument.
func Int(v int64) Value { return Value{Int: v} }

// Bytes makes a byte buffer or string argument.
func Bytes(b []byte) Value { return Value{Bytes: b} }

// Text makes a byte buffer or string argument from text.
func Text(s string) Value { return Value{Bytes: []byte(s)} }

// Null is a NULL pointer argument.
var Null = Value{Null: true}

// Struct makes a struct argument from its fields.
func Struct(fields map[string]Value) Value { return Value{Fields: fields} }

// Of makes a handle argument.
func Of(h *Handle) Value { return Value{Handle: h} }

// Args are a call's arguments by parameter name.
type Args map[string]Value

// Result is what a call gave back.
type Result struct {
	Func string
	// Ret is the return value, extended by its C type's width and signedness.
	Ret int64
	// Status is the contract's name of Ret for a function returning a status ("" otherwise);
	// a value that is no declared status is "?<value>".
	Status string
	// Str is the NUL-terminated string a string-returning function returned.
	Str string
	// Out holds every output parameter the engine wrote through, by name.
	Out map[string]Value
	// Overruns says, per output, where the engine wrote outside it (sentinels damaged).
	Overruns []string
	// Changed lists the input buffers the engine wrote to.
	Changed []string
}

// String is the result on one line, outputs sorted by name.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> ", r.Func)
	switch {
	case r.Status != "":
		b.WriteString(r.Status)
	case r.Str != "":
		fmt.Fprintf(&b, "%q", r.Str)
	default:
		fmt.Fprint(&b, r.Ret)
	}
	names := make([]string, 0, len(r.Out))
	for n := range r.Out {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%s", n, r.Out[n])
	}
	return b.String()
}

// String shows a value compactly: bytes quoted, fields sorted.
func (v Value) String() string {
	switch {
	case v.Null:
		return "NULL"
	case v.Handle != nil:
		return v.Handle.String()
	case v.Fields != nil:
		names := make([]string, 0, len(v.Fields))
		for n := range v.Fields {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + ":" + v.Fields[n].String()
		}
		return "{" + strings.Join(parts, " ") + "}"
	case v.Elems != nil:
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, " ") + "]"
	case v.Bytes != nil:
		return fmt.Sprintf("%q", v.Bytes)
	}
	return fmt.Sprint(v.Int)
}
