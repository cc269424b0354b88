package derive

import (
	"bytes"
	"slices"
	"unicode/utf8"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
)

// broken is one precondition a call broke, and the status the contract requires for it.
type broken struct {
	path   string // the parameter, or param.field
	pre    string
	status string // a status name, contract.CallerGuarantee, or "" when nobody said
}

// broken lists the preconditions the arguments a call got break, read from the values
// themselves (not from the case the decoder meant), so an ordinary draw that happens to be
// empty or over a limit is judged as what it is. Capacity against needed is judged with the
// needed the engine reported.
func (t Target) broken(f *contract.Function, args boundary.Args, res boundary.Result) []broken {
	var out []broken
	add := func(path string, p *contract.Param, pre string) {
		s := t.b.Contract.Status(f, p, pre)
		if s == contract.Allowed {
			return
		}
		out = append(out, broken{path: path, pre: pre, status: s})
	}
	for _, p := range f.Params {
		v, given := args[p.Name]
		switch p.Role {
		case contract.RoleHandle, contract.RoleHandleOut, contract.RoleOutInt, contract.RoleOutSize,
			contract.RoleCalleeAlloc, contract.RoleLength:
			if given && v.Null {
				add(p.Name, p, contract.PreNull)
			}
		case contract.RoleOutStruct:
			switch {
			case v.Null:
				add(p.Name, p, contract.PreNull)
			case p.SizeField != "" && v.Fields != nil:
				if sv, ok := v.Fields[p.SizeField]; ok && sv.Int != t.b.Header.Struct(p.Of).Size {
					add(p.Name, p, contract.PreWrongSize)
				}
			}
		case contract.RoleStruct:
			if v.Null {
				add(p.Name, p, contract.PreNull)
				continue
			}
			if sv, ok := v.Fields[p.SizeField]; ok && p.SizeField != "" && sv.Int != t.b.Header.Struct(p.Of).Size {
				add(p.Name, p, contract.PreWrongSize)
			}
			for _, fp := range p.Fields {
				fv, given := v.Fields[fp.Name]
				for _, pre := range t.valueBroken(f, fp, fv, given, v.Fields) {
					add(p.Name+"."+fp.Name, fp, pre)
				}
			}
		case contract.RoleOutBuffer:
			if v.Null {
				if c, ok := args[p.Len]; ok && c.Int != 0 {
					add(p.Name, p, contract.PreNullWithLen)
				} else {
					add(p.Name, p, contract.PreNull)
				}
				continue
			}
			if n, ok := res.Out[p.Needed]; ok && p.Needed != "" && !unset(n.Int) && uint64(v.Int) < uint64(n.Int) {
				add(p.Name, p, contract.PreTooSmall)
			}
		default:
			for _, pre := range t.valueBroken(f, p, v, given, args) {
				add(p.Name, p, pre)
			}
		}
	}
	return out
}

// valueBroken judges a bytes, string or integer value (a parameter, or a struct field with
// its siblings in scope for its length).
func (t Target) valueBroken(f *contract.Function, p *contract.Param, v boundary.Value, given bool, scope map[string]boundary.Value) []string {
	var out []string
	max, hasMax := resolve(t.b, p.Max)
	switch p.Role {
	case contract.RoleBytes:
		if v.Null {
			if l, ok := scope[p.Len]; ok && l.Int != 0 {
				out = append(out, contract.PreNullWithLen)
				if hasMax && uint64(l.Int) > uint64(max) {
					out = append(out, contract.PreOverMax)
				}
			} else {
				out = append(out, contract.PreNull)
			}
			return out
		}
		return t.textBroken(p, v.Bytes, max, hasMax)
	case contract.RoleString:
		if v.Null {
			return []string{contract.PreNull}
		}
		// The engine reads up to the NUL: an embedded one shortens the string it sees.
		s := v.Bytes
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return t.textBroken(p, s, max, hasMax)
	case contract.RoleInt:
		if !given {
			v = boundary.Int(0)
		}
		return t.intBroken(paramType(t.b, f, p), p, v.Int)
	}
	return nil
}

// textBroken judges the bytes the engine sees. An empty buffer is broken only where the
// contract says what it gives (it is ordinary for most buffers).
func (t Target) textBroken(p *contract.Param, b []byte, max int64, hasMax bool) []string {
	var out []string
	if _, listed := p.Pre[contract.PreEmpty]; listed && len(b) == 0 {
		out = append(out, contract.PreEmpty)
	}
	if hasMax && int64(len(b)) > max {
		out = append(out, contract.PreOverMax)
	}
	if p.Encoding == "utf8" && !utf8.Valid(b) {
		out = append(out, contract.PreInvalidUTF8)
	}
	return out
}

// intBroken judges an integer as its C type holds it.
func (t Target) intBroken(ct *cheader.Type, p *contract.Param, v int64) []string {
	v = normalize(ct, v)
	lo, _ := typeBounds(ct)
	less := func(a, b int64) bool {
		if lo < 0 {
			return a < b
		}
		return uint64(a) < uint64(b)
	}
	switch {
	case p.Range[0] != "":
		min, _ := resolve(t.b, p.Range[0])
		max, _ := resolve(t.b, p.Range[1])
		if less(v, min) {
			return []string{contract.PreBelowMin}
		}
		if less(max, v) {
			return []string{contract.PreOverMax}
		}
	case len(p.Enum) > 0:
		for _, e := range p.Enum {
			if ev, ok := resolve(t.b, e); ok && normalize(ct, ev) == v {
				return nil
			}
		}
		return []string{contract.PreInvalidEnum}
	case p.Flags != "":
		mask, _ := resolve(t.b, p.Flags)
		if v&^mask != 0 {
			return []string{contract.PreUnknownFlag}
		}
	}
	return nil
}

// unset says an integer output still holds the fill pattern (the engine did not write it).
func unset(v int64) bool {
	for _, n := range []int{8, 4, 2, 1} {
		f := fillInt(n)
		if v == f || v == f<<(64-8*n)>>(64-8*n) { // zero- or sign-extended
			return true
		}
	}
	return false
}

// fillInt is an n-byte integer output the engine did not write, as boundary reads it back
// (unsigned n < 8, so zero-extended).
func fillInt(n int) int64 {
	var u uint64
	for i := 0; i < n; i++ {
		u = u<<8 | boundary.FillByte
	}
	return int64(u)
}

// statuses of the broken preconditions, without duplicates ("" when any of them is
// unspecified, so no status is required).
func required(bad []broken) []string {
	var out []string
	for _, b := range bad {
		if b.status == "" {
			return nil
		}
		if !slices.Contains(out, b.status) {
			out = append(out, b.status)
		}
	}
	return out
}
