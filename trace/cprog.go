package trace

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
)

// EmitC writes a standalone C program that makes exactly the trace's calls, laid out as seam
// lays them out: it includes the boundary's header, dlopens the library named by argv[1],
// dlsyms each function (typed by the header's own prototype), passes every byte buffer in an
// exact-size malloc block (a string with its NUL) so ASan sees a one-byte over-read, fills
// structs field by field through the header's struct types with their size field set, gives
// outputs malloc'ed blocks filled with 0xA5, prints each call's status or return value, frees
// what the engine allocated with its freed_by function and, at the end, every handle still
// open. It is what a C++ or Rust developer opens in a debugger. BuildCommand says how to
// build it.
func EmitC(b *boundary.Boundary, t Trace) ([]byte, error) {
	g := &cgen{b: b, handles: map[string]string{}, freed: map[string]bool{}}
	var body strings.Builder
	for i, call := range t.Calls {
		if err := g.call(&body, i, call); err != nil {
			return nil, fmt.Errorf("%s: call %d (%s): %v", t, i+1, call.Func, err)
		}
	}
	// Reverse order, as seam frees them.
	for i := len(g.made) - 1; i >= 0; i-- {
		h := g.made[i]
		ft := b.Contract.Type(h.typ)
		if g.freed[h.name] || ft == nil || ft.FreedBy.Func == "" {
			continue
		}
		g.use(ft.FreedBy.Func)
		fmt.Fprintf(&body, "\tif (%s) p_%s(%s); /* seam frees what the trace left open */\n", h.name, ft.FreedBy.Func, h.name)
	}
	var w strings.Builder
	fmt.Fprintf(&w, "/* Trace %s of boundary %s, written by `seam repro -contract %s -emit-c`.\n", t.ID, b.Contract.Boundary, filepath.Base(b.Contract.Path))
	fmt.Fprintf(&w, " * Build: %s\n", BuildCommand(b, "repro.c", "repro"))
	fmt.Fprintf(&w, " * Run:   ./repro LIBRARY.so\n")
	fmt.Fprintf(&w, " * Every byte buffer is in an exact-size malloc block, as seam passes it, so ASan reports a\n")
	fmt.Fprintf(&w, " * one-byte over-read; outputs are malloc'ed and filled with 0xA5 before each call. */\n")
	fmt.Fprintf(&w, "#include <dlfcn.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n#include %q\n\n", filepath.Base(b.Header.Path))
	w.WriteString(cPrelude)
	g.statusNames(&w)
	w.WriteString("int main(int argc, char **argv) {\n")
	w.WriteString("\tif (argc != 2) {\n\t\tfprintf(stderr, \"usage: %s LIBRARY.so\\n\", argv[0]);\n\t\treturn 2;\n\t}\n")
	w.WriteString("\tsetvbuf(stdout, NULL, _IONBF, 0); /* every line out before a crash */\n")
	w.WriteString("\tlib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);\n\tif (!lib) {\n\t\tfprintf(stderr, \"repro: %s\\n\", dlerror());\n\t\treturn 2;\n\t}\n")
	for _, fn := range g.funcs {
		fmt.Fprintf(&w, "\t__typeof__(&%s) p_%s = (__typeof__(&%s))sym(%q);\n", fn, fn, fn, fn)
	}
	for _, h := range g.made {
		fmt.Fprintf(&w, "\t%s %s = NULL;\n", h.ctype, h.name)
	}
	w.WriteString("\n")
	w.WriteString(body.String())
	w.WriteString("\tprintf(\"done\\n\");\n\treturn 0;\n}\n")
	return []byte(w.String()), nil
}

// cPrelude is the program's helpers: dlsym or stop, exact-size copies, filled outputs.
const cPrelude = `static void *lib;

/* sym resolves a function of the library or stops: a missing symbol is not the engine's bug. */
static void *sym(const char *name) {
	void *p = dlsym(lib, name);
	if (!p) {
		fprintf(stderr, "repro: %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

/* copy is n bytes in a block of exactly n bytes (malloc(0) is a unique, empty block). */
static void *copy(const void *src, size_t n) {
	void *p = malloc(n);
	if (n) memcpy(p, src, n);
	return p;
}

/* out is an output block of n bytes filled with 0xA5, as seam fills its outputs. */
static void *out(size_t n) {
	void *p = malloc(n);
	memset(p, 0xA5, n);
	return p;
}

`

