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

// cPrelude is the program's helpers: dlsym or stop, exact-size copies, filled outputs. Each
// is marked unused, since a trace may need none of them and the program builds with -Wall.
const cPrelude = `#define REPRO_HELPER static __attribute__((unused))

static void *lib;

/* sym resolves a function of the library or stops: a missing symbol is not the engine's bug. */
REPRO_HELPER void *sym(const char *name) {
	void *p = dlsym(lib, name);
	if (!p) {
		fprintf(stderr, "repro: %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

/* copy is n bytes in a block of exactly n bytes (malloc(0) is a unique, empty block). */
REPRO_HELPER void *copy(const void *src, size_t n) {
	void *p = malloc(n);
	if (n) memcpy(p, src, n);
	return p;
}

/* out is an output block of n bytes filled with 0xA5, as seam fills its outputs. */
REPRO_HELPER void *out(size_t n) {
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
	w.WriteString("REPRO_HELPER const char *status(long long v) {\n")
	for _, s := range g.b.Contract.Statuses {
		fmt.Fprintf(w, "\tif (v == (long long)(%s)) return %q;\n", s.Const, s.Const)
	}
	w.WriteString("\treturn \"?\";\n}\n\n")
}

// ccall is one call being written: its arguments' C expressions and what to free after it.
type ccall struct {
	g     *cgen
	w     *strings.Builder
	i     int // the call's index, from 0
	call  Call
	cf    *contract.Function
	hf    *cheader.Function
	exprs []string          // each C parameter's argument expression
	lens  map[string]string // parameter -> the length its buffer was laid out with
	after []string          // statements after the call (frees)
}

// call writes one call as a block: its arguments laid out, the call, its line, the frees.
func (g *cgen) call(w *strings.Builder, i int, call Call) error {
	c := &ccall{g: g, w: w, i: i, call: call, cf: g.b.Contract.Function(call.Func), hf: g.b.Header.Function(call.Func), lens: map[string]string{}}
	c.exprs = make([]string, len(c.hf.Params))
	g.use(call.Func)
	measured := map[string]*contract.Param{} // a length parameter -> what it measures
	for _, p := range c.cf.Params {
		if p.Len != "" && p.Role != contract.RoleLength && p.Role != contract.RoleOutSize {
			measured[p.Len] = p
		} else if p.Role == contract.RoleLength {
			measured[p.Name] = c.cf.Param(p.Len)
		}
	}
	fmt.Fprintf(w, "\t/* call %d: %s */\n\t{\n", i+1, call.Func)
	// Lengths last, as seam lays them out: they measure the buffers laid out before them.
	for k, hp := range c.hf.Params {
		if _, isLen := measured[hp.Name]; !isLen {
			if err := c.arg(k, hp); err != nil {
				return fmt.Errorf("%s: %v", hp.Name, err)
			}
		}
	}
	for k, hp := range c.hf.Params {
		if m, isLen := measured[hp.Name]; isLen {
			c.lengthArg(k, hp, m)
		}
	}
	c.invoke()
	c.freeCalleeAllocs()
	for _, a := range c.after {
		fmt.Fprintf(w, "\t\t%s\n", a)
	}
	w.WriteString("\t}\n")
	c.bind()
	return nil
}

// v is the C variable of one parameter's argument.
func (c *ccall) v(p *cheader.Param) string { return fmt.Sprintf("a%d_%s", c.i+1, p.Name) }

// lengthArg is a length, capacity or count: an output when it is a pointer, else the value
// the trace gives or the length of what it measures.
func (c *ccall) lengthArg(k int, hp *cheader.Param, measures *contract.Param) {
	a, given := c.call.Args[hp.Name]
	name := c.v(hp)
	switch {
	case hp.Type.Kind == cheader.Pointer && given && a.Value.Null:
		c.exprs[k] = "NULL"
	case hp.Type.Kind == cheader.Pointer:
		fmt.Fprintf(c.w, "\t\t%s %s = out(sizeof *%s);\n", hp.Type.Spelling, name, name)
		c.after = append(c.after, "free("+name+");")
		c.exprs[k] = name
	case given:
		c.exprs[k] = intLit(hp.Type, a.Value.Int, a.Consts[""])
	case c.lens[measures.Name] != "":
		c.exprs[k] = c.lens[measures.Name]
	default:
		c.exprs[k] = "0"
	}
}

// arg lays one argument out as boundary does for its role.
func (c *ccall) arg(k int, hp *cheader.Param) error {
	a, given := c.call.Args[hp.Name]
	role, name, w := c.cf.Param(hp.Name), c.v(hp), c.w
	out := func(decl string) { // an output block, freed after the call
		fmt.Fprintf(w, "\t\t%s\n", decl)
		c.after = append(c.after, "free("+name+");")
		c.exprs[k] = name
	}
	switch {
	case a.Ref != "":
		c.exprs[k] = "NULL" // the call that was to make it failed
		if h := c.g.handles[a.Ref]; h != "" {
			c.exprs[k] = h
		}
		return nil
	case given && a.Value.Null && hp.Type.Kind == cheader.Pointer:
		c.exprs[k] = "NULL"
		return nil
	case role == nil:
		c.exprs[k] = intLit(hp.Type, a.Value.Int, a.Consts[""])
		return nil
	}
	switch role.Role {
	case contract.RoleHandle:
		c.exprs[k] = "NULL" // Parse requires every handle
	case contract.RoleBytes, contract.RoleString:
		bs, n := a.Value.Bytes, len(a.Value.Bytes)
		c.lens[hp.Name] = fmt.Sprint(n)
		if role.Role == contract.RoleString {
			bs, n = append(append([]byte{}, bs...), 0), n+1
		}
		fmt.Fprintf(w, "\t\t%s %s = copy(%s, %d);\n", hp.Type.Spelling, name, cString(bs), n)
		c.after = append(c.after, fmt.Sprintf("free((void *)%s);", name))
		c.exprs[k] = name
	case contract.RoleStruct:
		c.exprs[k] = name
		return c.g.structIn(w, name, role, hp.Type, a.Value, a.Consts, &c.after)
	case contract.RoleOutStruct:
		out(fmt.Sprintf("%s %s = out(sizeof *%s);", strings.TrimPrefix(hp.Type.Spelling, "const "), name, name))
		if role.SizeField != "" {
			size := "sizeof *" + name
			if fv, ok := a.Value.Fields[role.SizeField]; ok {
				size = fmt.Sprint(fv.Int)
			}
			fmt.Fprintf(w, "\t\t%s->%s = %s;\n", name, role.SizeField, size)
		}
	case contract.RoleOutBuffer:
		c.lens[hp.Name] = fmt.Sprint(a.Value.Int)
		out(fmt.Sprintf("%s %s = out(%d);", hp.Type.Spelling, name, a.Value.Int))
	case contract.RoleOutSize, contract.RoleOutInt:
		out(fmt.Sprintf("%s %s = out(sizeof *%s);", hp.Type.Spelling, name, name))
	case contract.RoleHandleOut:
		h := handleVar{name: fmt.Sprintf("h%d", c.i+1), typ: role.Of, ctype: hp.Type.Elem.Spelling}
		if c.call.As != "" {
			h.name += "_" + c.call.As
		}
		c.g.made = append(c.g.made, h)
		c.exprs[k] = "&" + h.name
	case contract.RoleCalleeAlloc:
		fmt.Fprintf(w, "\t\t%s %s = NULL;\n", hp.Type.Elem.Spelling, name)
		c.exprs[k] = "&" + name
	case contract.RoleInt:
		c.exprs[k] = intLit(hp.Type, a.Value.Int, a.Consts[""])
	default:
		return fmt.Errorf("role %s has no C form", role.Role)
	}
	return nil
}

// invoke writes the call and the line that prints its status, value or string.
func (c *ccall) invoke() {
	expr := fmt.Sprintf("p_%s(%s)", c.call.Func, strings.Join(c.exprs, ", "))
	n, fn := c.i+1, c.call.Func
	switch {
	case c.hf.Result.Kind == cheader.Void:
		fmt.Fprintf(c.w, "\t\t%s;\n\t\tprintf(\"call %d %s\\n\");\n", expr, n, fn)
	case c.cf.Returns.Kind == contract.ReturnString:
		fmt.Fprintf(c.w, "\t\tconst char *r = %s;\n\t\tprintf(\"call %d %s -> %%s\\n\", r ? r : \"NULL\");\n", expr, n, fn)
	case c.cf.Returns.Kind == contract.ReturnStatus:
		fmt.Fprintf(c.w, "\t\tlong long r = (long long)%s;\n\t\tprintf(\"call %d %s -> %%s (%%lld)\\n\", status(r), r);\n", expr, n, fn)
	default:
		fmt.Fprintf(c.w, "\t\tlong long r = (long long)%s;\n\t\tprintf(\"call %d %s -> %%lld\\n\", r);\n", expr, n, fn)
	}
}

// freeCalleeAllocs gives what the engine allocated for the caller back through its freed_by,
// as seam does.
func (c *ccall) freeCalleeAllocs() {
	for k, hp := range c.hf.Params {
		role := c.cf.Param(hp.Name)
		if role == nil || role.Role != contract.RoleCalleeAlloc || c.exprs[k] == "NULL" {
			continue
		}
		ft := c.g.b.Contract.Type(role.Of)
		if ft == nil || ft.FreedBy.Func == "" {
			continue
		}
		c.g.use(ft.FreedBy.Func)
		count := "0"
		if lp := c.hf.Param(role.Len); lp != nil && c.exprs[lp.Index] != "NULL" {
			count = "*" + c.v(lp)
		}
		var args []string
		for _, an := range ft.FreedBy.Args {
			if an == hp.Name {
				args = append(args, c.v(hp))
			} else {
				args = append(args, count)
			}
		}
		fmt.Fprintf(c.w, "\t\tif (%s) p_%s(%s);\n", c.v(hp), ft.FreedBy.Func, strings.Join(args, ", "))
	}
}

// bind updates the handles after the call: a handle the trace freed is not freed again at the
// end, and "as" names the handle this call made (none when its output was NULL).
func (c *ccall) bind() {
	g := c.g
	for name, a := range c.call.Args {
		if h := g.handles[a.Ref]; h != "" && frees(g.b.Contract, c.call.Func, name, g.typeOf(h)) {
			g.freed[h] = true
		}
	}
	if c.call.As == "" {
		return
	}
	g.handles[c.call.As] = ""
	for _, p := range c.cf.Params {
		if p.Role == contract.RoleHandleOut && c.exprs[c.hf.Param(p.Name).Index] != "NULL" {
			g.handles[c.call.As] = g.made[len(g.made)-1].name
		}
	}
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
