package contract

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/seamfuzz/seam/cheader"
)

// Table returns the ownership table of a contract in Markdown, the form a
// reviewer reads (`seam contract table`): one table of the types (who
// allocates and frees each, who owns it, until when, which threads), one of
// every parameter of every function (its role, what NULL gives, what the
// engine leaves on error, the statuses the function may return). h gives the
// C types and the statuses' values; it may be nil.
func Table(c *Contract, h *cheader.Header) string {
	tw := &tableWriter{c: c, h: h}
	header := c.Header
	if rel, err := filepath.Rel(c.Dir, c.Header); err == nil {
		header = rel
	}
	fmt.Fprintf(&tw.b, "# %s: ownership table\n\nHeader `%s`.", c.Boundary, header)
	if len(c.Statuses) > 0 {
		var ss []string
		for _, s := range c.Statuses {
			ss = append(ss, fmt.Sprintf("%s = `%s`%s", s.Name, s.Const, tw.value(s.Const)))
		}
		fmt.Fprintf(&tw.b, " Statuses: %s.", strings.Join(ss, ", "))
	}
	if c.Broken != "" {
		fmt.Fprintf(&tw.b, " A broken precondition returns %s unless a parameter says otherwise.", c.Broken)
	}
	if c.LastError != "" {
		fmt.Fprintf(&tw.b, " `%s` holds the calling thread's last error.", c.LastError)
	}
	tw.b.WriteString("\n\n## Types\n\n")
	tw.row("type", "allocated by", "freed by", "owned/borrowed", "valid until", "threads")
	tw.row("---", "---", "---", "---", "---", "---")
	for _, t := range c.Types {
		freed := code(t.FreedBy.String())
		if t.NullFree {
			freed += " (NULL is fine)"
		}
		tw.row(code(t.Name)+" ("+t.Kind+")", dash(code(t.AllocatedBy)), dash(freed), dash(owner(t.Owner)), dash(tw.validUntil(t)), dash(threadsText(t.Threads)))
	}
	for _, name := range tw.borrowedStructs() {
		tw.row(code(name)+" (struct)", "the caller", "the caller", "borrowed for the call", "the call", "—")
	}
	tw.b.WriteString("\n## Functions\n\n")
	tw.row("function", "threads", "param", "role", "NULL", "on error", "statuses")
	tw.row("---", "---", "---", "---", "---", "---", "---")
	for _, f := range c.Functions {
		tw.function(f)
	}
	return tw.b.String()
}

type tableWriter struct {
	c *Contract
	h *cheader.Header
	b strings.Builder
}

// row writes one Markdown table row; a cell may not hold a '|'.
func (tw *tableWriter) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	fmt.Fprintf(&tw.b, "| %s |\n", strings.Join(cells, " | "))
}

// dash stands for an empty cell that means "nothing".
func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// String spells a call as the contract does: "f(a, b)", or "f".
func (c Call) String() string {
	if len(c.Args) == 0 {
		return c.Func
	}
	return c.Func + "(" + strings.Join(c.Args, ", ") + ")"
}

// value returns " (N)", the value of a header constant, when h is known.
func (tw *tableWriter) value(name string) string {
	if tw.h == nil {
		return ""
	}
	if v, ok := tw.h.Const(name); ok {
		return fmt.Sprintf(" (%d)", v)
	}
	return ""
}

func owner(o string) string {
	switch o {
	case "caller":
		return "owned by the caller"
	case "engine":
		return "owned by the engine, borrowed by the caller"
	}
	return o
}

func (tw *tableWriter) validUntil(t *Type) string {
	switch t.ValidUntil {
	case "freed_by":
		return "freed with " + code(t.FreedBy.Func)
	case "call":
		return "the call"
	case "":
		return ""
	}
	return code(t.ValidUntil)
}

var threadsTexts = map[string]string{
	ThreadsAny:       "any",
	ThreadsSafe:      "thread-safe (shared)",
	ThreadsExclusive: "exclusive (busy on concurrent use)",
	ThreadsPerThread: "per thread",
	ThreadsNone:      "not thread-safe (never shared)",
}

func threadsText(claim string) string {
	if s, ok := threadsTexts[claim]; ok {
		return s
	}
	return claim
}

// borrowedStructs lists the structs parameters pass by pointer that are not
// types of the contract: the caller's, lent for the call.
func (tw *tableWriter) borrowedStructs() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range tw.c.Functions {
		for _, p := range f.Params {
			if (p.Role == RoleStruct || p.Role == RoleOutStruct) && !seen[p.Of] && tw.c.Type(p.Of) == nil {
				seen[p.Of] = true
				out = append(out, p.Of)
			}
		}
	}
	return out
}

