// Package abi reads the struct layouts a shared library was compiled with from its DWARF
// debug info and compares them with the layouts a C header declares.
//
// It needs nothing from the engine: no layout function, no cgo, not even dlopen — only the
// ELF file. Layouts are found through the exported functions' parameters (function name and
// parameter index lead to the struct the parameter points at), never by struct name, because
// engines name the header's structs their own way (the Rust engine says WidgetRequest where
// the header says widget_request).
package abi

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ErrNoDebugInfo is what ReadDWARF's error wraps when the library carries no DWARF that
// describes its exported functions (stripped, or built without -g). A caller prints one line,
// "abi: " + err.Error() + ", layout check skipped", and goes on: a library without debug info
// is not a pass, and not a crash either.
var ErrNoDebugInfo = errors.New("no debug info")

// NoDebugInfoError is the error ReadDWARF returns for a library without usable DWARF. Its
// Error is "<path>: no debug info"; Detail says why (for a -v line).
type NoDebugInfoError struct {
	Path   string
	Detail string // e.g. "no .debug_info section"
}

// Error is "<path>: no debug info", the middle of the caller's skip line.
func (e *NoDebugInfoError) Error() string { return e.Path + ": no debug info" }

// Is makes errors.Is(err, ErrNoDebugInfo) true.
func (e *NoDebugInfoError) Is(target error) bool { return target == ErrNoDebugInfo }

// ReturnIndex is the parameter index that names a function's return value in a Key and a
// Param, so a struct returned by pointer is checked like one passed in.
const ReturnIndex = -1

// Library is what one shared library's DWARF says about its exported functions.
type Library struct {
	Path  string
	Funcs map[string]*Func // by symbol name
}

// Func is one exported function as DWARF describes it.
type Func struct {
	Name   string
	Params []Param // in declaration order; Params[i].Index == i
	Return *Param  // nil for void; Index is ReturnIndex
	// Declared is set when only a declaration describes the function (say, a caller's
	// unit built with -g while the defining one was not): its types are how that caller
	// saw the header, which is still this library's view but not its definition's.
	Declared bool
	Variadic bool // ends in ... (DW_TAG_unspecified_parameters)
}

// Param is one parameter (or the return value) and the type chain that leads from it to a
// struct, if any.
type Param struct {
	Index int
	Name  string // empty when DWARF does not name it
	Type  string // C-like spelling, e.g. "const widget_request *" or "*const mylib_rust::abi::WidgetRequest"
	// Chain is every type the parameter's type passes through, outermost first, e.g.
	// ["pointer", "const", "typedef widget_request", "struct widget_request"].
	Chain []string
	// Struct is the struct (or union) the chain ends at, through pointers, typedefs,
	// qualifiers and arrays; nil when it ends at anything else (an integer, void).
	Struct *Struct
}

// Struct is one struct, class or union layout.
type Struct struct {
	Kind string // "struct", "class" or "union"
	Name string // as the engine names it (DW_AT_name; empty for an anonymous struct)
	Size int64
	// Align is DW_AT_alignment: rustc always emits it, C and C++ compilers only for an
	// explicit alignas. 0 means DWARF does not say (and is not guessed, since a packed
	// struct would make a guess wrong).
	Align int64
	// Opaque is set for a struct whose layout the DWARF does not show: one it only declares
	// (an opaque handle such as widget_cache) that no unit defines unambiguously, or one in
	// a DWARF 4 type unit. It has no size and no fields; Why says which.
	Opaque bool
	Why    string
	Fields []Field
}

// Field is one data member.
type Field struct {
	Name string
	// Offset is in bytes from the start of the struct; for a bit field it is the storage
	// unit's where DWARF 2/3 gives one, else the byte holding the field's first bit.
	Offset int64
	Size   int64 // bytes of its type (for a bit field, of the storage unit)
	Type   string
	// BitSize is non-zero for a bit field: its width in bits, starting BitOffset bits from
	// the start of the struct.
	BitSize   int64
	BitOffset int64
	// Struct is the field's own layout when the field is a struct or an array of structs
	// (not through a pointer: a pointed-to struct is not part of this one's layout).
	Struct *Struct
}

