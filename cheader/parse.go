// Package cheader parses the C header of an FFI boundary into a model of its
// own declarations: functions with their parameters and comments, structs laid
// out as the system C compiler lays them out, enums, integer #defines and
// typedefs. It is built on modernc.org/cc/v4, a C front end in pure Go that
// reads the system compiler's predefined macros and include paths, so the
// model is that of the machine seam runs on. Where no C compiler is, a snapshot
// of that configuration written where one was (Snapshot, FromSnapshot) stands in.
package cheader

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"modernc.org/cc/v4"
)

// Option changes how Parse reads a header.
type Option func(*options)

type options struct {
	includes []string
	defines  []string
	snapshot string // see FromSnapshot
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// IncludeDir adds dir to the directories searched by #include.
func IncludeDir(dir string) Option {
	return func(o *options) { o.includes = append(o.includes, dir) }
}

// Define defines the macro name as value before the header is read, as
// -Dname=value does.
func Define(name, value string) Option {
	return func(o *options) { o.defines = append(o.defines, fmt.Sprintf("#define %s %s\n", name, value)) }
}

// hostConfig runs the system C compiler once per process: NewConfig execs it
// to learn its predefined macros and include paths, which do not change.
//
// The compiler must not inherit a sanitizer runtime preloaded into seam (LD_PRELOAD, set when
// seam re-executes itself to load sanitized engines): gcc under libasan fails.
var hostConfig = sync.OnceValues(func() (*cc.Config, error) {
	if preload, ok := os.LookupEnv("LD_PRELOAD"); ok {
		os.Unsetenv("LD_PRELOAD")
		defer os.Setenv("LD_PRELOAD", preload)
	}
	return cc.NewConfig(runtime.GOOS, runtime.GOARCH)
})

// Parse reads the header at path and returns the model of its own
// declarations (those of the headers it includes are left out). A header that
// does not compile, or uses what the model cannot describe (unions, bit
// fields), is an error of one line, "path:line:col: message".
func Parse(path string, opts ...Option) (*Header, error) {
	o := newOptions(opts)
	if o.snapshot == "" {
		host, err := hostConfig()
		if err != nil {
			return nil, fmt.Errorf("cannot configure the C parser from the system C compiler: %w", err)
		}
		return parse(path, o, host, nil)
	}
	host, fsys, err := loadSnapshot(o.snapshot, ownDirs(path, o))
	if err != nil {
		return nil, err
	}
	h, err := parse(path, o, host, fsys)
	// The snapshot holds the system headers the header included when it was written.
	if err != nil && strings.Contains(err.Error(), "include file not found: <") {
		return nil, fmt.Errorf("%w %s lacks a system header: %v", ErrSnapshot, o.snapshot, err)
	}
	return h, err
}

// parse translates the header on the C configuration host, opening files through fsys (nil:
// the host file system).
func parse(path string, o options, host *cc.Config, fsys fs.FS) (*Header, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg := *host
	cfg.FS = fsys
	// The header's directory first, as for #include "..." in C, then the
	// caller's directories for both forms of #include.
	cfg.IncludePaths = append([]string{""}, o.includes...)
	for _, dir := range host.IncludePaths {
		if dir != "" {
			cfg.IncludePaths = append(cfg.IncludePaths, dir)
		}
	}
	cfg.SysIncludePaths = append(append([]string(nil), o.includes...), host.SysIncludePaths...)
	cfg.EvalAllMacros = true
	cfg.ABILayout = true
	cfg.Header = true
	cfg.UnsignedEnums = true // gcc gives an enum without negative constants an unsigned type
	// Macro expansion can grow exponentially: a few hundred bytes of header
	// could take hours. A real header needs a tiny fraction of this.
	cfg.ExpansionLimit = 50_000_000
	ast, err := cc.Translate(&cfg, []cc.Source{
		{Name: "<predefined>", Value: host.Predefined + "\n" + strings.Join(o.defines, "")},
		{Name: "<builtin>", Value: cc.Builtin},
		{Name: path, Value: src},
	})
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("%s", first)
	}
	p := &parser{
		path:        path,
		src:         src,
		comments:    indexComments(src),
		h:           &Header{Path: path},
		structs:     map[string]*Struct{},
		enums:       map[string]*Enum{},
		own:         map[any]bool{},
		constFields: map[any]bool{},
	}
	p.h.Doc = p.comments.leading(src)
	if err := p.declarations(ast); err != nil {
		return nil, err
	}
	p.macros(ast)
	return p.h, nil
}

type parser struct {
	path     string
	src      []byte
	comments *commentIndex
	h        *Header
	// structs and enums hold every struct and enum met, keyed by tag (or by
	// position when untagged): cc gives a typedef'd use of a struct a type
	// of its own, so the pointer is not the identity.
	structs map[string]*Struct
	enums   map[string]*Enum
	// own marks the structs and enums already listed in h.
	own map[any]bool
	// constFields holds the field declarators whose specifiers say const,
	// and the struct specifiers already read for them (see noteConstFields).
	constFields map[any]bool
}

// errorAt is an error at a position, in the compiler's form.
func errorAt(pos Pos, format string, args ...any) error {
	return fmt.Errorf("%s: %s", pos, fmt.Sprintf(format, args...))
}

func (p *parser) pos(n cc.Node) Pos {
	tp := n.Position()
	return Pos{File: tp.Filename, Line: tp.Line, Col: tp.Column}
}

