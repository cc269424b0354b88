package cheader

import (
	"strconv"
	"strings"

	"modernc.org/cc/v4"
)

// basicNames spells the predefined types seam can pass across a boundary.
var basicNames = map[cc.Kind]string{
	cc.Void: "void", cc.Bool: "_Bool", cc.Char: "char", cc.SChar: "signed char", cc.UChar: "unsigned char",
	cc.Short: "short", cc.UShort: "unsigned short", cc.Int: "int", cc.UInt: "unsigned int",
	cc.Long: "long", cc.ULong: "unsigned long", cc.LongLong: "long long", cc.ULongLong: "unsigned long long",
	cc.Int128: "__int128", cc.UInt128: "unsigned __int128",
	cc.Float: "float", cc.Double: "double", cc.LongDouble: "long double",
}

// typ converts a cc type; pos is where it is used, for errors.
func (p *parser) typ(ct cc.Type, pos Pos) (*Type, error) {
	t := &Type{Size: ct.Size(), Align: ct.Align(), Const: ct.Attributes().IsConst()}
	if td := ct.Typedef(); td != nil {
		t.Typedef = td.Name()
	}
	switch x := ct.(type) {
	case *cc.PredefinedType:
		name, ok := basicNames[x.Kind()]
		if !ok {
			return nil, errorAt(pos, "type %s is not supported at a boundary", x)
		}
		t.Name = name
		switch {
		case x.Kind() == cc.Void:
			t.Kind = Void
		case cc.IsIntegerType(x):
			t.Kind, t.Signed = Int, cc.IsSignedInteger(x)
		default:
			t.Kind, t.Signed = Float, true
		}
	case *cc.PointerType:
		elem, err := p.typ(x.Elem(), pos)
		if err != nil {
			return nil, err
		}
		t.Kind, t.Elem = Pointer, elem
	case *cc.ArrayType:
		if x.IsVLA() {
			return nil, errorAt(pos, "variable length arrays are not supported")
		}
		elem, err := p.typ(x.Elem(), pos)
		if err != nil {
			return nil, err
		}
		t.Kind, t.Elem, t.Len = Array, elem, x.Len()
	case *cc.FunctionType:
		sig, err := p.signature(x, pos)
		if err != nil {
			return nil, err
		}
		t.Kind, t.Sig = Func, sig
	case *cc.StructType:
		s, err := p.structType(x, pos)
		if err != nil {
			return nil, err
		}
		t.Kind, t.Struct, t.Name = StructKind, s, "struct "+s.Tag
		if s.Tag == "" {
			t.Name = "struct"
		}
	case *cc.EnumType:
		e, err := p.enumType(x, pos)
		if err != nil {
			return nil, err
		}
		t.Kind, t.Enum, t.Name, t.Signed = EnumKind, e, "enum "+e.Tag, e.Type.Signed
		if e.Tag == "" {
			t.Name = "enum"
		}
	case *cc.UnionType:
		return nil, errorAt(pos, "union %s: unions are not supported at a boundary (seam cannot tell which member is live)", x)
	default:
		return nil, errorAt(pos, "type %s is not supported at a boundary", ct)
	}
	t.Spelling = spell(t, "")
	return t, nil
}

func (p *parser) signature(ft *cc.FunctionType, pos Pos) (*Signature, error) {
	res, err := p.typ(ft.Result(), pos)
	if err != nil {
		return nil, err
	}
	sig := &Signature{Result: res, Variadic: ft.IsVariadic()}
	params := ft.Parameters()
	// cc models f(void) as one unnamed void parameter.
	if len(params) == 1 && params[0].Name() == "" && params[0].Type().Kind() == cc.Void {
		params = nil
	}
	for i, cp := range params {
		ppos := p.pos(cp)
		if ppos.Line == 0 {
			ppos = pos
		}
		pt, err := p.typ(cp.Type(), ppos)
		if err != nil {
			return nil, err
		}
		sig.Params = append(sig.Params, &Param{Name: cp.Name(), Index: i, Type: pt, Pos: ppos})
	}
	return sig, nil
}