// ReadDWARF reads the exported functions of the ELF shared library at path and every struct
// their parameters and return values reach. A library without DWARF for its exported
// functions gives a *NoDebugInfoError (errors.Is ErrNoDebugInfo). Compressed debug sections
// (SHF_COMPRESSED and .zdebug) are read as they are.
//
// Every error names path and none starts with "abi:", so a caller prefixes its own
// ("abi: " + err) as it does for the no-debug-info line.
func ReadDWARF(path string) (*Library, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err // "open <path>: ..."
	}
	defer file.Close()
	f, err := elf.NewFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: not an ELF library: %w", path, err)
	}
	if f.Section(".debug_info") == nil && f.Section(".zdebug_info") == nil {
		return nil, &NoDebugInfoError{Path: path, Detail: "no .debug_info section" + debugLink(f)}
	}
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: reading DWARF: %w", path, err)
	}
	exported, err := exportedFuncs(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rd := &reader{d: d, r: d.Reader(), structs: map[dwarf.Offset]*Struct{},
		sigs: typeUnits(f), bigEndian: f.ByteOrder == binary.BigEndian}
	lib := &Library{Path: path, Funcs: map[string]*Func{}}
	if err := rd.funcs(lib, exported); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(lib.Funcs) == 0 {
		return nil, &NoDebugInfoError{Path: path, Detail: fmt.Sprintf("DWARF describes none of its %d exported functions", len(exported))}
	}
	return lib, nil
}

// typeUnits maps the signature of each DWARF 5 type unit in .debug_info to the offset of the
// type it holds. Go's dwarf.Reader walks those units but does not expose their headers, which
// is where the signature and the type's offset are; so they are read here. A truncated or
// odd header ends the scan: a signature not found leaves its types unchecked, never wrong.
func typeUnits(f *elf.File) map[uint64]dwarf.Offset {
	sec := f.Section(".debug_info")
	if sec == nil {
		return nil
	}
	b, err := sec.Data()
	if err != nil {
		return nil
	}
	const utType, utSplitType = 0x02, 0x06
	bo := f.ByteOrder
	out := map[uint64]dwarf.Offset{}
	for start := 0; start+4 <= len(b); {
		off, length, offSize := start+4, uint64(bo.Uint32(b[start:])), 4
		if length == 0xffffffff { // 64-bit DWARF
			if start+12 > len(b) {
				break
			}
			off, length, offSize = start+12, bo.Uint64(b[start+4:]), 8
		}
		if length > uint64(len(b)-off) {
			break
		}
		end := off + int(length)
		// version (2), unit type (1), address size (1), abbrev offset, signature (8), type offset
		if p := off + 4 + offSize; p+8+offSize <= end && bo.Uint16(b[off:]) >= 5 && (b[off+2] == utType || b[off+2] == utSplitType) {
			sig := bo.Uint64(b[p:])
			typeOff := uint64(bo.Uint32(b[p+8:]))
			if offSize == 8 {
				typeOff = bo.Uint64(b[p+8:])
			}
			out[sig] = dwarf.Offset(uint64(start) + typeOff)
		}
		start = end
	}
	return out
}

// debugLink names the separate debug file a stripped library points at, so the skip line
// can say where the debug info went.
func debugLink(f *elf.File) string {
	s := f.Section(".gnu_debuglink")
	if s == nil {
		return ""
	}
	b, err := s.Data()
	if err != nil {
		return ""
	}
	name, _, _ := strings.Cut(string(b), "\x00")
	return " (debug info is in a separate file: " + name + ")"
}

// exportedFuncs returns the names of the functions the library defines in its dynamic symbol
// table. DW_AT_external alone is not enough: a Rust cdylib's DWARF marks hundreds of std
// functions external that the library does not export.
func exportedFuncs(f *elf.File) (map[string]bool, error) {
	syms, err := f.DynamicSymbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return nil, fmt.Errorf("reading dynamic symbols: %w", err)
	}
	out := map[string]bool{}
	for _, s := range syms {
		t := elf.ST_TYPE(s.Info)
		if s.Section == elf.SHN_UNDEF || (t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC) {
			continue
		}
		if b := elf.ST_BIND(s.Info); b != elf.STB_GLOBAL && b != elf.STB_WEAK {
			continue
		}
		out[s.Name] = true
	}
	return out, nil
}

// reader walks DWARF entries by offset; structs are cached by offset so a struct reached
// through several parameters (or nested in itself through a pointer) is read once.
type reader struct {
	d       *dwarf.Data
	r       *dwarf.Reader
	structs map[dwarf.Offset]*Struct
	byName  map[string][]dwarf.Offset // complete structs by name, built on the first declared one
	// sigs finds the DIE of a type a DWARF 5 type unit holds (gcc -fdebug-types-section), by
	// the signature a DW_FORM_ref_sig8 reference or a DW_AT_signature names.
	sigs      map[uint64]dwarf.Offset
	bigEndian bool // the target's: it places DWARF 2/3 bit fields
}

