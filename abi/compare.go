package abi

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// Key names a struct by the way the header reaches it: a function and the index of the
// parameter that points at it (0 is the first parameter; ReturnIndex is the return value).
// Engines name structs their own way, so this is the only name both sides share.
type Key struct {
	Func  string
	Param int
}

// Layout is the header's view of one struct, the expected side of Compare.
type Layout struct {
	Name  string // the header's name, used in messages
	Size  int64
	Align int64 // checked only where the engine's DWARF states an alignment; 0 skips it
	// Fields in declaration order. A Layout with no fields and Size 0 is an opaque
	// declaration: nothing is checked.
	Fields []FieldLayout
}

// FieldLayout is the header's view of one field. Fields are matched by position, not name:
// the Rust engine may spell them differently.
type FieldLayout struct {
	Name   string
	Offset int64
	Size   int64
	// BitSize and BitOffset (bits from the start of the struct) describe a bit field; for
	// one, only these are compared, since DWARF 4+ no longer gives the storage unit's byte
	// offset.
	BitSize   int64
	BitOffset int64
	// Struct, when set, is the field's own struct layout (a nested struct or the element
	// of an array of structs), checked too.
	Struct *Layout
}

// Kind says what a Finding is.
type Kind int

const (
	// Skew is a disagreement between engine and header: the ABI check fails.
	Skew Kind = iota
	// Unchecked is a layout the engine's DWARF cannot show (the function is not described,
	// the struct is only declared): not a pass, so it is reported, but not a skew.
	Unchecked
	// Note is a difference that does not change the ABI (a field spelled differently), for
	// a verbose listing only.
	Note
)

// Finding is one line of a Compare result.
type Finding struct {
	Kind      Kind
	Func      string
	Param     int    // ReturnIndex for the return value
	ParamName string // the engine's name for the parameter, if DWARF gives one
	Struct    string // the header's name for the struct
	// What is the compared property: "sizeof", "alignof", "field count",
	// "offsetof(coupon_len)", "sizeof(inner.x)", "bit field(flags)", "type", "parameter".
	What           string
	Engine, Header string // the two values; Engine is a reason for Unchecked
}

// String is the finding as one line, e.g.
//
//	layout skew: widget_price param 1 req (widget_request): offsetof(coupon_len): engine DWARF says 40, header says 32
func (f Finding) String() string {
	where := f.Func + " return"
	if f.Param != ReturnIndex {
		where = f.Func + " param " + strconv.Itoa(f.Param)
		if f.ParamName != "" {
			where += " " + f.ParamName
		}
	}
	if f.Struct != "" {
		where += " (" + f.Struct + ")"
	}
	switch f.Kind {
	case Unchecked:
		return fmt.Sprintf("layout unchecked: %s: %s", where, f.Engine)
	case Note:
		return fmt.Sprintf("layout note: %s: %s: engine DWARF says %s, header says %s", where, f.What, f.Engine, f.Header)
	}
	return fmt.Sprintf("layout skew: %s: %s: engine DWARF says %s, header says %s", where, f.What, f.Engine, f.Header)
}

// Report is the outcome of comparing one library with the header.
type Report struct {
	Path     string
	Checked  int // layouts compared (keys whose struct the engine's DWARF shows)
	Findings []Finding
}

// OK reports whether every expected layout was checked and agrees.
func (r Report) OK() bool {
	for _, f := range r.Findings {
		if f.Kind != Note {
			return false
		}
	}
	return true
}

// Lines returns one line per skew and unchecked layout, and with verbose the notes too.
func (r Report) Lines(verbose bool) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Kind != Note || verbose {
			out = append(out, f.String())
		}
	}
	return out
}

// Compare checks every expected layout against the struct the library's DWARF reaches
// through the same function and parameter. Findings come in key order (function name, then
// parameter), so two runs print the same lines.
func Compare(lib *Library, want map[Key]Layout) Report {
	keys := make([]Key, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Func, b.Func), cmp.Compare(a.Param, b.Param))
	})
	r := Report{Path: lib.Path}
	for _, k := range keys {
		w := want[k]
		c := comparison{base: Finding{Func: k.Func, Param: k.Param, Struct: w.Name}}
		if s := c.reach(lib, k); s != nil {
			r.Checked++
			c.structs("", s, w)
		}
		r.Findings = append(r.Findings, c.out...)
	}
	return r
}

// comparison collects the findings of one key.
type comparison struct {
	base Finding
	out  []Finding
}

func (c *comparison) add(kind Kind, what string, engine, header any) {
	f := c.base
	f.Kind, f.What = kind, what
	f.Engine, f.Header = fmt.Sprint(engine), fmt.Sprint(header)
	c.out = append(c.out, f)
}

