package contract

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seamfuzz/seam/cheader"
)

func (d *drafter) function(fns *yaml.Node, fn *cheader.Function) {
	f := put(fns, fn.Name, mapNode(false))
	claim, ok := headerThreads(fn.Doc)
	if !ok {
		claim = ThreadsNone
	}
	put(f, "threads", str(claim))
	if !ok {
		guess(f, "threads", "its comment has no Threads: sentence; none is the safe claim")
	}
	clauses := checkClauses(fn.Doc, d.isStatus)
	if d.returns(f, fn, clauses) {
		d.statusList(f, clauses)
	}
	if d.isCalleeFree(fn.Name) {
		return // seam calls a free function only as freed_by says
	}
	if params := d.params(fn, clauses); len(params.Content) > 0 {
		put(f, "params", params)
	}
}

// returns drafts the return value and reports whether it is a status.
func (d *drafter) returns(f *yaml.Node, fn *cheader.Function, clauses []checkClause) bool {
	r := fn.Result
	switch {
	case r.Kind == cheader.Void:
		put(f, "returns", str(ReturnVoid))
	case isCharPointer(r, true):
		ret := put(f, "returns", mapNode(true))
		put(ret, ReturnString, str("static"))
		switch {
		case says(fn.Doc, "differ"):
			put(ret, "engine_specific", str("true"))
		case strings.Contains(fn.Name, "engine") || says(fn.Doc, "engine"):
			put(ret, "engine_specific", str("true"))
			guess(f, "returns", "a string that names the engine differs between engines")
		}
	case (r.Kind == cheader.Int || r.Kind == cheader.EnumKind) && len(clauses) > 0 && !says(fn.Doc, "not a status"):
		return true // status is the default
	case strings.Contains(fn.Name, "last_error") && says(d.h.Doc, "messages are not part of the contract"):
		ret := put(f, "returns", mapNode(true))
		put(ret, ReturnValue, str("length"))
		put(ret, "engine_specific", str("true"))
		guess(f, "returns", "the header says messages are not part of the contract")
	default:
		put(f, "returns", str(ReturnValue))
		if r.Kind != cheader.Int && r.Kind != cheader.EnumKind {
			guess(f, "returns", fmt.Sprintf("a '%s' result", r))
		}
	}
	return false
}

// statusList drafts the statuses a function may return: ok, those its checks
// name, and the internal status every function may return by the header's
// conventions; in the order the header declares them.
func (d *drafter) statusList(f *yaml.Node, clauses []checkClause) {
	may := map[string]bool{"ok": true, d.statusName(d.internal): true}
	for _, cl := range clauses {
		may[d.statusName(cl.status)] = true
	}
	// In the header's order, the internal failure last: the one status no
	// input causes.
	var names []string
	for _, s := range d.statuses {
		if may[s.Name] && s.Const != d.internal {
			names = append(names, s.Name)
		}
	}
	if d.internal != "" {
		names = append(names, d.statusName(d.internal))
	}
	put(f, "statuses", list(names...))
	guess(f, "statuses", "ok, its Checks sentence, and internal by the header's conventions")
}

func (d *drafter) isCalleeFree(name string) bool {
	return slices.ContainsFunc(d.callee, func(ct *calleeType) bool { return strings.HasPrefix(ct.freedBy, name+"(") })
}

