package abi

import (
	"errors"
	"fmt"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
)

// Expected returns the header's layout of every struct its functions reach through a
// parameter or the return value (through pointers), keyed the way Compare matches them.
func Expected(h *cheader.Header) map[Key]Layout {
	want := map[Key]Layout{}
	for _, f := range h.Functions {
		if f.Inline {
			continue
		}
		if st := reached(f.Result); st != nil {
			want[Key{Func: f.Name, Param: ReturnIndex}] = layoutOf(st)
		}
		for i, p := range f.Params {
			if st := reached(p.Type); st != nil {
				want[Key{Func: f.Name, Param: i}] = layoutOf(st)
			}
		}
	}
	return want
}

// reached is the struct a type is, or points at through any number of pointers; nil for an
// opaque one (a handle: no layout to check).
func reached(t *cheader.Type) *cheader.Struct {
	for t != nil && t.Kind == cheader.Pointer {
		t = t.Elem
	}
	if t == nil || t.Kind != cheader.StructKind || t.Struct == nil || t.Struct.Opaque {
		return nil
	}
	return t.Struct
}

func layoutOf(st *cheader.Struct) Layout {
	l := Layout{Name: st.Name, Size: st.Size, Align: int64(st.Align)}
	for _, f := range st.Fields {
		fl := FieldLayout{Name: f.Name, Offset: f.Offset, Size: f.Size}
		t := f.Type
		if t.Kind == cheader.Array {
			t = t.Elem
		}
		if t.Kind == cheader.StructKind && t.Struct != nil && !t.Struct.Opaque {
			inner := layoutOf(t.Struct)
			fl.Struct = &inner
		}
		l.Fields = append(l.Fields, fl)
	}
	return l
}

// EngineReport is the ABI check of one engine against its header: the struct layouts in its
// DWARF, and the boundary's own version and layout functions where the contract names them.
type EngineReport struct {
	Engine, Path string
	DWARF        Report
	// NoDebugInfo is set when the library carries no DWARF: the layout check from DWARF was
	// skipped (a line says so), the version and layout functions still ran.
	NoDebugInfo bool
	// Version is the engine's answer from the contract's version function, Want the header
	// constant; both 0 when the contract names none.
	Version, Want int64
	// Skews are the problems of the version and layout functions, one line each.
	Skews []string
}

// OK reports whether everything checked agrees (a library without debug info can be OK: its
// skip line says what was not checked).
func (r EngineReport) OK() bool { return r.DWARF.OK() && len(r.Skews) == 0 }

// Lines returns one line per problem, the skipped DWARF check included.
func (r EngineReport) Lines(verbose bool) []string {
	var out []string
	if r.NoDebugInfo {
		out = append(out, fmt.Sprintf("abi: %s: no debug info, layout check from DWARF skipped", r.Path))
	}
	out = append(out, r.Skews...)
	return append(out, r.DWARF.Lines(verbose)...)
}

// CheckEngine checks one engine: DWARF layouts against the header, then the contract's version
// function against its constant and its layout function against the layout_fields it names.
func CheckEngine(b *boundary.Boundary, e *boundary.Engine) (EngineReport, error) {
	r := EngineReport{Engine: e.Name, Path: e.Path}
	lib, err := ReadDWARF(e.Path)
	switch {
	case errors.Is(err, ErrNoDebugInfo):
		r.NoDebugInfo = true
	case err != nil:
		return r, err
	default:
		r.DWARF = Compare(lib, Expected(b.Header))
	}
	c := b.Contract
	if c.ABI.Version != "" {
		res, err := e.Call(c.ABI.Version, nil)
		if err != nil {
			return r, err
		}
		r.Version = res.Ret
		if c.ABI.Expect != "" {
			want, ok := b.Header.Const(c.ABI.Expect)
			if !ok {
				return r, fmt.Errorf("%s:%d: abi.expect: %s is not a constant of %s", c.Path, c.ABI.Line, c.ABI.Expect, b.Header.Path)
			}
			r.Want = want
			if r.Version != want {
				r.Skews = append(r.Skews, fmt.Sprintf("abi version: %s() says %d, header %s says %d", c.ABI.Version, r.Version, c.ABI.Expect, want))
			}
		}
	}
	if c.ABI.Layout != "" {
		skews, err := checkLayoutFunc(b, e)
		if err != nil {
			return r, err
		}
		r.Skews = append(r.Skews, skews...)
	}
	return r, nil
}

// checkLayoutFunc calls the boundary's layout function and compares each field it fills with
// the expression the contract gives for it, evaluated on the header's layout.
func checkLayoutFunc(b *boundary.Boundary, e *boundary.Engine) ([]string, error) {
	c := b.Contract
	f := c.Function(c.ABI.Layout)
	if f == nil || len(f.Params) != 1 || f.Params[0].Role != contract.RoleOutStruct {
		return nil, fmt.Errorf("%s:%d: abi.layout: %s must be a function of the contract with one out_struct parameter", c.Path, c.ABI.Line, c.ABI.Layout)
	}
	out := f.Params[0].Name
	res, err := e.Call(c.ABI.Layout, nil)
	if err != nil {
		return nil, err
	}
	var skews []string
	// An engine built against a bigger layout struct writes past the one the header has.
	for _, o := range res.Overruns {
		skews = append(skews, fmt.Sprintf("layout skew: %s(%s) wrote outside the header's %s: %s", c.ABI.Layout, out, f.Params[0].Of, o))
	}
	got := res.Out[out].Fields
	for _, lf := range c.ABI.LayoutFields {
		want, err := evalLayout(b.Header, lf)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: abi.layout_fields.%s: %w", c.Path, lf.Line, lf.Field, err)
		}
		v, ok := got[lf.Field]
		if !ok {
			return nil, fmt.Errorf("%s:%d: abi.layout_fields: %s is not a field of %s", c.Path, lf.Line, lf.Field, f.Params[0].Of)
		}
		if v.Int != want {
			expr := fmt.Sprintf("%s(%s)", lf.What, lf.Type)
			if lf.What == "offsetof" {
				expr = fmt.Sprintf("offsetof(%s, %s)", lf.Type, lf.Of)
			}
			skews = append(skews, fmt.Sprintf("layout skew: %s: engine says %d, header says %d (%s.%s)", expr, v.Int, want, c.ABI.Layout, lf.Field))
		}
	}
	return skews, nil
}

func evalLayout(h *cheader.Header, lf contract.LayoutField) (int64, error) {
	st := h.Struct(lf.Type)
	if st == nil || st.Opaque {
		return 0, fmt.Errorf("%s is not a struct with a layout in %s", lf.Type, h.Path)
	}
	switch lf.What {
	case "sizeof":
		return st.Size, nil
	case "alignof":
		return int64(st.Align), nil
	}
	fld := st.Field(lf.Of)
	if fld == nil {
		return 0, fmt.Errorf("%s has no field %s", lf.Type, lf.Of)
	}
	return fld.Offset, nil
}