// reach finds the struct the key's parameter reaches in the engine's DWARF, or records why
// there is none.
func (c *comparison) reach(lib *Library, k Key) *Struct {
	fn, ok := lib.Funcs[k.Func]
	if !ok {
		c.add(Unchecked, "function", "engine DWARF does not describe exported function "+k.Func, "")
		return nil
	}
	var p *Param
	switch {
	case k.Param == ReturnIndex && fn.Return != nil:
		p = fn.Return
	case k.Param == ReturnIndex:
		c.add(Skew, "return type", "void", "a struct")
		return nil
	case k.Param < 0 || k.Param >= len(fn.Params):
		c.add(Skew, "parameter", fmt.Sprintf("%d parameters", len(fn.Params)), fmt.Sprintf("at least %d", k.Param+1))
		return nil
	default:
		p = &fn.Params[k.Param]
	}
	c.base.ParamName = p.Name
	switch {
	case p.Struct == nil && slices.ContainsFunc(p.Chain, isPointer):
		// A pointer to void or bytes where the header has a struct pointer is the same
		// ABI (Rust engines often say *mut c_void); the layout just cannot be seen.
		c.add(Unchecked, "type", "engine DWARF says "+p.Type+", a pointer to no struct, so the layout cannot be seen", "")
		return nil
	case p.Struct == nil:
		c.add(Skew, "type", p.Type+" (reaches no struct)", "a struct")
		return nil
	case p.Struct.Opaque:
		what := p.Struct.Kind + " " + p.Struct.Name
		if p.Struct.Name == "" {
			what = "the " + p.Struct.Kind // a type unit abi cannot read hides even the name
		}
		c.add(Unchecked, "struct", "engine DWARF does not show the layout of "+what+": "+p.Struct.Why, "")
		return nil
	}
	return p.Struct
}

// isPointer reports whether a type chain word is a pointer or reference.
func isPointer(word string) bool {
	return word == "pointer" || word == "reference" || word == "rvalue reference"
}

// structs compares one struct; prefix names the enclosing field of a nested one ("inner.").
func (c *comparison) structs(prefix string, s *Struct, w Layout) {
	if w.Size == 0 && len(w.Fields) == 0 {
		return // opaque in the header: it promises no layout
	}
	alignof, count := "alignof", "field count"
	if prefix == "" {
		if s.Size != w.Size {
			c.add(Skew, "sizeof", s.Size, w.Size)
		}
	} else {
		// A nested struct's size is its field's size, already compared by the caller.
		inner := prefix[:len(prefix)-1]
		alignof, count = "alignof("+inner+")", "field count("+inner+")"
	}
	if s.Align != 0 && w.Align != 0 && s.Align != w.Align {
		c.add(Skew, alignof, s.Align, w.Align)
	}
	if len(s.Fields) != len(w.Fields) {
		c.add(Skew, count, len(s.Fields), len(w.Fields))
	}
	// An engine that names every field as the header does is matched by name, so two fields of
	// one size swapped are a skew; one that spells them its own way (Rust's style), by position.
	if byName := fieldsByName(s.Fields, w.Fields); byName != nil {
		for _, f := range w.Fields {
			c.field(prefix, byName[f.Name], f)
		}
		return
	}
	for i := range min(len(s.Fields), len(w.Fields)) {
		c.field(prefix, s.Fields[i], w.Fields[i])
	}
}

// fieldsByName returns the engine's fields by name when it has one of every header field name,
// nil otherwise.
func fieldsByName(got []Field, want []FieldLayout) map[string]Field {
	m := make(map[string]Field, len(got))
	for _, f := range got {
		m[f.Name] = f
	}
	for _, f := range want {
		if _, ok := m[f.Name]; !ok || f.Name == "" {
			return nil
		}
	}
	return m
}

// field compares a field of both sides, matched by name or by position.
func (c *comparison) field(prefix string, got Field, w FieldLayout) {
	name := prefix + w.Name
	if got.Name != w.Name {
		c.add(Note, "name("+name+")", got.Name, w.Name)
	}
	if got.BitSize != 0 || w.BitSize != 0 {
		if got.BitSize != w.BitSize || got.BitOffset != w.BitOffset {
			c.add(Skew, "bit field("+name+")", bitDesc(got.BitSize, got.BitOffset), bitDesc(w.BitSize, w.BitOffset))
		}
		return
	}
	if got.Offset != w.Offset {
		c.add(Skew, "offsetof("+name+")", got.Offset, w.Offset)
	}
	if got.Size != w.Size {
		c.add(Skew, "sizeof("+name+")", got.Size, w.Size)
	}
	if w.Struct == nil {
		return
	}
	if got.Struct == nil {
		c.add(Skew, "type("+name+")", got.Type+" (not a struct)", "struct "+w.Struct.Name)
		return
	}
	if got.Struct.Opaque {
		c.add(Unchecked, "type("+name+")", "engine DWARF does not show the layout of field "+name+": "+got.Struct.Why, "")
		return
	}
	c.structs(name+".", got.Struct, *w.Struct)
}

// bitDesc spells a bit field's place, or says it is none.
func bitDesc(size, offset int64) string {
	if size == 0 {
		return "not a bit field"
	}
	return fmt.Sprintf("%d bits at bit %d", size, offset)
}