// BuildCommand is the command that builds the program EmitC wrote to src, into exe.
func BuildCommand(b *boundary.Boundary, src, exe string) string {
	return fmt.Sprintf("cc -g -fsanitize=address,undefined -I%s %s -ldl -o %s", filepath.Dir(b.Header.Path), src, exe)
}

// cgen is the state of one program being written.
type cgen struct {
	b       *boundary.Boundary
	funcs   []string          // functions resolved with dlsym, in first-use order
	handles map[string]string // a trace's "as" name -> the variable holding that handle now
	made    []handleVar
	freed   map[string]bool // handle variables the trace freed itself
}

type handleVar struct{ name, typ, ctype string }

func (g *cgen) use(fn string) {
	for _, f := range g.funcs {
		if f == fn {
			return
		}
	}
	g.funcs = append(g.funcs, fn)
}

// statusNames writes a function naming each status value, for the printed lines.
func (g *cgen) statusNames(w *strings.Builder) {
	w.WriteString("/* status names the contract's status constants. */\n")
	w.WriteString("static const char *status(long long v) {\n")
	for _, s := range g.b.Contract.Statuses {
		fmt.Fprintf(w, "\tif (v == (long long)(%s)) return %q;\n", s.Const, s.Const)
	}
	w.WriteString("\treturn \"?\";\n}\n\n")
}