// params drafts the role of every parameter of fn; the length and capacity
// of a pair go with the pointer they measure.
func (d *drafter) params(fn *cheader.Function, clauses []checkClause) *yaml.Node {
	out := mapNode(false)
	companion := map[string]bool{}
	outSize := map[string]string{} // size_t * parameter -> the out_buffer it measures
	length := map[string]string{}  // size_t * parameter -> the callee_alloc output it counts
	for i, p := range fn.Params {
		if companion[p.Name] {
			continue
		}
		t := p.Type
		var next *cheader.Param
		if i+1 < len(fn.Params) {
			next = fn.Params[i+1]
		}
		v := put(out, p.Name, mapNode(true))
		switch {
		case outSize[p.Name] != "":
			put(v, RoleOutSize, str(outSize[p.Name]))
			if says(fn.Doc, "*"+p.Name+" is always set") {
				put(v, "always_set", str("true"))
			}
		case length[p.Name] != "":
			put(v, RoleLength, str(length[p.Name]))
		case t.Kind == cheader.Pointer && t.Elem.IsPointerTo(cheader.StructKind) && t.Elem.Elem.Struct.Opaque:
			put(v, RoleHandleOut, str(t.Elem.Elem.Struct.Name))
			d.zeroOnError(v, fn, p)
		case t.IsPointerTo(cheader.StructKind) && t.Elem.Struct.Opaque:
			put(v, RoleHandle, str(t.Elem.Struct.Name))
			d.null(out, v, fn, p)
		case calleeAt(fn, i) != nil:
			lp := calleeAt(fn, i)
			put(v, RoleCalleeAlloc, str(lp.Name))
			for _, ct := range d.callee {
				if ct.allocatedBy == fn.Name && ct.elem == t.Elem {
					put(v, "of", str(ct.name))
				}
			}
			d.zeroOnError(v, fn, p)
			length[lp.Name] = p.Name
		case isBytePointer(t, true) && next != nil && isSize(next.Type):
			companion[next.Name] = true
			put(v, RoleBytes, str(next.Name))
			d.bounds(v, next.Name, clauses)
			put(v, "encoding", str(d.encodingOf(fn.Doc)))
			if d.encodingGuessed(fn.Doc) {
				guess(out, p.Name, "no encoding is stated")
			}
			d.bytesNull(out, v, fn, p)
		case isCharPointer(t, true):
			put(v, RoleString, str(d.encodingOf(fn.Doc)))
			if d.encodingGuessed(fn.Doc) {
				guess(out, p.Name, "no encoding is stated")
			}
			d.stringRules(v, p.Name, clauses)
		case t.IsPointerTo(cheader.StructKind):
			d.structParam(out, v, fn, p)
		case isBytePointer(t, false) && next != nil && isSize(next.Type):
			companion[next.Name] = true
			put(v, RoleOutBuffer, str(next.Name))
			for _, q := range fn.Params[i+2:] {
				if isSizePointer(q.Type) {
					put(v, "needed", str(q.Name))
					outSize[q.Name] = p.Name
					break
				}
			}
			d.null(out, v, fn, p)
			if says(fn.Doc, "writes nothing unless") {
				put(v, "on_error", str(OnErrorUntouched))
			}
			if strings.Contains(fn.Name, "last_error") && says(d.h.Doc, "messages are not part of the contract") {
				put(v, "engine_specific", str("true"))
				guess(out, p.Name, "the header says messages are not part of the contract")
			}
		case t.Kind == cheader.Pointer && isInteger(t.Elem) && !t.Elem.Const:
			put(v, RoleOutInt, str(intName(t.Elem)))
			if says(fn.Doc, "*"+p.Name+" = 0") {
				put(v, "on_error", str(OnErrorZero))
			}
		case isInteger(t):
			d.intRange(out, v, p.Name, t, clauses)
		default:
			put(v, RoleInt, str("any"))
			guess(out, p.Name, fmt.Sprintf("no convention fits '%s'", t))
		}
	}
	return out
}

// intName names an integer type for out_int: uint64 for uint64_t.
func intName(t *cheader.Type) string {
	if t.Typedef != "" {
		return strings.TrimSuffix(t.Typedef, "_t")
	}
	return t.Name
}

func (d *drafter) zeroOnError(v *yaml.Node, fn *cheader.Function, p *cheader.Param) {
	if says(fn.Doc, "*"+p.Name+" = NULL") || says(fn.Doc, "*"+p.Name+" set to NULL") {
		put(v, "on_error", str(OnErrorZero))
	}
}

func (d *drafter) null(params, v *yaml.Node, fn *cheader.Function, p *cheader.Param) {
	if fine, guessed := nullFine(fn, p); fine {
		put(v, PreNull, str(Allowed))
		if guessed {
			guess(params, p.Name, "the comment's \"NULL is fine\" names no parameter")
		}
	}
}

// bytesNull: NULL with length 0 is fine where the function or the header's
// conventions say so.
func (d *drafter) bytesNull(params, v *yaml.Node, fn *cheader.Function, p *cheader.Param) {
	switch {
	case says(fn.Doc, p.Name+" NULL (any len)"):
		put(v, PreNull, str(Allowed))
		put(v, PreNullWithLen, str(Allowed))
	case says(d.h.Doc, "NULL is allowed with length 0"):
		put(v, PreNull, str(Allowed))
	default:
		d.null(params, v, fn, p)
	}
}

