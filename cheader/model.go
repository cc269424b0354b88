package cheader

import (
	"fmt"
	"strings"
)

// Header is the model of one C header's own declarations: what the file itself
// declares, not what the system headers it includes declare.
type Header struct {
	Path string
	// Doc is the file's leading comment (a header's conventions block).
	Doc       string
	Functions []*Function
	Structs   []*Struct
	Enums     []*Enum
	// Constants are the object-like #defines with an integer value, in source
	// order. Enum constants are in their Enum; Constant finds both.
	Constants []*Constant
	Typedefs  []*Typedef
	Vars      []*Var
}

// Pos is a position in a header file.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", the form compilers and editors read.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Function is a function declared by the header.
type Function struct {
	Name     string
	Result   *Type
	Params   []*Param
	Variadic bool
	// Inline is set for a function the header defines (static or inline):
	// it has no symbol in an engine library.
	Inline bool
	// Doc is the comment block directly before the declaration.
	Doc string
	Pos Pos
}

// Param is one parameter of a function or function pointer.
type Param struct {
	// Name is empty for an unnamed parameter.
	Name  string
	Index int
	Type  *Type
	Pos   Pos
}

// Param returns the parameter called name, or nil.
func (f *Function) Param(name string) *Param {
	return find(f.Params, func(p *Param) bool { return p.Name == name })
}

// Kind is the kind of a C type.
type Kind int

// The kinds of Type. Bool and char are integers (Type.Name says which).
const (
	Void Kind = iota + 1
	Int
	Float
	Pointer
	Array
	StructKind
	EnumKind
	Func
)

var kindNames = [...]string{Void: "void", Int: "integer", Float: "float", Pointer: "pointer",
	Array: "array", StructKind: "struct", EnumKind: "enum", Func: "function"}

// String names the kind in words ("pointer", "struct").
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Type is a C type, with the typedef name it was written with (if any) kept
// beside its resolved form.
type Type struct {
	Kind Kind
	// Spelling is the C spelling of the type: "const uint8_t *",
	// "widget_cache **", "char [65]", "int (*)(int, void *)".
	Spelling string
	// Typedef is the typedef name the type was named by ("size_t",
	// "tally_mode"), empty if none.
	Typedef string
	// Name is the resolved name of a Void, Int, Float, StructKind or EnumKind
	// type without qualifiers: "unsigned long" for size_t, "char",
	// "struct widget_cache", "enum tally_mode".
	Name  string
	Const bool
	// Size and Align are in bytes; Size is -1 for an incomplete type.
	Size   int64
	Align  int
	Signed bool // Int and EnumKind
	// Elem is the pointee of a Pointer and the element of an Array.
	Elem *Type
	// Len is the length of an Array; LenExpr is its bound as written
	// ("TALLY_MAX_TOKEN + 1").
	Len     int64
	LenExpr string
	Struct  *Struct // StructKind
	Enum    *Enum   // EnumKind
	Sig     *Signature
}

// String returns the C spelling.
func (t *Type) String() string { return t.Spelling }

// IsPointerTo reports whether t is a pointer whose pointee has kind k.
func (t *Type) IsPointerTo(k Kind) bool { return t.Kind == Pointer && t.Elem.Kind == k }

// IsFuncPointer reports whether t is a pointer to a function.
func (t *Type) IsFuncPointer() bool { return t.IsPointerTo(Func) }

// Signature is the type of a function (the Elem of a function pointer).
type Signature struct {
	Result   *Type
	Params   []*Param
	Variadic bool
}

// Struct is a struct the header declares. An opaque struct is declared but
// never defined (a handle type); it has no size and no fields.
type Struct struct {
	// Name is the typedef name if there is one, else the tag.
	Name    string
	Tag     string
	Typedef string
	Opaque  bool
	Size    int64
	Align   int
	Fields  []*Field
	Doc     string
	Pos     Pos
}

// Field returns the field called name, or nil.
func (s *Struct) Field(name string) *Field {
	return find(s.Fields, func(f *Field) bool { return f.Name == name })
}

// Field is one field of a struct, laid out as the C compiler of this machine
// lays it out.
type Field struct {
	Name   string
	Offset int64
	Size   int64
	Type   *Type
	// Doc is the comment block on the lines directly above the field;
	// Comment is the comment after it on its line ("1..SEAM_MAX_ITEM_COUNT").
	Doc     string
	Comment string
	Pos     Pos
}

// ArrayLen returns the length of an array field, 0 for any other.
func (f *Field) ArrayLen() int64 {
	if f.Type.Kind == Array {
		return f.Type.Len
	}
	return 0
}

// Enum is an enum the header defines.
type Enum struct {
	// Name is the typedef name if there is one, else the tag.
	Name      string
	Tag       string
	Typedef   string
	Constants []*Constant
	// Type is the integer type the compiler gives the enum.
	Type *Type
	Doc  string
	Pos  Pos
}

// Constant is a named integer: an object-like #define with an integer value
// or an enum constant.
type Constant struct {
	Name string
	// Value is the evaluated value; for an unsigned constant above
	// math.MaxInt64 it holds the same bits.
	Value    int64
	Unsigned bool
	// Expr is the definition as written ("TALLY_MAX_TOKEN + 1", "1u");
	// empty for an enum constant with an implicit value.
	Expr string
	// Enum is the enum an enum constant belongs to, nil for a #define.
	Enum    *Enum
	Doc     string
	Comment string
	Pos     Pos
}

// Typedef is a typedef the header declares.
type Typedef struct {
	Name string
	Type *Type
	Doc  string
	Pos  Pos
}

// Var is an object the header declares (an extern variable).
type Var struct {
	Name string
	Type *Type
	Doc  string
	Pos  Pos
}

// find returns the first of xs that match accepts, or nil.
func find[T any](xs []*T, match func(*T) bool) *T {
	for _, x := range xs {
		if match(x) {
			return x
		}
	}
	return nil
}

// Function returns the function called name, or nil.
func (h *Header) Function(name string) *Function {
	return find(h.Functions, func(f *Function) bool { return f.Name == name })
}

// Struct returns the struct whose typedef name or tag is name, or nil.
func (h *Header) Struct(name string) *Struct {
	name = strings.TrimPrefix(name, "struct ")
	return find(h.Structs, func(s *Struct) bool { return s.Typedef == name || s.Tag == name })
}

// Enum returns the enum whose typedef name or tag is name, or nil.
func (h *Header) Enum(name string) *Enum {
	name = strings.TrimPrefix(name, "enum ")
	return find(h.Enums, func(e *Enum) bool { return e.Typedef == name || e.Tag == name })
}

// Typedef returns the typedef called name, or nil.
func (h *Header) Typedef(name string) *Typedef {
	return find(h.Typedefs, func(t *Typedef) bool { return t.Name == name })
}

// Constant returns the #define or enum constant called name, or nil.
func (h *Header) Constant(name string) *Constant {
	named := func(c *Constant) bool { return c.Name == name }
	if c := find(h.Constants, named); c != nil {
		return c
	}
	for _, e := range h.Enums {
		if c := find(e.Constants, named); c != nil {
			return c
		}
	}
	return nil
}

// Const returns the value of the #define or enum constant called name.
func (h *Header) Const(name string) (int64, bool) {
	if c := h.Constant(name); c != nil {
		return c.Value, true
	}
	return 0, false
}
