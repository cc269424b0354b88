package contract

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/seamfuzz/seam/cheader"
)

// Problem is one way a contract does not fit its header or an engine library.
type Problem struct {
	File string // the contract file: relative to the working directory when it is below it
	Line int
	Msg  string
}

// String returns the problem as "file:line: message".
func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Check validates c against its header h and against each engine library in
// engines (paths of shared libraries; none skips that part): that the contract
// covers every function of the header, that everything it names exists there,
// that each role fits its parameter's C type, that the header's own comments
// claim no more than the contract, and that each engine exports every
// function. It returns one Problem per issue, in contract order.
func Check(c *Contract, h *cheader.Header, engines []string) []Problem {
	k := &checker{c: c, h: h, file: displayPath(c.Path)}
	k.header()
	k.types()
	for _, f := range c.Functions {
		k.function(f)
	}
	for _, lib := range engines {
		k.engine(lib)
	}
	return k.problems
}

type checker struct {
	c        *Contract
	h        *cheader.Header
	file     string
	problems []Problem
}

func (k *checker) add(line int, format string, args ...any) {
	k.problems = append(k.problems, Problem{File: k.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// displayPath is path relative to the working directory when it is below it.
func displayPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// header checks the contract's top-level names and its coverage of the header.
func (k *checker) header() {
	c, h := k.c, k.h
	for _, s := range c.Statuses {
		if h.Constant(s.Const) == nil {
			k.add(s.Line, "statuses.%s: %s is not a constant of the header", s.Name, s.Const)
		}
	}
	k.needFunction(c.Line, "last_error", c.LastError)
	k.needFunction(c.ABI.Line, "abi.version", c.ABI.Version)
	k.needFunction(c.ABI.Line, "abi.layout", c.ABI.Layout)
	if c.ABI.Expect != "" && h.Constant(c.ABI.Expect) == nil {
		k.add(c.ABI.Line, "abi.expect: %s is not a constant of the header", c.ABI.Expect)
	}
	if layout := h.Function(c.ABI.Layout); layout != nil {
		k.layoutFields(layout)
	}
	for _, sk := range c.Skipped {
		if h.Function(sk.Func) == nil {
			k.add(sk.Line, "skip.%s is not a function of the header", sk.Func)
		}
	}
	for _, fn := range h.Functions {
		if !fn.Inline && c.Function(fn.Name) == nil && !c.Skips(fn.Name) {
			k.add(c.Line, "functions: %s (%s) is not in the contract: give it a thread claim and its parameters' roles (or skip: {%s: why})", fn.Name, fn.Pos, fn.Name)
		}
	}
}

// layoutFields checks abi.layout_fields against the struct the layout
// function fills: every field of it is said, and says a struct and field of
// the header.
func (k *checker) layoutFields(layout *cheader.Function) {
	lf := k.c.ABI.LayoutFields
	if len(lf) == 0 {
		return
	}
	if len(layout.Params) != 1 || !layout.Params[0].Type.IsPointerTo(cheader.StructKind) || layout.Params[0].Type.Elem.Struct.Opaque {
		k.add(k.c.ABI.Line, "abi.layout: %s does not fill a struct (it takes %s)", layout.Name, paramNames(layout))
		return
	}
	s := layout.Params[0].Type.Elem.Struct
	said := map[string]bool{}
	for _, f := range lf {
		said[f.Field] = true
		what := "abi.layout_fields." + f.Field
		switch t := k.h.Struct(f.Type); {
		case s.Field(f.Field) == nil:
			k.add(f.Line, "%s: %s has no field %s", what, s.Name, f.Field)
		case t == nil || t.Opaque:
			k.add(f.Line, "%s: %s is not a struct the header defines", what, f.Type)
		case f.Of != "" && t.Field(f.Of) == nil:
			k.add(f.Line, "%s: %s has no field %s", what, t.Name, f.Of)
		}
	}
	// A field left out is reported where it would go: after the last one.
	for _, f := range s.Fields {
		if !said[f.Name] {
			k.add(lf[len(lf)-1].Line, "abi.layout_fields: %s.%s is not said (sizeof, alignof or offsetof of what)", s.Name, f.Name)
		}
	}
}

func (k *checker) needFunction(line int, what, name string) *cheader.Function {
	if name == "" {
		return nil
	}
	fn := k.h.Function(name)
	if fn == nil {
		k.add(line, "%s: %s is not a function of the header", what, name)
	}
	return fn
}

func (k *checker) types() {
	for _, t := range k.c.Types {
		what := "types." + t.Name
		k.needFunction(t.Line, what+".allocated_by", t.AllocatedBy)
		if free := k.needFunction(t.Line, what+".freed_by", t.FreedBy.Func); free != nil && len(t.FreedBy.Args) != len(free.Params) {
			k.add(t.Line, "%s.freed_by: %s takes %d parameters, the contract passes %d", what, free.Name, len(free.Params), len(t.FreedBy.Args))
		}
		s := k.h.Struct(t.Name)
		switch t.Kind {
		case KindHandle:
			if s == nil || !s.Opaque {
				k.add(t.Line, "%s: a handle needs an opaque struct %s in the header (declared, never defined)", what, t.Name)
			}
		case KindArray, KindStruct:
			if s == nil || s.Opaque {
				k.add(t.Line, "%s: kind %s needs a struct %s defined in the header", what, t.Kind, t.Name)
			}
		}
		if s != nil {
			k.claims(t.Line, what, s.Doc, t.Threads)
		}
	}
}

// claims reports a header comment that claims more than the contract: seam
// checks the contract's claim, so a stronger promise in the header would go
// unchecked. ThreadClaims is ordered strongest first.
func (k *checker) claims(line int, what, doc, claim string) {
	hc, ok := headerThreads(doc)
	if !ok || claim == "" {
		return
	}
	if slices.Index(ThreadClaims, hc) < slices.Index(ThreadClaims, claim) {
		k.add(line, "%s: the header claims threads %s, the contract only %s (seam would not check the header's claim)", what, hc, claim)
	}
}

func (k *checker) function(f *Function) {
	fn := k.h.Function(f.Name)
	if fn == nil {
		k.add(f.Line, "%s is not a function of the header", f.Name)
		return
	}
	if fn.Inline {
		k.add(f.Line, "%s: the header defines it (static or inline), so no engine exports it", f.Name)
	}
	k.claims(f.Line, f.Name, fn.Doc, f.Threads)
	k.returns(f, fn)
	k.docStatuses(f, fn)

	params := map[string]*cheader.Type{}
	for _, p := range fn.Params {
		params[p.Name] = p.Type
	}
	covered := map[string]bool{}
	for _, p := range f.Params {
		covered[p.Name] = true
		for _, companion := range []string{p.Len, p.Needed} {
			covered[companion] = true
		}
		t, ok := params[p.Name]
		if !ok {
			k.add(p.Line, "%s.%s is not a parameter of %s in the header (it has %s)", f.Name, p.Name, f.Name, paramNames(fn))
			continue
		}
		k.role(f.Name+"."+p.Name, "parameter", p, t, func(name string) *cheader.Type { return params[name] })
		k.nullClaim(f, fn, p)
	}
	if len(f.Params) == 0 && k.isFreeFunction(f.Name) {
		// A free function's arguments are the ones freed_by passes.
		return
	}
	for _, p := range fn.Params {
		if !covered[p.Name] {
			k.add(f.Line, "%s: parameter %s (%s) has no role in the contract", f.Name, p.Name, p.Type)
		}
	}
}

// nullClaim reports a parameter the header says may be NULL ("p: ...; NULL
// is fine") where the contract wants a status for NULL: the engine's
// documented behaviour would be a finding.
func (k *checker) nullClaim(f *Function, fn *cheader.Function, p *Param) {
	hp := fn.Param(p.Name)
	if hp == nil || hp.Type.Kind != cheader.Pointer {
		return
	}
	if fine, guessed := nullFine(fn, hp); fine && !guessed {
		if s := k.c.Status(f, p, PreNull); s != Allowed && s != CallerGuarantee {
			k.add(p.Line, "%s.%s: the header says NULL is fine, the contract wants %s for NULL (say null: ok)", f.Name, p.Name, s)
		}
	}
}

func paramNames(fn *cheader.Function) string {
	var names []string
	for _, p := range fn.Params {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return "no parameters"
	}
	return strings.Join(names, ", ")
}

// isFreeFunction reports whether a type or a parameter of the contract frees
// its values with the function called name.
func (k *checker) isFreeFunction(name string) bool {
	for _, t := range k.c.Types {
		if t.FreedBy.Func == name {
			return true
		}
	}
	for _, f := range k.c.Functions {
		for _, p := range f.Params {
			if p.FreedBy.Func == name {
				return true
			}
		}
	}
	return false
}

func (k *checker) returns(f *Function, fn *cheader.Function) {
	r := fn.Result
	var want string
	switch f.Returns.Kind {
	case ReturnVoid:
		if r.Kind != cheader.Void {
			want = "void"
		}
	case ReturnStatus, ReturnValue:
		if r.Kind != cheader.Int && r.Kind != cheader.EnumKind {
			want = "an integer"
		}
	case ReturnString:
		if !isCharPointer(r, true) {
			want = "'const char *'"
		}
	}
	if want != "" {
		k.add(f.Returns.Line, "%s: returns %s needs %s result, header has '%s'", f.Name, f.Returns.Kind, want, r)
	}
}

// docStatuses reports a status the header's checks name that the contract
// does not let the function return: seam would call a documented result a
// finding.
func (k *checker) docStatuses(f *Function, fn *cheader.Function) {
	if f.Returns.Kind != ReturnStatus {
		return
	}
	names := map[string]string{}
	for _, s := range k.c.Statuses {
		names[s.Const] = s.Name
	}
	isStatus := func(w string) bool { _, ok := names[w]; return ok }
	for _, cl := range checkClauses(fn.Doc, isStatus) {
		if name := names[cl.status]; !slices.Contains(f.Statuses, name) {
			k.add(f.Line, "%s: the header says %q -> %s, but statuses does not list %s", f.Name, cl.cond, cl.status, name)
		}
	}
}

// role checks that a parameter's (or field's) role fits its C type t; sibling
// finds the types of the other parameters (or fields) it names.
func (k *checker) role(what, noun string, p *Param, t *cheader.Type, sibling func(string) *cheader.Type) {
	bad := func(want string) {
		k.add(p.Line, "%s: role %s needs %s %s, header has '%s'", what, p.Role, want, noun, t)
	}
	companion := func(name, want string, fits func(*cheader.Type) bool) {
		if name == "" {
			return
		}
		ct := sibling(name)
		switch {
		case ct == nil:
			k.add(p.Line, "%s: %s is not a %s in the header", what, name, noun)
		case !fits(ct):
			k.add(p.Line, "%s: role %s needs %s %s %s, header has '%s'", what, p.Role, want, noun, name, ct)
		}
	}
	switch p.Role {
	case RoleHandle:
		if !(t.IsPointerTo(cheader.StructKind) && t.Elem.Struct.Opaque && structNamed(t.Elem, p.Of)) {
			bad(fmt.Sprintf("a '%s *' (a pointer to the opaque struct)", p.Of))
		}
	case RoleHandleOut:
		if !(t.Kind == cheader.Pointer && t.Elem.IsPointerTo(cheader.StructKind) && t.Elem.Elem.Struct.Opaque && structNamed(t.Elem.Elem, p.Of)) {
			bad(fmt.Sprintf("a '%s **'", p.Of))
		}
	case RoleBytes:
		if !isBytePointer(t, true) {
			bad("a 'const uint8_t *'")
		}
		companion(p.Len, "a size_t length", isSize)
	case RoleString:
		if !isCharPointer(t, true) {
			bad("a 'const char *'")
		}
	case RoleStruct, RoleOutStruct:
		input := p.Role == RoleStruct
		if !t.IsPointerTo(cheader.StructKind) || t.Elem.Struct.Opaque || !structNamed(t.Elem, p.Of) || t.Elem.Const != input {
			spelling := p.Of + " *"
			if input {
				spelling = "const " + spelling
			}
			bad(fmt.Sprintf("a '%s' (a pointer to the struct)", spelling))
			return
		}
		k.structFields(what, p, t.Elem.Struct)
	case RoleOutBuffer:
		if !isBytePointer(t, false) {
			bad("a 'uint8_t *'")
		}
		companion(p.Len, "a size_t capacity", isSize)
		companion(p.Needed, "a 'size_t *'", isSizePointer)
	case RoleOutSize:
		if !isSizePointer(t) {
			bad("a 'size_t *'")
		}
	case RoleCalleeAlloc:
		if !(t.Kind == cheader.Pointer && t.Elem.Kind == cheader.Pointer && !t.Elem.Const) {
			bad("a 'T **'")
			return
		}
		companion(p.Len, "a 'size_t *' length", isSizePointer)
		k.calleeAlloc(what, p, t.Elem)
	case RoleOutInt:
		if !(t.Kind == cheader.Pointer && isInteger(t.Elem) && !t.Elem.Const) {
			bad("a pointer to an integer")
		} else if msg := intNamed(t.Elem, p.Of); msg != "" {
			k.add(p.Line, "%s: out_int %s, header has '%s'", what, msg, t)
		}
	case RoleInt:
		if !isInteger(t) {
			bad("an integer")
		}
	case RoleLength:
		if !isInteger(t) && !(t.Kind == cheader.Pointer && isInteger(t.Elem)) {
			bad("an integer or a pointer to one")
		}
	}
	for _, v := range append(append([]string{p.Max, p.Flags}, p.Range[:]...), p.Enum...) {
		if v != "" && !k.isValue(v) {
			k.add(p.Line, "%s: %s is neither a number nor a constant of the header", what, v)
		}
	}
}

// structFields checks a struct parameter's size field and its fields' roles.
func (k *checker) structFields(what string, p *Param, s *cheader.Struct) {
	if p.SizeField != "" {
		if f := s.Field(p.SizeField); f == nil || !isInteger(f.Type) {
			k.add(p.Line, "%s: size_field %s is not an integer field of %s", what, p.SizeField, s.Name)
		}
	}
	field := func(name string) *cheader.Type {
		if f := s.Field(name); f != nil {
			return f.Type
		}
		return nil
	}
	for _, fp := range p.Fields {
		ft := field(fp.Name)
		if ft == nil {
			k.add(fp.Line, "%s.%s is not a field of %s in the header", what, fp.Name, s.Name)
			continue
		}
		k.role(what+"."+fp.Name, "field", fp, ft, field)
	}
}

// calleeAlloc checks that the contract type of a callee-allocated output fits
// what the engine stores (elem, the T of T **) and that its free function
// takes it.
func (k *checker) calleeAlloc(what string, p *Param, elem *cheader.Type) {
	t := k.c.Type(p.Of)
	if t == nil {
		return // Load reported it
	}
	switch t.Kind {
	case KindBytes:
		if !isBytePointer(elem, false) {
			k.add(p.Line, "%s: %s is bytes, but the engine stores a '%s'", what, p.Of, elem)
		}
	case KindArray:
		if !elem.IsPointerTo(cheader.StructKind) || !structNamed(elem.Elem, p.Of) {
			k.add(p.Line, "%s: %s is an array of struct %s, but the engine stores a '%s'", what, p.Of, p.Of, elem)
		}
	}
	freed := t.FreedBy
	if p.FreedBy.Func != "" {
		freed = p.FreedBy
		k.needFunction(p.Line, what+".freed_by", freed.Func)
	}
	if freed.Func == "" {
		k.add(p.Line, "%s: nothing frees it (give %s a freed_by)", what, p.Of)
	}
	if free := k.h.Function(freed.Func); free != nil && len(free.Params) > 0 {
		if first := free.Params[0].Type; first.Kind != cheader.Pointer || first.Elem.Spelling != elem.Elem.Spelling {
			k.add(p.Line, "%s: %s frees a '%s', the engine stores a '%s'", what, free.Name, first, elem)
		}
	}
}

// isValue reports whether v is a number or a constant of the header.
func (k *checker) isValue(v string) bool {
	if _, err := strconv.ParseInt(v, 0, 64); err == nil {
		return true
	}
	_, ok := k.h.Const(v)
	return ok
}

// engine checks that the library at path exports every function of the header.
func (k *checker) engine(path string) {
	f, err := elf.Open(path)
	if err != nil {
		k.add(k.c.Line, "engine %s: cannot read its symbols: %v", path, err)
		return
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		k.add(k.c.Line, "engine %s: cannot read its dynamic symbols: %v", path, err)
		return
	}
	exported := map[string]bool{}
	for _, s := range syms {
		typ := elf.ST_TYPE(s.Info)
		if s.Section != elf.SHN_UNDEF && (typ == elf.STT_FUNC || typ == elf.STT_GNU_IFUNC) {
			exported[s.Name] = true
		}
	}
	for _, fn := range k.h.Functions {
		if fn.Inline || exported[fn.Name] {
			continue
		}
		line := k.c.Line
		if f := k.c.Function(fn.Name); f != nil {
			line = f.Line
		}
		k.add(line, "%s: engine %s does not export it", fn.Name, displayPath(path))
	}
}

func structNamed(t *cheader.Type, name string) bool {
	s := t.Struct
	return s != nil && (s.Typedef == name || s.Tag == name || t.Typedef == name)
}

func isInteger(t *cheader.Type) bool { return t.Kind == cheader.Int || t.Kind == cheader.EnumKind }

// isSize reports an unsigned integer as wide as a pointer: size_t.
func isSize(t *cheader.Type) bool { return t.Kind == cheader.Int && !t.Signed && t.Size == 8 }

func isSizePointer(t *cheader.Type) bool {
	return t.Kind == cheader.Pointer && isSize(t.Elem) && !t.Elem.Const
}

// isBytePointer reports a pointer to bytes (uint8_t, unsigned char, char or
// void) whose pointee is const as wanted.
func isBytePointer(t *cheader.Type, constant bool) bool {
	if t.Kind != cheader.Pointer || t.Elem.Const != constant {
		return false
	}
	e := t.Elem
	return e.Kind == cheader.Void || e.Kind == cheader.Int && e.Size == 1
}

func isCharPointer(t *cheader.Type, constant bool) bool {
	return t.Kind == cheader.Pointer && t.Elem.Const == constant && t.Elem.Kind == cheader.Int && t.Elem.Name == "char"
}

// intNamed checks an out_int's "of" (uint64, int32_t, ...) against the C
// integer type; it returns what does not fit, or "".
func intNamed(t *cheader.Type, of string) string {
	if of == "" || of == t.Typedef || of == t.Name {
		return ""
	}
	name := strings.TrimSuffix(of, "_t")
	signed := !strings.HasPrefix(name, "u")
	bits, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(name, "u"), "int"))
	if err != nil || !strings.HasPrefix(strings.TrimPrefix(name, "u"), "int") {
		return fmt.Sprintf("%s is not an integer type (int32, uint64_t, ...)", of)
	}
	if int64(bits) != 8*t.Size || signed != t.Signed {
		return fmt.Sprintf("of %s does not fit", of)
	}
	return ""
}