func (p *parser) structType(st *cc.StructType, pos Pos) (*Struct, error) {
	tag := st.Tag()
	key := "struct " + tag.SrcStr()
	if tag.SrcStr() == "" {
		if st.NumFields() == 0 {
			return nil, errorAt(pos, "an untagged struct without fields")
		}
		key = "struct@" + p.pos(st.FieldByIndex(0).Declarator()).String()
	}
	s := p.structs[key]
	if s != nil && (!s.Opaque || st.IsIncomplete()) {
		return s, nil
	}
	if s == nil {
		// Registered before its fields are read: a field may point back at it.
		s = &Struct{Name: tag.SrcStr(), Tag: tag.SrcStr(), Opaque: true, Size: -1}
		p.structs[key] = s
	}
	if st.IsIncomplete() {
		return s, nil
	}
	// Defined here, or after a forward declaration met first.
	s.Opaque, s.Size, s.Align = false, st.Size(), st.Align()
	for i := 0; i < st.NumFields(); i++ {
		f := st.FieldByIndex(i)
		fpos := pos
		if d := f.Declarator(); d != nil {
			fpos = p.pos(d)
		}
		if f.IsBitfield() {
			return nil, errorAt(fpos, "field %s: bit fields are not supported at a boundary (their layout is the compiler's choice)", f.Name())
		}
		ft, err := p.typ(f.Type(), fpos)
		if err != nil {
			return nil, err
		}
		if d := f.Declarator(); d != nil {
			p.fieldQualifiers(ft, d)
			p.arrayBounds(ft, d.DirectDeclarator)
		}
		s.Fields = append(s.Fields, &Field{
			Name: f.Name(), Offset: f.Offset(), Size: f.Type().Size(), Type: ft, Pos: fpos,
			Doc:     p.comments.above(fpos.Line),
			Comment: p.comments.after(fpos.Line, fpos.Col),
		})
	}
	return s, nil
}

func (p *parser) enumType(et *cc.EnumType, pos Pos) (*Enum, error) {
	tag := et.Tag()
	enums := et.Enumerators()
	key := "enum " + tag.SrcStr()
	if tag.SrcStr() == "" {
		if len(enums) == 0 {
			return nil, errorAt(pos, "an untagged enum without constants")
		}
		key = "enum@" + p.pos(enums[0]).String()
	}
	if e := p.enums[key]; e != nil {
		return e, nil
	}
	under, err := p.typ(et.UnderlyingType(), pos)
	if err != nil {
		return nil, err
	}
	e := &Enum{Name: tag.SrcStr(), Tag: tag.SrcStr(), Type: under}
	p.enums[key] = e
	for _, en := range enums {
		epos := p.pos(en)
		c := &Constant{Name: en.Token.SrcStr(), Enum: e, Pos: epos,
			Doc:     p.comments.above(epos.Line),
			Comment: p.comments.after(epos.Line, epos.Col),
		}
		if en.ConstantExpression != nil {
			c.Expr = cc.NodeSource(en.ConstantExpression)
		}
		switch v := en.Value().(type) {
		case cc.Int64Value:
			c.Value = int64(v)
		case cc.UInt64Value:
			c.Value, c.Unsigned = int64(v), true
		default:
			return nil, errorAt(epos, "enum constant %s has no integer value", c.Name)
		}
		e.Constants = append(e.Constants, c)
	}
	return e, nil
}

// spell returns the C spelling of t around the declarator text inner, as C
// declarators nest: "const uint8_t *", "char [65]", "int (*)(int, void *)".
func spell(t *Type, inner string) string {
	if base := t.Typedef; base != "" || t.Kind != Pointer && t.Kind != Array && t.Kind != Func {
		if base == "" {
			base = t.Name
		}
		if t.Const {
			base = "const " + base
		}
		return joinDecl(base, inner)
	}
	switch t.Kind {
	case Pointer:
		ptr := "*"
		if t.Const {
			ptr = "*const"
			if inner != "" {
				ptr += " "
			}
		}
		inner = ptr + inner
		if t.Elem.Typedef == "" && (t.Elem.Kind == Array || t.Elem.Kind == Func) {
			inner = "(" + inner + ")"
		}
		return spell(t.Elem, inner)
	case Array:
		n := strconv.FormatInt(t.Len, 10)
		if t.Len < 0 {
			n = ""
		}
		return spell(t.Elem, inner+"["+n+"]")
	default: // Func
		var params []string
		for _, p := range t.Sig.Params {
			params = append(params, p.Type.Spelling)
		}
		if t.Sig.Variadic {
			params = append(params, "...")
		}
		if len(params) == 0 {
			params = []string{"void"}
		}
		return spell(t.Sig.Result, inner+"("+strings.Join(params, ", ")+")")
	}
}

func joinDecl(base, inner string) string {
	if inner == "" {
		return base
	}
	return base + " " + inner
}