func (p *parser) declarations(ast *cc.AST) error {
	for l := ast.TranslationUnit; l != nil; l = l.TranslationUnit {
		ed := l.ExternalDeclaration
		toks := cc.NodeTokens(ed)
		if len(toks) == 0 {
			continue
		}
		// The first token gives the declaration's first line, also when it
		// comes from a macro (SEAM_API int f(void)): cc positions expanded
		// tokens at the expansion.
		start := p.pos(toks[0])
		if start.File != p.path {
			continue
		}
		doc := p.comments.above(start.Line)
		switch ed.Case {
		case cc.ExternalDeclarationFuncDef:
			fn, err := p.function(ed.FunctionDefinition.Declarator, doc, start)
			if err != nil {
				return err
			}
			fn.Inline = true
			p.h.Functions = append(p.h.Functions, fn)
		case cc.ExternalDeclarationDecl:
			if err := p.declaration(ed.Declaration, doc, start); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) declaration(d *cc.Declaration, doc string, start Pos) error {
	if d.Case != cc.DeclarationDecl {
		return nil
	}
	isTypedef := false
	for ds := d.DeclarationSpecifiers; ds != nil; ds = ds.DeclarationSpecifiers {
		if sc := ds.StorageClassSpecifier; sc != nil && sc.Case == cc.StorageClassSpecifierTypedef {
			isTypedef = true
		}
	}
	// A struct or enum is the header's own where the header defines it, or
	// declares it on its own or in a typedef (an opaque handle type).
	for ds := d.DeclarationSpecifiers; ds != nil; ds = ds.DeclarationSpecifiers {
		ts := ds.TypeSpecifier
		if ts == nil {
			continue
		}
		p.noteConstFields(ts.StructOrUnionSpecifier)
		if su := ts.StructOrUnionSpecifier; su != nil && (su.Case == cc.StructOrUnionSpecifierDef || isTypedef || d.InitDeclaratorList == nil) {
			t, err := p.typ(su.Type(), p.pos(su))
			if err != nil {
				return err
			}
			s := t.Struct
			// A definition after a forward declaration is where the
			// struct's comment is.
			if !p.own[s] || su.Case == cc.StructOrUnionSpecifierDef {
				s.Doc, s.Pos = doc, start
			}
			if !p.own[s] {
				p.own[s] = true
				p.h.Structs = append(p.h.Structs, s)
			}
		}
		if es := ts.EnumSpecifier; es != nil && es.Case == cc.EnumSpecifierDef {
			t, err := p.typ(es.Type(), p.pos(es))
			if err != nil {
				return err
			}
			if e := t.Enum; e != nil && !p.own[e] {
				p.own[e] = true
				e.Doc, e.Pos = doc, start
				p.h.Enums = append(p.h.Enums, e)
			}
		}
	}
	for idl := d.InitDeclaratorList; idl != nil; idl = idl.InitDeclaratorList {
		dd := idl.InitDeclarator.Declarator
		pos := p.pos(dd)
		switch {
		case dd.IsTypename():
			t, err := p.typ(dd.Type(), pos)
			if err != nil {
				return err
			}
			p.h.Typedefs = append(p.h.Typedefs, &Typedef{Name: dd.Name(), Type: t, Doc: doc, Pos: pos})
			// The typedef name is the name the header uses for a struct or
			// enum: `typedef struct widget_cache widget_cache;`.
			if s := t.Struct; s != nil && t.Kind == StructKind && s.Typedef == "" {
				s.Typedef, s.Name = dd.Name(), dd.Name()
			}
			if e := t.Enum; e != nil && t.Kind == EnumKind && e.Typedef == "" {
				e.Typedef, e.Name = dd.Name(), dd.Name()
			}
		default:
			if _, ok := dd.Type().(*cc.FunctionType); ok {
				fn, err := p.function(dd, doc, start)
				if err != nil {
					return err
				}
				p.h.Functions = append(p.h.Functions, fn)
				continue
			}
			t, err := p.typ(dd.Type(), pos)
			if err != nil {
				return err
			}
			p.h.Vars = append(p.h.Vars, &Var{Name: dd.Name(), Type: t, Doc: doc, Pos: pos})
		}
	}
	return nil
}

func (p *parser) function(dd *cc.Declarator, doc string, start Pos) (*Function, error) {
	pos := p.pos(dd)
	ft, ok := dd.Type().(*cc.FunctionType)
	if !ok {
		return nil, errorAt(pos, "%s is not a function", dd.Name())
	}
	sig, err := p.signature(ft, pos)
	if err != nil {
		return nil, errorAt(pos, "%s: %v", dd.Name(), err)
	}
	return &Function{Name: dd.Name(), Result: sig.Result, Params: sig.Params, Variadic: sig.Variadic, Doc: doc, Pos: pos}, nil
}

func (p *parser) macros(ast *cc.AST) {
	for name, m := range ast.Macros {
		pos := p.pos(m)
		if pos.File != p.path || m.IsFnLike {
			continue
		}
		c := &Constant{Name: name, Expr: tokenText(m.ReplacementList()), Pos: pos}
		switch v := m.Value().(type) {
		case cc.Int64Value:
			c.Value = int64(v)
		case cc.UInt64Value:
			c.Value, c.Unsigned = int64(v), true
		default:
			// Not an integer (a header guard, a string, a type): not a
			// constant of the boundary.
			continue
		}
		c.Doc = p.comments.above(pos.Line)
		c.Comment = p.comments.after(pos.Line, pos.Col)
		p.h.Constants = append(p.h.Constants, c)
	}
	sort.Slice(p.h.Constants, func(i, j int) bool {
		a, b := p.h.Constants[i].Pos, p.h.Constants[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
}

// tokenText spells tokens as written, one space where the source has any.
func tokenText(toks []cc.Token) string {
	var b strings.Builder
	for i := range toks {
		if i > 0 && len(toks[i].Sep()) > 0 {
			b.WriteByte(' ')
		}
		b.Write(toks[i].Src())
	}
	return b.String()
}