// funcs fills lib with every exported subprogram. A function can have several DIEs (a
// declaration, a definition pointing at it with DW_AT_specification, out-of-line copies with
// DW_AT_abstract_origin, one per CU for C++ inline functions); the first definition wins, a
// declaration is kept only until one turns up.
func (rd *reader) funcs(lib *Library, exported map[string]bool) error {
	type cand struct {
		off  dwarf.Offset
		decl bool
	}
	found := map[string]cand{}
	var order []string
	err := rd.walk(func(e *dwarf.Entry) error {
		if e.Tag != dwarf.TagSubprogram {
			return nil
		}
		name, ext, decl, err := rd.subprogramName(e)
		// Without a dynamic symbol table (not a shared library) every external function
		// counts as exported.
		if err != nil || name == "" || !ext || (len(exported) > 0 && !exported[name]) {
			return err
		}
		prev, seen := found[name]
		if seen && (decl || !prev.decl) {
			return nil
		}
		if !seen {
			order = append(order, name)
		}
		found[name] = cand{off: e.Offset, decl: decl}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range order {
		fn, err := rd.function(name, found[name].off)
		if err != nil {
			return fmt.Errorf("function %s: %w", name, err)
		}
		fn.Declared = found[name].decl
		lib.Funcs[name] = fn
	}
	return nil
}

// subprogramName returns the symbol name of a subprogram DIE (its linkage name if it has
// one, which is what the dynamic symbol table holds for C++; else its name, which is the
// symbol of a C or extern "C" or #[no_mangle] function), whether it is external and whether
// it is only a declaration.
func (rd *reader) subprogramName(e *dwarf.Entry) (name string, external, decl bool, err error) {
	decl, _ = e.Val(dwarf.AttrDeclaration).(bool)
	chain, err := rd.origins(e)
	if err != nil {
		return "", false, false, err
	}
	var plain string
	for _, c := range chain {
		if name == "" {
			name, _ = c.Val(dwarf.AttrLinkageName).(string)
		}
		if plain == "" {
			plain, _ = c.Val(dwarf.AttrName).(string)
		}
		if !external {
			external, _ = c.Val(dwarf.AttrExternal).(bool)
		}
	}
	if name == "" {
		name = plain
	}
	return name, external, decl, nil
}

// origins is e followed by the DIEs it completes: DW_AT_specification (a C++ member defined
// outside its class points at the declaration in the class) and DW_AT_abstract_origin (an
// out-of-line copy points at the abstract instance). The name, the external flag and the
// return type may each sit on any of them.
func (rd *reader) origins(e *dwarf.Entry) ([]*dwarf.Entry, error) {
	chain := []*dwarf.Entry{e}
	// A copy → its abstract instance → its declaration is as deep as it gets; the bound
	// keeps a cycle in bad DWARF from hanging.
	for range 4 {
		next, ok := e.Val(dwarf.AttrSpecification).(dwarf.Offset)
		if !ok {
			next, ok = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
		}
		if !ok {
			break
		}
		var err error
		if e, err = rd.entry(next); err != nil {
			return nil, err
		}
		chain = append(chain, e)
	}
	return chain, nil
}

// entry reads the DIE at off.
func (rd *reader) entry(off dwarf.Offset) (*dwarf.Entry, error) {
	rd.r.Seek(off)
	e, err := rd.r.Next()
	if err != nil {
		return nil, fmt.Errorf("reading DWARF at %#x: %w", off, err)
	}
	if e == nil {
		return nil, fmt.Errorf("no DWARF entry at %#x", off)
	}
	return e, nil
}

// children reads the direct children of the DIE at off.
func (rd *reader) children(off dwarf.Offset) ([]*dwarf.Entry, error) {
	e, err := rd.entry(off)
	if err != nil || !e.Children {
		return nil, err
	}
	var out []*dwarf.Entry
	for {
		c, err := rd.r.Next()
		if err != nil {
			return nil, fmt.Errorf("reading DWARF children of %#x: %w", off, err)
		}
		if c == nil || c.Tag == 0 {
			return out, nil
		}
		out = append(out, c)
		if c.Children {
			rd.r.SkipChildren()
		}
	}
}

// function reads one subprogram's parameters and return type.
func (rd *reader) function(name string, off dwarf.Offset) (*Func, error) {
	e, err := rd.entry(off)
	if err != nil {
		return nil, err
	}
	fn := &Func{Name: name}
	chain, err := rd.origins(e)
	if err != nil {
		return nil, err
	}
	for _, c := range chain {
		if hasType(c) {
			p, err := rd.param(ReturnIndex, "", c)
			if err != nil {
				return nil, err
			}
			fn.Return = &p
			break
		}
	}
	kids, err := rd.children(off)
	if err != nil {
		return nil, err
	}
	for _, c := range kids {
		if c.Tag == dwarf.TagUnspecifiedParameters {
			fn.Variadic = true
		}
		if c.Tag != dwarf.TagFormalParameter {
			continue
		}
		pname, _ := c.Val(dwarf.AttrName).(string)
		holder := c
		if origin, isCopy := c.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); isCopy && (!hasType(c) || pname == "") {
			// An out-of-line copy's parameters point at the abstract ones for name and type.
			oe, err := rd.entry(origin)
			if err != nil {
				return nil, err
			}
			if pname == "" {
				pname, _ = oe.Val(dwarf.AttrName).(string)
			}
			if !hasType(c) {
				holder = oe
			}
		}
		if !hasType(holder) {
			return nil, fmt.Errorf("parameter %d (%s) has no type", len(fn.Params), pname)
		}
		p, err := rd.param(len(fn.Params), pname, holder)
		if err != nil {
			return nil, err
		}
		fn.Params = append(fn.Params, p)
	}
	return fn, nil
}

// typeAttr returns the DIE's DW_AT_type, following a type signature into a DWARF 5 type
// unit; false for no type (void) and for a signature it cannot follow (see lostType).
func (rd *reader) typeAttr(e *dwarf.Entry) (dwarf.Offset, bool) {
	switch t := e.Val(dwarf.AttrType).(type) {
	case dwarf.Offset:
		return t, true
	case uint64:
		off, ok := rd.sigs[t]
		return off, ok
	}
	return 0, false
}

// hasType reports whether the DIE has a DW_AT_type of any form.
func hasType(e *dwarf.Entry) bool { return e.Val(dwarf.AttrType) != nil }

// lostType reports whether the DIE's type is a signature this reader cannot follow: a
// DWARF 4 type unit's (gcc -gdwarf-4 -fdebug-types-section), in .debug_types, which no
// dwarf.Reader walks. (Go's own type reader does reach them, but fails on gcc 12's.)
func (rd *reader) lostType(e *dwarf.Entry) bool {
	sig, ok := e.Val(dwarf.AttrType).(uint64)
	_, found := rd.sigs[sig]
	return ok && !found
}

// skeleton replaces a struct DIE that only stands in for a type unit's (DW_AT_signature)
// with the type unit's own, where it can be found.
func (rd *reader) skeleton(e *dwarf.Entry) (*dwarf.Entry, error) {
	sig, ok := e.Val(dwarf.AttrSignature).(uint64)
	if !ok {
		return e, nil
	}
	if def, found := rd.sigs[sig]; found {
		return rd.entry(def)
	}
	return e, nil
}

// inTypeUnit is the Why of a struct (or a struct with a field) in a type unit abi cannot
// read: its layout is left unchecked, never guessed.
const inTypeUnit = "in a DWARF 4 type unit (.debug_types), which abi does not read"

// errLost is a type in such a type unit, met while sizing a field.
var errLost = errors.New(inTypeUnit)

// param follows a parameter's type (the DW_AT_type of holder, a formal parameter or a
// subprogram for the return value) to the struct it reaches, if any.
func (rd *reader) param(index int, name string, holder *dwarf.Entry) (Param, error) {
	p := Param{Index: index, Name: name}
	lost := func() (Param, error) {
		p.Chain = append(p.Chain, "type unit")
		p.Struct = &Struct{Kind: "struct", Opaque: true, Why: inTypeUnit}
		return p, nil
	}
	if rd.lostType(holder) {
		p.Type = "type unit"
		return lost()
	}
	off, ok := rd.typeAttr(holder)
	if !ok {
		return p, fmt.Errorf("parameter %d (%s): unsupported type reference %v", index, name, holder.Val(dwarf.AttrType))
	}
	typ, err := rd.typeName(off, 0)
	if err != nil {
		return p, err
	}
	p.Type = typ
	for depth := 0; ok; depth++ {
		if depth > maxChain {
			return p, fmt.Errorf("type chain of parameter %d longer than %d", index, maxChain)
		}
		e, err := rd.entry(off)
		if err != nil {
			return p, err
		}
		if e, err = rd.skeleton(e); err != nil {
			return p, err
		}
		ename, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
			s, err := rd.structAt(e)
			if err != nil {
				return p, err
			}
			if inner, ok, err := rd.optionPointee(e, s); err != nil {
				return p, err
			} else if ok {
				// Rust's Option<&T> and NonNull<T> are pointers in the ABI: follow them to
				// T like a pointer.
				p.Chain = append(p.Chain, tagWord(e.Tag)+" "+ename)
				off = inner
				continue
			}
			p.Chain = append(p.Chain, tagWord(e.Tag)+" "+ename)
			p.Struct = s
			return p, nil
		case dwarf.TagTypedef:
			p.Chain = append(p.Chain, tagWord(e.Tag)+" "+ename)
		case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType,
			dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType,
			dwarf.TagArrayType:
			p.Chain = append(p.Chain, tagWord(e.Tag))
		default:
			// An integer, an enum, a function (whose DW_AT_type is its return type, not
			// something this parameter points at): the chain ends without a struct.
			p.Chain = append(p.Chain, strings.TrimSpace(tagWord(e.Tag)+" "+ename))
			return p, nil
		}
		if rd.lostType(e) {
			return lost()
		}
		off, ok = rd.typeAttr(e)
	}
	return p, nil
}