func (d *drafter) encodingOf(doc string) string {
	if says(doc, "UTF-8") {
		return "utf8"
	}
	return "raw"
}

func (d *drafter) encodingGuessed(doc string) bool {
	return !says(doc, "UTF-8") && !says(d.h.Doc, "no encoding")
}

// bounds takes a bytes parameter's maximum from a check "len > MAX": the
// status it gives is over_max's when it is not the usual broken one.
func (d *drafter) bounds(v *yaml.Node, lenName string, clauses []checkClause) {
	for _, cl := range clauses {
		if max := after(cl.cond, lenName+" > "); max != "" && d.h.Constant(max) != nil {
			put(v, "max", str(max))
			if s := d.statusName(cl.status); s != d.broken() {
				put(v, PreOverMax, str(s))
			}
			return
		}
	}
}

// after returns the word that follows marker in s, or "".
func after(s, marker string) string {
	if _, rest, ok := strings.Cut(s, marker); ok {
		return firstWord(rest)
	}
	return ""
}

func (d *drafter) stringRules(v *yaml.Node, name string, clauses []checkClause) {
	for _, cl := range clauses {
		if !strings.Contains(cl.cond, name) {
			continue
		}
		if max := after(cl.cond, "longer than "); max != "" && d.h.Constant(max) != nil {
			put(v, "max", str(max))
		}
		if strings.Contains(cl.cond, name+" empty") {
			put(v, PreEmpty, str(d.statusName(cl.status)))
		}
	}
}

// intRange drafts an integer by value from its checks: "n > MAX" bounds it
// above, "n == 0" below; without either it is any int.
func (d *drafter) intRange(params, v *yaml.Node, name string, t *cheader.Type, clauses []checkClause) {
	lo, hi, overMax := "0", "", ""
	for _, cl := range clauses {
		if max := after(cl.cond, name+" > "); max != "" && d.h.Constant(max) != nil {
			hi = max
			if s := d.statusName(cl.status); s != d.broken() {
				overMax = s
			}
		}
		if strings.Contains(cl.cond, name+" == 0") {
			lo = "1"
		}
	}
	if hi == "" {
		put(v, RoleInt, str("any"))
		return
	}
	if t.Signed && lo == "0" {
		guess(params, name, "a signed integer checked only above: 0 taken as its minimum")
	}
	put(v, "range", list(lo, hi))
	if overMax != "" {
		put(v, PreOverMax, str(overMax))
	}
}

// structParam drafts a pointer to a struct: an input struct when the pointee
// is const, else an output struct.
func (d *drafter) structParam(params, v *yaml.Node, fn *cheader.Function, p *cheader.Param) {
	s := p.Type.Elem.Struct
	input := p.Type.Elem.Const
	role := RoleOutStruct
	if input {
		role = RoleStruct
	}
	put(v, role, str(s.Name))
	if f := s.Field("struct_size"); f != nil && isInteger(f.Type) {
		put(v, "size_field", str("struct_size"))
	}
	d.null(params, v, fn, p)
	if !input {
		if says(s.Doc, "unspecified") || says(fn.Doc, p.Name+" unspecified") {
			put(v, "on_error", str(OnErrorUnspecified))
		}
		return
	}
	fields := mapNode(false)
	companion := map[string]bool{}
	for i, f := range s.Fields {
		if f.Name == "struct_size" || companion[f.Name] {
			continue
		}
		fv := mapNode(true)
		if isBytePointer(f.Type, true) && i+1 < len(s.Fields) && isSize(s.Fields[i+1].Type) {
			lenField := s.Fields[i+1]
			companion[lenField.Name] = true
			put(fv, RoleBytes, str(lenField.Name))
			if _, hi, ok := d.commentRange(lenField.Comment); ok {
				put(fv, "max", str(hi))
			}
			put(fv, "encoding", str(d.encodingOf(f.Comment)))
			if says(f.Comment, "NULL only with") || says(f.Comment, "NULL is fine") {
				put(fv, PreNull, str(Allowed))
			}
			put(fields, f.Name, fv)
			if d.encodingGuessed(f.Comment) {
				guess(fields, f.Name, "no encoding is stated")
			}
			continue
		}
		if d.fieldValues(fields, fv, f) {
			put(fields, f.Name, fv)
		}
	}
	if len(fields.Content) > 0 {
		// Block style: each field on its own line, so a guess marks one field.
		v.Style = 0
		put(v, "fields", fields)
	}
}