// cc/v4 (v4.34.0) drops the const qualifiers of a struct field that is a
// pointer (`const uint8_t *coupon;` comes out as `uint8_t *`, and
// `const char *const *names;` as `const char **`: Declarator.fixVolatileAndConst
// discards the qualified pointee), while it keeps them for parameters. The
// parser reads them from the field's declaration instead: constFields marks
// the declarators of the fields declared with const among their specifiers,
// and fieldQualifiers reads the pointers' own qualifiers.
func (p *parser) noteConstFields(su *cc.StructOrUnionSpecifier) {
	if su == nil || p.constFields[su] {
		return
	}
	p.constFields[su] = true
	for l := su.StructDeclarationList; l != nil; l = l.StructDeclarationList {
		sd := l.StructDeclaration
		if sd == nil || sd.Case != cc.StructDeclarationDecl {
			continue
		}
		isConst := false
		for q := sd.SpecifierQualifierList; q != nil; q = q.SpecifierQualifierList {
			if tq := q.TypeQualifier; tq != nil && tq.Case == cc.TypeQualifierConst {
				isConst = true
			}
			if ts := q.TypeSpecifier; ts != nil {
				p.noteConstFields(ts.StructOrUnionSpecifier)
			}
		}
		for dl := sd.StructDeclaratorList; isConst && dl != nil; dl = dl.StructDeclaratorList {
			if d := dl.StructDeclarator.Declarator; d != nil {
				p.constFields[d] = true
			}
		}
	}
}

// fieldQualifiers puts the const qualifiers of the field declared by d back
// on its type t.
func (p *parser) fieldQualifiers(t *Type, d *cc.Declarator) {
	if p.constFields[d] {
		constBase(t)
	}
	// The pointers' own qualifiers, for `T *const *name` and `T *name[N]`;
	// a declarator in parentheses (a function pointer) is left as cc has it.
	ptrs := t
	for dd := d.DirectDeclarator; dd.Case != cc.DirectDeclaratorIdent; dd = dd.DirectDeclarator {
		if dd.Case != cc.DirectDeclaratorArr || ptrs.Kind != Array {
			return
		}
		ptrs = ptrs.Elem
	}
	var consts []bool // in source order: the first '*' is the innermost pointer
	for ptr := d.Pointer; ptr != nil; ptr = ptr.Pointer {
		c := false
		for q := ptr.TypeQualifiers; q != nil; q = q.TypeQualifiers {
			if tq := q.TypeQualifier; tq != nil && tq.Case == cc.TypeQualifierConst {
				c = true
			}
		}
		consts = append(consts, c)
	}
	for i := len(consts) - 1; i >= 0 && ptrs.Kind == Pointer; i-- {
		ptrs.Const = ptrs.Const || consts[i]
		ptrs = ptrs.Elem
	}
	respell(t)
}

// constBase makes the innermost type of t (what its pointers, arrays and
// function results lead to) const.
func constBase(t *Type) {
	switch t.Kind {
	case Pointer, Array:
		constBase(t.Elem)
	case Func:
		constBase(t.Sig.Result)
	default:
		t.Const = true
	}
}

// respell spells t and the types it is made of again.
func respell(t *Type) {
	switch t.Kind {
	case Pointer, Array:
		respell(t.Elem)
	case Func:
		respell(t.Sig.Result)
	}
	t.Spelling = spell(t, "")
}

// arrayBounds sets the LenExpr of the array type t declared by dd to the
// bounds as the header writes them ("TALLY_MAX_TOKEN + 1"): cc evaluates the
// bound after macro expansion, and its tokens then spell "64u + 1".
func (p *parser) arrayBounds(t *Type, dd *cc.DirectDeclarator) {
	// The declarator nests the other way round: in x[3][M] the outermost
	// DirectDeclarator holds [M], the bound of the innermost array type.
	var bounds []string
	for ; dd != nil && dd.Case != cc.DirectDeclaratorIdent; dd = dd.DirectDeclarator {
		if dd.Case != cc.DirectDeclaratorArr {
			return
		}
		open, end := dd.Token.Position(), dd.Token2.Position()
		if open.Filename != p.path || end.Offset <= open.Offset || end.Offset > len(p.src) {
			return
		}
		bounds = append([]string{strings.TrimSpace(string(p.src[open.Offset+1 : end.Offset]))}, bounds...)
	}
	for _, b := range bounds {
		if t.Kind != Array {
			return
		}
		t.LenExpr, t = b, t.Elem
	}
}