// maxChain bounds a type chain: DWARF is input, and a loop in it must not hang the check.
const maxChain = 64

// tagWord is the chain word for a type DIE's tag.
func tagWord(t dwarf.Tag) string {
	switch t {
	case dwarf.TagPointerType:
		return "pointer"
	case dwarf.TagReferenceType:
		return "reference"
	case dwarf.TagRvalueReferenceType:
		return "rvalue reference"
	case dwarf.TagConstType:
		return "const"
	case dwarf.TagVolatileType:
		return "volatile"
	case dwarf.TagRestrictType:
		return "restrict"
	case dwarf.TagAtomicType:
		return "atomic"
	case dwarf.TagArrayType:
		return "array"
	case dwarf.TagTypedef:
		return "typedef"
	case dwarf.TagBaseType:
		return "base"
	case dwarf.TagEnumerationType:
		return "enum"
	case dwarf.TagStructType:
		return "struct"
	case dwarf.TagClassType:
		return "class"
	case dwarf.TagUnionType:
		return "union"
	case dwarf.TagSubroutineType:
		return "function"
	}
	return strings.TrimPrefix(t.String(), "Tag")
}

// optionPointee recognises the two pointer-sized Rust wrappers that are plain pointers in
// the ABI: NonNull<T> (a struct with one pointer member) and Option<&T>, Option<&mut T> and
// Option<NonNull<T>> (a struct without members whose variant part holds a Some variant
// with one member). It returns the type the wrapper holds.
func (rd *reader) optionPointee(e *dwarf.Entry, s *Struct) (dwarf.Offset, bool, error) {
	name, _ := e.Val(dwarf.AttrName).(string)
	if s.Size != rd.ptrSize(e.Offset) {
		return 0, false, nil
	}
	nonNull := strings.HasPrefix(name, "NonNull<") && len(s.Fields) == 1
	if !nonNull && (len(s.Fields) != 0 || !strings.HasPrefix(name, "Option<")) {
		return 0, false, nil
	}
	if nonNull {
		ptr, err := rd.childrenWith(e.Offset, dwarf.TagMember, "")
		if err != nil || len(ptr) == 0 {
			return 0, false, err
		}
		t, ok := rd.typeAttr(ptr[0])
		return t, ok, nil
	}
	// Option<&T> → variant part → variant → member "Some" of type Some → field __0.
	off := []dwarf.Offset{e.Offset}
	for _, step := range []struct {
		tag  dwarf.Tag
		name string
	}{{dwarf.TagVariantPart, ""}, {dwarf.TagVariant, ""}, {dwarf.TagMember, "Some"}} {
		var next []dwarf.Offset
		for _, o := range off {
			kids, err := rd.childrenWith(o, step.tag, step.name)
			if err != nil {
				return 0, false, err
			}
			for _, k := range kids {
				if step.tag != dwarf.TagMember {
					next = append(next, k.Offset)
				} else if t, ok := rd.typeAttr(k); ok {
					next = append(next, t) // the Some member's type: the struct Some
				}
			}
		}
		off = next
	}
	for _, some := range off {
		f, err := rd.childrenWith(some, dwarf.TagMember, "__0")
		if err != nil || len(f) == 0 {
			return 0, false, err
		}
		t, ok := rd.typeAttr(f[0])
		return t, ok, nil
	}
	return 0, false, nil
}