// commentRange reads "lo..hi" at the start of a field comment.
func (d *drafter) commentRange(comment string) (lo, hi string, ok bool) {
	word := strings.FieldsFunc(comment, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
	if len(word) == 0 {
		return "", "", false
	}
	lo, hi, ok = strings.Cut(word[0], "..")
	if !ok || !d.isValue(lo) || !d.isValue(hi) {
		return "", "", false
	}
	return lo, hi, true
}

func (d *drafter) isValue(v string) bool {
	if _, err := strconv.ParseInt(v, 0, 64); err == nil {
		return true
	}
	return d.h.Constant(v) != nil
}

// fieldValues drafts an integer field's range, enum or flags from its
// comment ("1..MAX", "PREFIX_*") or its enum type; false when there is none.
func (d *drafter) fieldValues(fields, fv *yaml.Node, f *cheader.Field) bool {
	enum := f.Type.Enum
	if lo, hi, ok := d.commentRange(f.Comment); ok {
		if enum != nil {
			put(fv, "enum", list(enumBetween(enum, lo, hi)...))
			return true
		}
		put(fv, "range", list(lo, hi))
		return true
	}
	words := strings.Fields(f.Comment)
	if len(words) > 0 && strings.HasSuffix(words[0], "_*") {
		prefix := strings.TrimSuffix(words[0], "*")
		if strings.Contains(prefix, "FLAG") {
			if all := prefix + "ALL"; d.h.Constant(all) != nil {
				put(fv, "flags", str(all))
				return true
			}
		}
		var values []string
		for _, c := range d.h.Constants {
			if strings.HasPrefix(c.Name, prefix) && !strings.HasSuffix(c.Name, "_COUNT") {
				values = append(values, c.Name)
			}
		}
		if len(values) > 0 {
			put(fv, "enum", list(values...))
			return true
		}
	}
	if enum != nil {
		var values []string
		for _, c := range enum.Constants {
			if !strings.HasSuffix(c.Name, "_COUNT") {
				values = append(values, c.Name)
			}
		}
		put(fv, "enum", list(values...))
		guess(fields, f.Name, "every constant of "+enum.Name+" but a *_COUNT")
		return true
	}
	return false
}

// enumBetween lists the constants of e from lo to hi.
func enumBetween(e *cheader.Enum, lo, hi string) []string {
	var out []string
	in := false
	for _, c := range e.Constants {
		in = in || c.Name == lo
		if in {
			out = append(out, c.Name)
		}
		if c.Name == hi {
			break
		}
	}
	return out
}

// properties drafts what the comments say of a function as a whole: "changes
// nothing" when called again is idempotence; an export "loading" gives back
// is a round trip.
func (d *drafter) properties(root *yaml.Node) {
	props := &yaml.Node{Kind: yaml.SequenceNode}
	for _, fn := range d.h.Functions {
		if says(fn.Doc, "changes nothing") && len(fn.Params) == 1 {
			m := mapNode(true)
			put(m, PropIdempotent, str(fn.Name))
			m.LineComment = "guessed: its comment says a second call changes nothing"
			props.Content = append(props.Content, m)
		}
		if !says(fn.Doc, "loading the export gives the same") {
			continue
		}
		for i, p := range fn.Params {
			if calleeAt(fn, i) == nil {
				continue
			}
			for _, load := range d.h.Functions {
				for j, q := range load.Params {
					if strings.Contains(load.Name, "load") && isBytePointer(q.Type, true) && j+1 < len(load.Params) {
						m := mapNode(true)
						rt := put(m, PropRoundTrip, mapNode(true))
						put(rt, "from", str(fn.Name+"."+p.Name))
						put(rt, "into", str(load.Name+"."+q.Name))
						put(rt, "same", str(fn.Name))
						m.LineComment = "guessed: its comment says loading the export gives the same"
						props.Content = append(props.Content, m)
					}
				}
			}
		}
	}
	if len(props.Content) > 0 {
		put(root, "properties", props)
	}
}