// call writes one call as a block: its arguments laid out, the call, its line, the frees.
func (g *cgen) call(w *strings.Builder, i int, call Call) error {
	cf, hf := g.b.Contract.Function(call.Func), g.b.Header.Function(call.Func)
	g.use(call.Func)
	measured := map[string]*contract.Param{} // a length parameter -> what it measures
	for _, p := range cf.Params {
		if p.Len != "" && p.Role != contract.RoleLength && p.Role != contract.RoleOutSize {
			measured[p.Len] = p
		} else if p.Role == contract.RoleLength {
			measured[p.Name] = cf.Param(p.Len)
		}
	}
	fmt.Fprintf(w, "\t/* call %d: %s */\n\t{\n", i+1, call.Func)
	var after []string
	exprs := make([]string, len(hf.Params))
	lens := map[string]string{} // parameter -> the length its buffer was laid out with
	v := func(p *cheader.Param) string { return fmt.Sprintf("a%d_%s", i+1, p.Name) }
	for pass := 0; pass < 2; pass++ {
		for k, hp := range hf.Params {
			m, isLen := measured[hp.Name]
			if isLen != (pass == 1) {
				continue
			}
			a, given := call.Args[hp.Name]
			role := cf.Param(hp.Name)
			name := v(hp)
			if isLen {
				switch {
				case hp.Type.Kind == cheader.Pointer && given && a.Value.Null:
					exprs[k] = "NULL"
				case hp.Type.Kind == cheader.Pointer:
					fmt.Fprintf(w, "\t\t%s %s = out(sizeof *%s);\n", hp.Type.Spelling, name, name)
					after = append(after, "free("+name+");")
					exprs[k] = name
				case given:
					exprs[k] = intLit(hp.Type, a.Value.Int, a.Consts[""])
				case lens[m.Name] != "":
					exprs[k] = lens[m.Name]
				default:
					exprs[k] = "0"
				}
				continue
			}
			if a.Ref != "" {
				if h, ok := g.handles[a.Ref]; ok && h != "" {
					exprs[k] = h
				} else {
					exprs[k] = "NULL"
				}
				continue
			}
			if given && a.Value.Null && hp.Type.Kind == cheader.Pointer {
				exprs[k] = "NULL"
				continue
			}
			if role == nil {
				exprs[k] = intLit(hp.Type, a.Value.Int, a.Consts[""])
				continue
			}
			elem := hp.Type.Elem
			switch role.Role {
			case contract.RoleHandle:
				exprs[k] = "NULL" // boundary refuses a handle argument not given; Parse too
			case contract.RoleBytes, contract.RoleString:
				bs, n := a.Value.Bytes, len(a.Value.Bytes)
				lens[hp.Name] = fmt.Sprint(n)
				if role.Role == contract.RoleString {
					bs, n = append(append([]byte{}, bs...), 0), n+1
				}
				fmt.Fprintf(w, "\t\t%s %s = copy(%s, %d);\n", hp.Type.Spelling, name, cString(bs), n)
				after = append(after, fmt.Sprintf("free((void *)%s);", name))
				exprs[k] = name
			case contract.RoleStruct:
				if err := g.structIn(w, name, role, hp.Type, a.Value, a.Consts, &after); err != nil {
					return fmt.Errorf("%s: %v", hp.Name, err)
				}
				exprs[k] = name
			case contract.RoleOutStruct:
				fmt.Fprintf(w, "\t\t%s %s = out(sizeof *%s);\n", strings.TrimPrefix(hp.Type.Spelling, "const "), name, name)
				if role.SizeField != "" {
					size := "sizeof *" + name
					if fv, ok := a.Value.Fields[role.SizeField]; ok {
						size = fmt.Sprint(fv.Int)
					}
					fmt.Fprintf(w, "\t\t%s->%s = %s;\n", name, role.SizeField, size)
				}
				after = append(after, "free("+name+");")
				exprs[k] = name
			case contract.RoleOutBuffer:
				lens[hp.Name] = fmt.Sprint(a.Value.Int)
				fmt.Fprintf(w, "\t\t%s %s = out(%d);\n", hp.Type.Spelling, name, a.Value.Int)
				after = append(after, "free("+name+");")
				exprs[k] = name
			case contract.RoleHandleOut:
				h := handleVar{name: fmt.Sprintf("h%d", i+1), typ: role.Of, ctype: elem.Spelling}
				if call.As != "" {
					h.name += "_" + call.As
				}
				g.made = append(g.made, h)
				exprs[k] = "&" + h.name
			case contract.RoleCalleeAlloc:
				fmt.Fprintf(w, "\t\t%s %s = NULL;\n", elem.Spelling, name)
				exprs[k] = "&" + name
			case contract.RoleOutSize, contract.RoleOutInt:
				fmt.Fprintf(w, "\t\t%s %s = out(sizeof *%s);\n", hp.Type.Spelling, name, name)
				after = append(after, "free("+name+");")
				exprs[k] = name
			case contract.RoleInt:
				exprs[k] = intLit(hp.Type, a.Value.Int, a.Consts[""])
			default:
				return fmt.Errorf("%s: role %s has no C form", hp.Name, role.Role)
			}
		}
	}
	callExpr := fmt.Sprintf("p_%s(%s)", call.Func, strings.Join(exprs, ", "))
	switch {
	case hf.Result.Kind == cheader.Void:
		fmt.Fprintf(w, "\t\t%s;\n\t\tprintf(\"call %d %s\\n\");\n", callExpr, i+1, call.Func)
	case cf.Returns.Kind == contract.ReturnString:
		fmt.Fprintf(w, "\t\tconst char *r = %s;\n\t\tprintf(\"call %d %s -> %%s\\n\", r ? r : \"NULL\");\n", callExpr, i+1, call.Func)
	case cf.Returns.Kind == contract.ReturnStatus:
		fmt.Fprintf(w, "\t\tlong long r = (long long)%s;\n\t\tprintf(\"call %d %s -> %%s (%%lld)\\n\", status(r), r);\n", callExpr, i+1, call.Func)
	default:
		fmt.Fprintf(w, "\t\tlong long r = (long long)%s;\n\t\tprintf(\"call %d %s -> %%lld\\n\", r);\n", callExpr, i+1, call.Func)
	}
	// What the engine allocated for the caller goes back through its freed_by, as seam does.
	for k, hp := range hf.Params {
		role := cf.Param(hp.Name)
		if role == nil || role.Role != contract.RoleCalleeAlloc || exprs[k] == "NULL" {
			continue
		}
		ft := g.b.Contract.Type(role.Of)
		if ft == nil || ft.FreedBy.Func == "" {
			continue
		}
		g.use(ft.FreedBy.Func)
		count := "0"
		if lp := hf.Param(role.Len); lp != nil && exprs[lp.Index] != "NULL" {
			count = "*" + v(lp)
		}
		var args []string
		for _, an := range ft.FreedBy.Args {
			if an == hp.Name {
				args = append(args, v(hp))
			} else {
				args = append(args, count)
			}
		}
		fmt.Fprintf(w, "\t\tif (%s) p_%s(%s);\n", v(hp), ft.FreedBy.Func, strings.Join(args, ", "))
	}
	for _, a := range after {
		fmt.Fprintf(w, "\t\t%s\n", a)
	}
	w.WriteString("\t}\n")
	// Handles bound after the call: "as" names the handle this call made, and a handle the
	// trace freed is not freed again at the end.
	for name, a := range call.Args {
		if h := g.handles[a.Ref]; h != "" && frees(g.b.Contract, call.Func, name, g.typeOf(h)) {
			g.freed[h] = true
		}
	}
	if call.As != "" {
		g.handles[call.As] = ""
		for _, p := range cf.Params {
			if p.Role == contract.RoleHandleOut && exprs[hf.Param(p.Name).Index] != "NULL" {
				g.handles[call.As] = g.made[len(g.made)-1].name
			}
		}
	}
	return nil
}