// childrenWith is the direct children of the DIE at off with the tag (and the name, unless
// name is empty).
func (rd *reader) childrenWith(off dwarf.Offset, tag dwarf.Tag, name string) ([]*dwarf.Entry, error) {
	kids, err := rd.children(off)
	var out []*dwarf.Entry
	for _, k := range kids {
		if n, _ := k.Val(dwarf.AttrName).(string); k.Tag == tag && (name == "" || n == name) {
			out = append(out, k)
		}
	}
	return out, err
}

// ptrSize is the address size of the unit holding off.
func (rd *reader) ptrSize(off dwarf.Offset) int64 {
	rd.r.Seek(off)
	return int64(rd.r.AddressSize())
}

// structAt reads (once) the layout of the struct, class or union DIE e.
func (rd *reader) structAt(e *dwarf.Entry) (*Struct, error) {
	if s, ok := rd.structs[e.Offset]; ok {
		return s, nil
	}
	name, _ := e.Val(dwarf.AttrName).(string)
	if _, ok := e.Val(dwarf.AttrSignature).(uint64); ok {
		// A skeleton standing in for a type unit's struct.
		de, err := rd.skeleton(e)
		if err != nil {
			return nil, err
		}
		if de == e {
			s := &Struct{Kind: tagWord(e.Tag), Name: name, Opaque: true, Why: inTypeUnit}
			rd.structs[e.Offset] = s
			return s, nil
		}
		s, err := rd.structAt(de)
		rd.structs[e.Offset] = s
		return s, err
	}
	if decl, _ := e.Val(dwarf.AttrDeclaration).(bool); decl {
		s, err := rd.definition(e, name)
		rd.structs[e.Offset] = s
		return s, err
	}
	s := &Struct{Kind: tagWord(e.Tag), Name: name}
	s.Size, _ = e.Val(dwarf.AttrByteSize).(int64)
	s.Align = alignment(e)
	// Cached before the fields are read: a struct may reach itself through a nested field's
	// array of itself only in invalid C, but DWARF is input.
	rd.structs[e.Offset] = s
	kids, err := rd.children(e.Offset)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		if k.Tag != dwarf.TagMember {
			continue
		}
		if static, _ := k.Val(dwarf.AttrExternal).(bool); static {
			continue // a C++ static data member takes no room in the struct
		}
		if decl, _ := k.Val(dwarf.AttrDeclaration).(bool); decl {
			continue
		}
		f, err := rd.field(k, s.Kind == "union")
		if errors.Is(err, errLost) {
			// Without one field's size the rest of the layout proves nothing either way.
			*s = Struct{Kind: s.Kind, Name: name, Opaque: true, Why: "has a field " + inTypeUnit}
			return s, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.Kind, name, err)
		}
		s.Fields = append(s.Fields, f)
	}
	return s, nil
}

