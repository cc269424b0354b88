package contract

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seamfuzz/seam/cheader"
)

// Draft drafts a contract file from a header (`seam contract init HEADER`),
// with the conventions boundary headers usually follow: a pointer and a size_t
// length are bytes, a `const char *` is a string, an opaque struct made by a
// `T **` output and destroyed by a `void ..._free(T *)` is a handle, a `T **`
// with a `size_t *` is a callee-allocated output freed by the function whose
// parameters fit, `uint8_t *buf, size_t cap, size_t *needed` is an output
// buffer, a pointer to a struct with a struct_size field is a struct; thread
// claims, NULL rules, ranges, enums and statuses come from the comments'
// wording ("Threads: ...", "NULL is fine", "1..MAX", "PREFIX_*",
// "Checks: ... -> STATUS"). Every value the header does not say outright is
// marked "# guessed: why" on its line.
func Draft(h *cheader.Header) ([]byte, error) {
	d := &drafter{h: h}
	d.findStatuses()
	d.findCallee()
	root := mapNode(false)
	d.top(root)
	d.types(put(root, "types", mapNode(false)))
	fns := put(root, "functions", mapNode(false))
	for _, fn := range h.Functions {
		if !fn.Inline {
			d.function(fns, fn)
		}
	}
	d.properties(root)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root},
		HeadComment: fmt.Sprintf("Drafted by `seam contract init %s`: read every line marked guessed,\nthen run `seam contract check` on it.", filepath.Base(h.Path))}
	return encode(doc)
}

type drafter struct {
	h *cheader.Header
	// statuses are the status constants in the header's order, with the name
	// the contract gives each.
	statuses []Status
	internal string // the status the header maps caught exceptions and panics to
	// callee are the callee-allocated types met in the functions, in order.
	callee []*calleeType
}

type calleeType struct {
	name, kind, allocatedBy string
	freedBy                 string // "free(a, b)"
	freeGuessed             bool
	elem                    *cheader.Type // the T of T **
}

// findStatuses takes the status constants from an enum named *status*, or
// else from the run of #defines that holds a *_OK.
func (d *drafter) findStatuses() {
	var consts []*cheader.Constant
	for _, e := range d.h.Enums {
		if strings.Contains(strings.ToLower(e.Name), "status") {
			consts = e.Constants
			break
		}
	}
	if consts == nil {
		// The run of #defines that holds the success status.
		for _, group := range constGroups(d.h) {
			if slices.ContainsFunc(group, func(c *cheader.Constant) bool { return strings.HasSuffix(c.Name, "_OK") }) {
				consts = group
				break
			}
		}
	}
	if len(consts) == 0 {
		return
	}
	var names []string
	for _, c := range consts {
		names = append(names, c.Name)
	}
	prefix := commonPrefix(names)
	// errno-style names (TALLY_EINVAL): drop the E of every non-OK one.
	errno := true
	for _, n := range names {
		rest := strings.TrimPrefix(n, prefix)
		errno = errno && (rest == "OK" || strings.HasPrefix(rest, "E"))
	}
	for _, sentence := range sentences(d.h.Doc) {
		if says(sentence, "panic") || says(sentence, "exception") {
			for _, n := range names {
				if strings.Contains(sentence, n) {
					d.internal = n
				}
			}
		}
	}
	for _, c := range consts {
		rest := strings.TrimPrefix(c.Name, prefix)
		if errno && rest != "OK" {
			rest = strings.TrimPrefix(rest, "E")
		}
		name := strings.ToLower(rest)
		if full, ok := errnoNames[name]; ok {
			name = full
		}
		if c.Name == d.internal {
			name = "internal"
		}
		d.statuses = append(d.statuses, Status{Name: name, Const: c.Name})
	}
}

// errnoNames spells out the errno abbreviations a status constant may use.
var errnoNames = map[string]string{"inval": "invalid", "nomem": "no_memory", "perm": "permission",
	"noent": "not_found", "exist": "exists", "again": "again", "nospc": "no_space", "range": "range"}