func (g *cgen) typeOf(handleVar string) string {
	for _, h := range g.made {
		if h.name == handleVar {
			return h.typ
		}
	}
	return ""
}

// structIn writes an input struct filled field by field: zero first, the size field sizeof
// the struct unless given, byte fields in exact-size blocks with their length fields set.
func (g *cgen) structIn(w *strings.Builder, name string, role *contract.Param, pt *cheader.Type, v boundary.Value, consts map[string]string, after *[]string) error {
	st := pt.Elem.Struct
	ctype := st.Typedef
	if ctype == "" {
		ctype = "struct " + st.Tag
	}
	fmt.Fprintf(w, "\t\t%s *%s = malloc(sizeof *%s);\n\t\tmemset(%s, 0, sizeof *%s);\n", ctype, name, name, name, name)
	// The struct after its fields' blocks: they are read through it.
	defer func() { *after = append(*after, "free("+name+");") }()
	lens := map[string]int{}
	fields := make([]*cheader.Field, len(st.Fields))
	copy(fields, st.Fields)
	for _, f := range fields {
		fv, given := v.Fields[f.Name]
		fr := role.Field(f.Name)
		switch {
		case fr != nil && fr.Role == contract.RoleBytes:
			if !given || fv.Null {
				lens[fr.Len] = 0
				if !given {
					// boundary lays out an empty, non-NULL block for a byte field not given.
					fmt.Fprintf(w, "\t\t%s->%s = copy(\"\", 0);\n", name, f.Name)
					*after = append(*after, fmt.Sprintf("free((void *)%s->%s);", name, f.Name))
				}
				continue
			}
			fmt.Fprintf(w, "\t\t%s->%s = copy(%s, %d);\n", name, f.Name, cString(fv.Bytes), len(fv.Bytes))
			*after = append(*after, fmt.Sprintf("free((void *)%s->%s);", name, f.Name))
			lens[fr.Len] = len(fv.Bytes)
		case f.Type.Kind == cheader.Array:
			if len(fv.Bytes) > 0 {
				fmt.Fprintf(w, "\t\tmemcpy(%s->%s, %s, %d);\n", name, f.Name, cString(fv.Bytes), len(fv.Bytes))
			}
		case f.Name == role.SizeField && !given:
			fmt.Fprintf(w, "\t\t%s->%s = sizeof *%s;\n", name, f.Name, name)
		case given:
			fmt.Fprintf(w, "\t\t%s->%s = %s;\n", name, f.Name, intLit(f.Type, fv.Int, consts[f.Name]))
		}
	}
	for _, n := range slices.Sorted(maps.Keys(lens)) {
		if _, given := v.Fields[n]; given || st.Field(n) == nil {
			continue
		}
		fmt.Fprintf(w, "\t\t%s->%s = %d;\n", name, n, lens[n])
	}
	return nil
}

// intLit is v as a C expression of type t, keeping the bits seam passes; by its constant's
// name when the trace wrote one.
func intLit(t *cheader.Type, v int64, constant string) string {
	lit := fmt.Sprintf("%dLL", v)
	switch {
	case constant != "":
		lit = "(" + constant + ")"
	case v == math.MinInt64:
		lit = "INT64_MIN"
	}
	if t.Kind == cheader.Pointer {
		return fmt.Sprintf("(%s)(uintptr_t)%s", t.Spelling, lit)
	}
	return fmt.Sprintf("(%s)%s", t.Spelling, lit)
}

// cString is b as a C string literal: printable ASCII as is, every other byte a three-digit
// octal escape (which, unlike \x, never runs into the next character).
func cString(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c == '?':
			s.WriteString(`\?`) // no trigraphs
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, "\\%03o", c)
		}
	}
	s.WriteByte('"')
	return s.String()
}