// alignment is DW_AT_alignment, 0 when absent.
func alignment(e *dwarf.Entry) int64 {
	switch v := e.Val(dwarf.AttrAlignment).(type) {
	case int64:
		return v
	case uint64:
		return int64(v)
	}
	return 0
}

// definition completes a struct the DIE e only declares. That happens where a unit sees
// just a forward declaration (C, or clang's default -fno-standalone-debug for a type the
// unit only passes by pointer), and another unit of the library defines it. Definitions are
// found by name, so when units define different structs under that name (their sizes
// differ) none is picked: the struct stays opaque rather than risk a false skew.
func (rd *reader) definition(e *dwarf.Entry, name string) (*Struct, error) {
	opaque := &Struct{Kind: tagWord(e.Tag), Name: name, Opaque: true, Why: "only declared"}
	if name == "" {
		return opaque, nil
	}
	if err := rd.indexNames(); err != nil {
		return nil, err
	}
	var found *Struct
	for _, off := range rd.byName[name] {
		de, err := rd.entry(off)
		if err != nil {
			return nil, err
		}
		s, err := rd.structAt(de)
		if err != nil {
			return nil, err
		}
		if found != nil && found.Size != s.Size {
			opaque.Why = "only declared, and units define different structs by this name"
			return opaque, nil
		}
		if found == nil {
			found = s
		}
	}
	if found == nil {
		return opaque, nil
	}
	return found, nil
}

// indexNames indexes every complete named struct, class and union, once: it is needed only
// for a struct some unit merely declares.
func (rd *reader) indexNames() error {
	if rd.byName != nil {
		return nil
	}
	rd.byName = map[string][]dwarf.Offset{}
	return rd.walk(func(e *dwarf.Entry) error {
		switch e.Tag {
		case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
			n, _ := e.Val(dwarf.AttrName).(string)
			if decl, _ := e.Val(dwarf.AttrDeclaration).(bool); n != "" && !decl {
				rd.byName[n] = append(rd.byName[n], e.Offset)
			}
		}
		return nil
	})
}