// constGroups splits the #defines into runs on consecutive lines.
func constGroups(h *cheader.Header) [][]*cheader.Constant {
	var groups [][]*cheader.Constant
	for i, c := range h.Constants {
		if i == 0 || c.Pos.Line != h.Constants[i-1].Pos.Line+1 {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], c)
	}
	return groups
}

func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	// Cut back to a word boundary: SEAM_ of SEAM_BAD_INPUT and SEAM_BUSY.
	if i := strings.LastIndex(p, "_"); i >= 0 {
		return p[:i+1]
	}
	return ""
}

// sentences splits a comment into sentences.
func sentences(doc string) []string {
	var out []string
	for _, s := range strings.SplitAfter(flatten(doc), ". ") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// statusName returns the contract's name of a status constant.
func (d *drafter) statusName(constant string) string {
	for _, s := range d.statuses {
		if s.Const == constant {
			return s.Name
		}
	}
	return ""
}

func (d *drafter) isStatus(w string) bool { return d.statusName(w) != "" }

// broken is the status most checks of the header produce.
func (d *drafter) broken() string {
	count := map[string]int{}
	best := ""
	for _, fn := range d.h.Functions {
		for _, cl := range checkClauses(fn.Doc, d.isStatus) {
			n := d.statusName(cl.status)
			count[n]++
			if best == "" || count[n] > count[best] {
				best = n
			}
		}
	}
	return best
}

func (d *drafter) top(root *yaml.Node) {
	h := d.h
	base := strings.TrimSuffix(filepath.Base(h.Path), filepath.Ext(h.Path))
	boundary := base
	// mylib_widget.h names the widget boundary when its functions say so.
	if _, rest, ok := strings.Cut(base, "_"); ok && slices.ContainsFunc(h.Functions, func(f *cheader.Function) bool { return strings.HasPrefix(f.Name, rest) }) {
		boundary = rest
	}
	put(root, "boundary", str(boundary))
	guess(root, "boundary", "the header's file name")
	header := filepath.Base(h.Path)
	if filepath.Base(filepath.Dir(h.Path)) == "include" {
		header = "include/" + header
	}
	put(root, "header", str(header))
	guess(root, "header", "the contract sits beside the header's directory")
	engines := put(root, "engines", mapNode(false))
	put(engines, "engine", str("lib"+boundary+".so"))
	guess(root, "engines", "name each engine and its library ({variant} for the build variant), the reference first")

	if len(d.statuses) > 0 {
		st := put(root, "statuses", mapNode(false))
		for _, s := range d.statuses {
			put(st, s.Name, str(s.Const))
			switch {
			case s.Const == d.internal:
				guess(st, s.Name, "the header maps caught exceptions and panics to it")
			case s.Name != strings.ToLower(strings.TrimPrefix(s.Const, commonPrefix([]string{s.Const, d.statuses[0].Const}))):
				guess(st, s.Name, "spelled out from "+s.Const)
			}
		}
		if b := d.broken(); b != "" {
			put(root, "broken", str(b))
			guess(root, "broken", "the status most of the header's checks produce")
		}
	}
	for _, fn := range h.Functions {
		if strings.Contains(fn.Name, "last_error") {
			put(root, "last_error", str(fn.Name))
			guess(root, "last_error", "by its name")
			break
		}
	}
	abi := mapNode(false)
	for _, fn := range h.Functions {
		switch {
		case strings.HasSuffix(fn.Name, "abi_version") && len(fn.Params) == 0 && fn.Result.Kind == cheader.Int:
			put(abi, "version", str(fn.Name))
			if w := firstWord(fn.Doc); h.Constant(w) != nil {
				put(abi, "expect", str(w))
			}
		case len(fn.Params) == 1 && fn.Result.Kind == cheader.Void && fn.Params[0].Type.IsPointerTo(cheader.StructKind) &&
			strings.Contains(fn.Params[0].Type.Elem.Struct.Name, "layout"):
			put(abi, "layout", str(fn.Name))
			guess(abi, "layout", "it fills a layout struct")
			if fields := d.layoutFields(fn.Params[0].Type.Elem.Struct); len(fields.Content) > 0 {
				put(abi, "layout_fields", fields)
			}
		}
	}
	if len(abi.Content) > 0 {
		put(root, "abi", abi)
	}
}

// handleFuncs are the functions that take a handle of struct s.
func (d *drafter) handleFuncs(s *cheader.Struct) (alloc, free *cheader.Function, fill []string, claims []string) {
	for _, fn := range d.h.Functions {
		takes := false
		for _, p := range fn.Params {
			t := p.Type
			if t.Kind == cheader.Pointer && t.Elem.IsPointerTo(cheader.StructKind) && t.Elem.Elem.Struct == s && alloc == nil {
				alloc = fn
			}
			if t.IsPointerTo(cheader.StructKind) && t.Elem.Struct == s {
				takes = true
				switch {
				case isFreeName(fn.Name) && len(fn.Params) == 1 && fn.Result.Kind == cheader.Void:
					free = fn
				case !t.Elem.Const:
					fill = append(fill, fn.Name)
				}
			}
		}
		if c, ok := headerThreads(fn.Doc); ok && takes {
			claims = append(claims, c)
		}
	}
	return alloc, free, fill, claims
}

func isFreeName(name string) bool {
	return strings.HasSuffix(name, "_free") || strings.HasSuffix(name, "_destroy") || strings.Contains(name, "_free_")
}

// weakest returns the weakest of claims (ThreadClaims is ordered strongest
// first).
func weakest(claims []string) string {
	w := ""
	for _, c := range claims {
		if w == "" || slices.Index(ThreadClaims, c) > slices.Index(ThreadClaims, w) {
			w = c
		}
	}
	return w
}

func (d *drafter) types(types *yaml.Node) {
	for _, s := range d.h.Structs {
		if !s.Opaque {
			continue
		}
		alloc, free, fill, claims := d.handleFuncs(s)
		if alloc == nil && free == nil {
			continue
		}
		t := put(types, s.Name, mapNode(false))
		put(t, "kind", str(KindHandle))
		if alloc != nil {
			put(t, "allocated_by", str(alloc.Name))
		}
		if free != nil {
			put(t, "freed_by", str(fmt.Sprintf("%s(%s)", free.Name, free.Params[0].Name)))
			if says(free.Doc, "NULL is fine") {
				put(t, "null_free", str("true"))
			}
		}
		if len(fill) > 0 {
			put(t, "filled_by", list(fill...))
		}
		if alloc != nil && says(alloc.Doc, "caller owns") {
			put(t, "owner", str("caller"))
		}
		put(t, "valid_until", str("freed_by"))
		if c, ok := headerThreads(s.Doc); ok {
			put(t, "threads", str(c))
		} else if says(s.Doc, "not thread-safe") {
			put(t, "threads", str(ThreadsNone))
		} else if w := weakest(claims); w != "" {
			put(t, "threads", str(w))
			guess(t, "threads", "the weakest claim of the functions that take it")
		}
	}
	for _, ct := range d.callee {
		t := put(types, ct.name, mapNode(false))
		if ct.kind == KindBytes {
			guess(types, ct.name, "named after the function that makes it")
		}
		put(t, "kind", str(ct.kind))
		put(t, "allocated_by", str(ct.allocatedBy))
		if ct.freedBy != "" {
			put(t, "freed_by", str(ct.freedBy))
			if ct.freeGuessed {
				guess(t, "freed_by", "the free function whose parameters fit")
			}
		}
		put(t, "owner", str("caller"))
		put(t, "valid_until", str("freed_by"))
		free := d.h.Function(strings.TrimSpace(strings.Split(ct.freedBy, "(")[0]))
		if free != nil {
			if c, ok := headerThreads(free.Doc); ok {
				put(t, "threads", str(c))
				guess(t, "threads", "the claim of its free function")
			}
		}
	}
}

// findCallee records the callee-allocated outputs of every function: a T **
// followed by a size_t * (its length or count), T not an opaque handle.
func (d *drafter) findCallee() {
	for _, fn := range d.h.Functions {
		for i, p := range fn.Params {
			lenParam := calleeAt(fn, i)
			if lenParam == nil {
				continue
			}
			elem := p.Type.Elem
			ct := &calleeType{kind: KindBytes, allocatedBy: fn.Name, elem: elem}
			if elem.IsPointerTo(cheader.StructKind) {
				ct.kind, ct.name = KindArray, elem.Elem.Struct.Name
			} else {
				parts := strings.Split(fn.Name, "_")
				ct.name = parts[len(parts)-1] + "_bytes"
			}
			ct.freedBy, ct.freeGuessed = d.freeOf(fn, p, lenParam)
			d.callee = append(d.callee, ct)
		}
	}
}

// calleeAt returns the length parameter of fn's parameter i when that is a
// callee-allocated output, else nil.
func calleeAt(fn *cheader.Function, i int) *cheader.Param {
	t := fn.Params[i].Type
	if t.Kind != cheader.Pointer || t.Elem.Kind != cheader.Pointer || t.Elem.Const || i+1 >= len(fn.Params) {
		return nil
	}
	if e := t.Elem.Elem; e.Kind == cheader.StructKind && e.Struct.Opaque {
		return nil // a handle_out
	}
	if next := fn.Params[i+1]; isSizePointer(next.Type) {
		return next
	}
	return nil
}

// freeOf finds how the output p of fn is freed: the function its comment
// names ("frees it with seam_bytes_free(*out, *out_len)"), or else the one
// whose parameters fit (T *, size_t), guessed.
func (d *drafter) freeOf(fn *cheader.Function, p, lenParam *cheader.Param) (string, bool) {
	doc := flatten(fn.Doc)
	if _, rest, ok := strings.Cut(doc, "frees it with "); ok {
		name := firstWord(rest)
		if free := d.h.Function(name); free != nil {
			args := fmt.Sprintf("%s(%s, %s)", name, p.Name, lenParam.Name)
			return args, false
		}
	}
	for _, free := range d.h.Functions {
		if len(free.Params) == 2 && free.Result.Kind == cheader.Void && isFreeName(free.Name) &&
			free.Params[0].Type.Spelling == p.Type.Elem.Spelling && isSize(free.Params[1].Type) {
			return fmt.Sprintf("%s(%s, %s)", free.Name, p.Name, lenParam.Name), true
		}
	}
	return "", false
}

// layoutFields says what each field of a layout struct holds: what its
// comment says ("sizeof(seam_layout_info)"), else what its name says
// (request_align: alignof of the struct *_request, request_item_count: the
// offset of its field item_count), guessed.
func (d *drafter) layoutFields(s *cheader.Struct) *yaml.Node {
	out := mapNode(false)
	for _, f := range s.Fields {
		if what, ok := d.layoutExpr(f.Comment); ok {
			put(out, f.Name, str(what))
			continue
		}
		prefix, rest, _ := strings.Cut(f.Name, "_")
		var t *cheader.Struct
		for _, c := range d.h.Structs {
			if !c.Opaque && (c.Name == prefix || strings.HasSuffix(c.Name, "_"+prefix)) {
				t = c
			}
		}
		if t == nil {
			continue
		}
		switch {
		case rest == "size":
			put(out, f.Name, str("sizeof("+t.Name+")"))
		case rest == "align":
			put(out, f.Name, str("alignof("+t.Name+")"))
		case t.Field(rest) != nil:
			put(out, f.Name, str("offsetof("+t.Name+", "+rest+")"))
		default:
			continue
		}
		guess(out, f.Name, "from the field's name")
	}
	return out
}

// layoutExpr reads a layout field's comment when it is sizeof(T), alignof(T)
// or offsetof(T, field) of the header's structs.
func (d *drafter) layoutExpr(comment string) (string, bool) {
	name, args, ok := strings.Cut(strings.TrimSuffix(comment, ")"), "(")
	if !ok || !strings.HasSuffix(comment, ")") {
		return "", false
	}
	parts := strings.Split(args, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	s := d.h.Struct(parts[0])
	switch {
	case s == nil:
		return "", false
	case (name == "sizeof" || name == "alignof") && len(parts) == 1,
		name == "offsetof" && len(parts) == 2 && s.Field(parts[1]) != nil:
		return name + "(" + strings.Join(parts, ", ") + ")", true
	}
	return "", false
}