func (tw *tableWriter) function(f *Function) {
	statuses := strings.Join(f.Statuses, ", ")
	if f.Returns.Kind != ReturnStatus {
		statuses = "returns " + f.Returns.Kind
		if f.Returns.EngineSpecific {
			statuses += " (engine-specific)"
		}
	}
	name, threads := code(f.Name), threadsText(f.Threads)
	if len(f.Params) == 0 {
		role := ""
		if tw.isFree(f.Name) {
			role = "frees what its types' freed_by pass"
		}
		tw.row(name, threads, "—", dash(role), "—", "—", statuses)
		return
	}
	first := true
	var emit func(prefix string, ps []*Param, ctype func(string) *cheader.Type)
	emit = func(prefix string, ps []*Param, ctype func(string) *cheader.Type) {
		for _, p := range ps {
			param := code(prefix + p.Name)
			t := ctype(p.Name)
			if t != nil {
				param += " " + code(t.Spelling)
			}
			// The function's own cells are on its first row only.
			cells := []string{"", "", param, dash(tw.role(p)), dash(tw.null(f, p, t)), dash(p.OnError), ""}
			if first {
				cells[0], cells[1], cells[6] = name, threads, statuses
				first = false
			}
			tw.row(cells...)
			if len(p.Fields) > 0 {
				emit(prefix+p.Name+".", p.Fields, tw.fieldTypes(p.Of))
			}
		}
	}
	emit("", f.Params, tw.paramTypes(f.Name))
}

func (tw *tableWriter) isFree(name string) bool {
	for _, t := range tw.c.Types {
		if t.FreedBy.Func == name {
			return true
		}
	}
	return false
}

// paramTypes and fieldTypes give the C type of a parameter or field (nil
// without a header).
func (tw *tableWriter) paramTypes(fn string) func(string) *cheader.Type {
	return func(name string) *cheader.Type {
		if tw.h == nil {
			return nil
		}
		if f := tw.h.Function(fn); f != nil {
			if p := f.Param(name); p != nil {
				return p.Type
			}
		}
		return nil
	}
}

func (tw *tableWriter) fieldTypes(structName string) func(string) *cheader.Type {
	return func(name string) *cheader.Type {
		if tw.h == nil {
			return nil
		}
		if s := tw.h.Struct(structName); s != nil {
			if f := s.Field(name); f != nil {
				return f.Type
			}
		}
		return nil
	}
}

// role describes a parameter's role in a few words.
func (tw *tableWriter) role(p *Param) string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	switch p.Role {
	case RoleHandle:
		add("handle %s", code(p.Of))
	case RoleHandleOut:
		add("makes a %s", code(p.Of))
	case RoleBytes:
		add("bytes, length %s", code(p.Len))
	case RoleString:
		add("NUL-terminated string")
	case RoleStruct:
		add("input struct %s", code(p.Of))
	case RoleOutStruct:
		add("output struct %s", code(p.Of))
	case RoleOutBuffer:
		add("caller's buffer, capacity %s", code(p.Len))
		if p.Needed != "" {
			add("needed in %s", code(p.Needed))
		}
	case RoleOutSize:
		add("bytes %s needs", code(p.Len))
		if p.AlwaysSet {
			add("always set")
		}
	case RoleCalleeAlloc:
		add("engine allocates, length %s", code(p.Len))
		freed := p.FreedBy
		if t := tw.c.Type(p.Of); t != nil && freed.Func == "" {
			freed = t.FreedBy
		}
		if freed.Func != "" {
			add("caller frees with %s", code(freed.String()))
		}
	case RoleOutInt:
		add("output %s", p.Of)
	case RoleLength:
		add("length of %s", code(p.Len))
	case RoleInt:
		switch {
		case p.Range[0] != "" || p.Range[1] != "":
			add("integer in [%s, %s]", p.Range[0], p.Range[1])
		case len(p.Enum) > 0:
			add("one of %s", strings.Join(p.Enum, ", "))
		case p.Flags != "":
			add("flags within %s", p.Flags)
		default:
			add("any integer")
		}
	}
	if p.Max != "" {
		add("max %s", p.Max)
	}
	if p.Encoding != "" {
		parts = append(parts, p.Encoding)
	}
	if p.SizeField != "" {
		add("size in %s", code(p.SizeField))
	}
	if p.EngineSpecific {
		add("engine-specific")
	}
	// What each broken precondition other than NULL (its own column) gives.
	for _, pre := range Preconditions(p.Role) {
		if s, ok := p.Pre[pre]; ok && pre != PreNull {
			add("%s: %s", strings.ReplaceAll(pre, "_", " "), s)
		}
	}
	return strings.Join(parts, ", ")
}

// null says what a NULL pointer gives: fine, the caller's guarantee, or the
// status; "" for what is not a pointer (t is its C type, nil if unknown).
func (tw *tableWriter) null(f *Function, p *Param, t *cheader.Type) string {
	if p.Role == RoleInt || t != nil && t.Kind != cheader.Pointer || t == nil && p.Role == RoleLength {
		return ""
	}
	switch s := tw.c.Status(f, p, PreNull); s {
	case Allowed:
		return "fine"
	case CallerGuarantee:
		return "never (caller)"
	default:
		return s
	}
}