// walk calls fn on every DIE of the library but those inside a subprogram: nested
// subprograms (closures, inlined copies) are never exported symbols, and function-local
// types never complete a header's struct.
func (rd *reader) walk(fn func(*dwarf.Entry) error) error {
	r := rd.d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("reading DWARF: %w", err)
		}
		if e == nil {
			return nil
		}
		if e.Tag == dwarf.TagSubprogram && e.Children {
			r.SkipChildren()
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// field reads one DW_TAG_member.
func (rd *reader) field(k *dwarf.Entry, union bool) (Field, error) {
	f := Field{}
	f.Name, _ = k.Val(dwarf.AttrName).(string)
	t, ok := rd.typeAttr(k)
	if !ok && !rd.lostType(k) {
		return f, fmt.Errorf("field %s has no type", f.Name)
	}
	loc, hasLoc, err := memberLocation(k)
	if err != nil {
		return f, fmt.Errorf("field %s: %w", f.Name, err)
	}
	if !hasLoc && !union && k.Val(dwarf.AttrDataBitOffset) == nil {
		return f, fmt.Errorf("field %s has no location", f.Name)
	}
	f.Offset = loc
	if !ok {
		return f, errLost
	}
	if f.Type, err = rd.typeName(t, 0); err != nil {
		return f, err
	}
	if f.Size, f.Struct, err = rd.sizeOf(t); err != nil {
		return f, fmt.Errorf("field %s: %w", f.Name, err)
	}
	size := f.Size
	if bits, ok := k.Val(dwarf.AttrBitSize).(int64); ok && bits > 0 {
		f.BitSize = bits
		if dbo, ok := k.Val(dwarf.AttrDataBitOffset).(int64); ok {
			// DWARF 4+: bits from the start of the struct; the byte offset is the storage
			// unit's, which DWARF no longer gives, so take the byte holding the first bit.
			f.BitOffset = dbo
			if !hasLoc {
				f.Offset = dbo / 8
			}
		} else {
			unit := size
			if bs, ok := k.Val(dwarf.AttrByteSize).(int64); ok {
				unit = bs
			}
			bo, _ := k.Val(dwarf.AttrBitOffset).(int64)
			f.BitOffset = rd.oldBitOffset(loc, unit, bo, bits)
		}
	}
	return f, nil
}

// oldBitOffset turns DWARF 2/3's DW_AT_bit_offset, which counts from the most significant
// bit of the storage unit at byte loc, into bits from the start of the struct.
func (rd *reader) oldBitOffset(loc, unit, bitOffset, bits int64) int64 {
	if rd.bigEndian {
		return loc*8 + bitOffset // the most significant bit comes first
	}
	return loc*8 + unit*8 - bitOffset - bits
}

// memberLocation decodes DW_AT_data_member_location: a constant (DWARF 3+) or a location
// expression DW_OP_plus_uconst n (DWARF 2, and some compilers still).
func memberLocation(k *dwarf.Entry) (int64, bool, error) {
	switch v := k.Val(dwarf.AttrDataMemberLoc).(type) {
	case nil:
		return 0, false, nil
	case int64:
		return v, true, nil
	case []byte:
		const opPlusUconst = 0x23
		if len(v) == 0 || v[0] != opPlusUconst {
			return 0, false, fmt.Errorf("unsupported member location expression % x", v)
		}
		n, rest := uleb128(v[1:])
		if len(rest) != 0 {
			return 0, false, fmt.Errorf("unsupported member location expression % x", v)
		}
		return int64(n), true, nil
	default:
		return 0, false, fmt.Errorf("unsupported member location %T", v)
	}
}

func uleb128(b []byte) (uint64, []byte) {
	var n uint64
	for i, c := range b {
		n |= uint64(c&0x7f) << (7 * uint(i))
		if c&0x80 == 0 {
			return n, b[i+1:]
		}
	}
	return n, nil
}

// sizeOf is the byte size of the type at off, and the struct it is (or is an array of).
func (rd *reader) sizeOf(off dwarf.Offset) (int64, *Struct, error) {
	count := int64(1)
	for depth := 0; depth <= maxChain; depth++ {
		e, err := rd.entry(off)
		if err != nil {
			return 0, nil, err
		}
		if e, err = rd.skeleton(e); err != nil {
			return 0, nil, err
		}
		switch e.Tag {
		case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
			s, err := rd.structAt(e)
			if err != nil {
				return 0, nil, err
			}
			return count * s.Size, s, nil
		case dwarf.TagArrayType:
			n, err := rd.arrayCount(off)
			if err != nil {
				return 0, nil, err
			}
			if bs, ok := e.Val(dwarf.AttrByteSize).(int64); ok {
				// The array states its own size; only the element struct is still wanted.
				elem, ok := rd.typeAttr(e)
				if !ok {
					return count * bs, nil, nil // the element is unknown, the size is not
				}
				_, s, err := rd.sizeOf(elem)
				if errors.Is(err, errLost) {
					err = nil
				}
				return count * bs, s, err
			}
			count *= n
		case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
			if bs, ok := e.Val(dwarf.AttrByteSize).(int64); ok {
				return count * bs, nil, nil
			}
			return count * int64(rd.r.AddressSize()), nil, nil
		default:
			if bs, ok := e.Val(dwarf.AttrByteSize).(int64); ok {
				return count * bs, nil, nil
			}
		}
		next, ok := rd.typeAttr(e)
		if !ok && rd.lostType(e) {
			return 0, nil, errLost
		}
		if !ok {
			return 0, nil, fmt.Errorf("type at %#x (%s) has no size", off, tagWord(e.Tag))
		}
		off = next
	}
	return 0, nil, fmt.Errorf("type chain at %#x longer than %d", off, maxChain)
}

// arrayCount multiplies the element counts of an array DIE's subrange children (a C
// int a[2][3] is one array DIE with two subranges). A flexible array member counts 0.
func (rd *reader) arrayCount(off dwarf.Offset) (int64, error) {
	kids, err := rd.children(off)
	if err != nil {
		return 0, err
	}
	n := int64(1)
	for _, k := range kids {
		if k.Tag != dwarf.TagSubrangeType {
			continue
		}
		if c, ok := k.Val(dwarf.AttrCount).(int64); ok {
			n *= c
			continue
		}
		ub, ok := k.Val(dwarf.AttrUpperBound).(int64)
		if !ok {
			return 0, nil
		}
		lb, _ := k.Val(dwarf.AttrLowerBound).(int64)
		n *= ub - lb + 1
	}
	return n, nil
}

// typeName spells the type at off the way C does (Rust names its own pointer types, and
// those names are kept).
func (rd *reader) typeName(off dwarf.Offset, depth int) (string, error) {
	if depth > maxChain {
		return "", fmt.Errorf("type chain at %#x longer than %d", off, maxChain)
	}
	e, err := rd.entry(off)
	if err != nil {
		return "", err
	}
	if e, err = rd.skeleton(e); err != nil {
		return "", err
	}
	name, _ := e.Val(dwarf.AttrName).(string)
	if rd.lostType(e) {
		if e.Tag == dwarf.TagTypedef {
			return name, nil
		}
		return tagWord(e.Tag) + " type unit", nil
	}
	next, hasNext := rd.typeAttr(e)
	inner := func() (string, error) {
		if !hasNext {
			return "void", nil
		}
		return rd.typeName(next, depth+1)
	}
	switch e.Tag {
	case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType, dwarf.TagEnumerationType:
		if name == "" {
			return "anonymous " + tagWord(e.Tag), nil
		}
		return name, nil
	case dwarf.TagPointerType, dwarf.TagReferenceType, dwarf.TagRvalueReferenceType:
		if name != "" {
			return name, nil
		}
		s, err := inner()
		mark := map[dwarf.Tag]string{dwarf.TagPointerType: " *", dwarf.TagReferenceType: " &", dwarf.TagRvalueReferenceType: " &&"}[e.Tag]
		if strings.HasSuffix(s, "*") || strings.HasSuffix(s, "&") {
			return s + strings.TrimSpace(mark), err // order **, not order * *
		}
		return s + mark, err
	case dwarf.TagConstType, dwarf.TagVolatileType, dwarf.TagRestrictType, dwarf.TagAtomicType:
		s, err := inner()
		if strings.HasSuffix(s, "*") {
			// const applied to a pointer goes after it: uint8_t *const.
			return s + " " + tagWord(e.Tag), err
		}
		return tagWord(e.Tag) + " " + s, err
	case dwarf.TagArrayType:
		s, err := inner()
		if err != nil {
			return "", err
		}
		n, err := rd.arrayCount(off)
		return fmt.Sprintf("%s[%d]", s, n), err
	case dwarf.TagSubroutineType:
		return "function", nil
	}
	if name != "" {
		return name, nil
	}
	return tagWord(e.Tag), nil
}

// Names returns the exported function names DWARF describes, sorted.
func (l *Library) Names() []string {
	out := make([]string, 0, len(l.Funcs))
	for n := range l.Funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
