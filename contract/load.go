package contract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is every problem found while reading a contract file, one line each ("file:line: what").
type Error struct{ Lines []string }

func (e *Error) Error() string { return strings.Join(e.Lines, "\n") }

// Load reads and validates a contract file on its own terms (keys, roles, status names, the
// parameters a role refers to). Whether it fits its header and engines is Check's job.
func Load(path string) (*Contract, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("contract %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	return Parse(abs, data)
}

// Parse reads a contract from data; path names it in problems and anchors its relative paths.
func Parse(path string, data []byte) (*Contract, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	r := &reader{file: path}
	c := &Contract{Path: path, Dir: filepath.Dir(path)}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty contract file: start from `seam contract init HEADER`", path)
	}
	r.contract(doc.Content[0], c)
	if len(r.problems) == 0 {
		r.crossCheck(c)
	}
	if len(r.problems) > 0 {
		return nil, &Error{Lines: r.problems}
	}
	return c, nil
}

// reader walks the YAML tree and collects problems instead of stopping at the first.
type reader struct {
	file     string
	problems []string
}

func (r *reader) fail(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.problems = append(r.problems, fmt.Sprintf("%s:%d: %s", r.file, line, fmt.Sprintf(format, args...)))
}

// entry is one key: value of a mapping, in file order.
type entry struct {
	key   string
	kNode *yaml.Node
	value *yaml.Node
}

// mapping returns n's entries, reporting a non-mapping and every key not in allowed (nil allows
// any key).
func (r *reader) mapping(n *yaml.Node, what string, allowed ...string) []entry {
	if n.Kind != yaml.MappingNode {
		r.fail(n, "%s must be a mapping", what)
		return nil
	}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			r.fail(k, "%s: unknown key %q (want one of %s)", what, k.Value, strings.Join(allowed, ", "))
			continue
		}
		out = append(out, entry{key: k.Value, kNode: k, value: v})
	}
	return out
}

func (r *reader) scalar(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		r.fail(n, "%s must be a single value", what)
		return ""
	}
	return n.Value
}

func (r *reader) list(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(n, "%s must be a list", what)
		return nil
	}
	var out []string
	for _, e := range n.Content {
		out = append(out, r.scalar(e, what))
	}
	return out
}

func (r *reader) boolean(n *yaml.Node, what string) bool {
	var b bool
	if err := n.Decode(&b); err != nil {
		r.fail(n, "%s must be true or false", what)
	}
	return b
}

func (r *reader) oneOf(n *yaml.Node, what string, allowed []string) string {
	v := r.scalar(n, what)
	if v != "" && !slices.Contains(allowed, v) {
		r.fail(n, "%s: %q is not one of %s", what, v, strings.Join(allowed, ", "))
	}
	return v
}

func (r *reader) path(n *yaml.Node, c *Contract, what string) string {
	p := r.scalar(n, what)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

func (r *reader) contract(n *yaml.Node, c *Contract) {
	c.Line = n.Line
	for _, e := range r.mapping(n, "contract", "boundary", "header", "engines", "mutants", "build",
		"statuses", "broken", "last_error", "abi", "types", "functions", "properties", "skip", "spec") {
		switch e.key {
		case "boundary":
			c.Boundary = r.scalar(e.value, "boundary")
		case "header":
			c.Header = r.path(e.value, c, "header")
		case "engines":
			for _, en := range r.mapping(e.value, "engines", nil...) {
				c.Engines = append(c.Engines, Engine{Name: en.key, Library: r.path(en.value, c, "engines."+en.key), Line: en.kNode.Line})
			}
		case "mutants":
			c.Mutants = r.path(e.value, c, "mutants")
		case "build":
			c.Build = r.scalar(e.value, "build")
		case "spec":
			c.Spec = r.scalar(e.value, "spec")
		case "statuses":
			for _, s := range r.mapping(e.value, "statuses", nil...) {
				c.Statuses = append(c.Statuses, Status{Name: s.key, Const: r.scalar(s.value, "statuses."+s.key), Line: s.kNode.Line})
			}
		case "broken":
			c.Broken = r.scalar(e.value, "broken")
		case "last_error":
			c.LastError = r.scalar(e.value, "last_error")
		case "abi":
			c.ABI.Line = e.value.Line
			for _, a := range r.mapping(e.value, "abi", "version", "expect", "layout", "layout_fields") {
				if a.key == "layout_fields" {
					for _, lf := range r.mapping(a.value, "abi.layout_fields", nil...) {
						c.ABI.LayoutFields = append(c.ABI.LayoutFields, r.layoutField(lf))
					}
					continue
				}
				v := r.scalar(a.value, "abi."+a.key)
				switch a.key {
				case "version":
					c.ABI.Version = v
				case "expect":
					c.ABI.Expect = v
				case "layout":
					c.ABI.Layout = v
				}
			}
		case "types":
			for _, t := range r.mapping(e.value, "types", nil...) {
				c.Types = append(c.Types, r.typ(t))
			}
		case "functions":
			for _, f := range r.mapping(e.value, "functions", nil...) {
				c.Functions = append(c.Functions, r.function(c, f))
			}
		case "skip":
			for _, sk := range r.mapping(e.value, "skip", nil...) {
				why := r.scalar(sk.value, "skip."+sk.key)
				if why == "" {
					r.fail(sk.kNode, "skip.%s: say why the function is left out (skip: {%s: \"a debug hook\"})", sk.key, sk.key)
				}
				c.Skipped = append(c.Skipped, Skip{Func: sk.key, Why: why, Line: sk.kNode.Line})
			}
		case "properties":
			if e.value.Kind != yaml.SequenceNode {
				r.fail(e.value, "properties must be a list")
				continue
			}
			for _, p := range e.value.Content {
				c.Properties = append(c.Properties, r.property(p))
			}
		}
	}
	if c.Boundary == "" {
		r.fail(n, "contract: boundary is missing (the boundary's name, e.g. boundary: mylib)")
	}
	if c.Header == "" {
		r.fail(n, "contract: header is missing (the C header's path, relative to the contract)")
	}
	if len(c.Engines) == 0 {
		r.fail(n, "contract: engines is missing (name: library path pattern, at least one)")
	}
}

// layoutField reads "sizeof(T)", "alignof(T)" or "offsetof(T, field)".
func (r *reader) layoutField(e entry) LayoutField {
	lf := LayoutField{Field: e.key, Line: e.kNode.Line}
	call := r.call(e.value, "abi.layout_fields."+e.key)
	lf.What = call.Func
	switch {
	case (lf.What == "sizeof" || lf.What == "alignof") && len(call.Args) == 1:
		lf.Type = call.Args[0]
	case lf.What == "offsetof" && len(call.Args) == 2:
		lf.Type, lf.Of = call.Args[0], call.Args[1]
	default:
		r.fail(e.value, "abi.layout_fields.%s: want sizeof(T), alignof(T) or offsetof(T, field)", e.key)
	}
	return lf
}

var typeKinds = []string{KindHandle, KindStruct, KindArray, KindBytes}

func (r *reader) typ(e entry) *Type {
	t := &Type{Name: e.key, Line: e.kNode.Line}
	what := "types." + e.key
	for _, f := range r.mapping(e.value, what, "kind", "allocated_by", "freed_by", "filled_by", "owner",
		"valid_until", "threads", "null_free") {
		switch f.key {
		case "kind":
			t.Kind = r.oneOf(f.value, what+".kind", typeKinds)
		case "allocated_by":
			t.AllocatedBy = r.scalar(f.value, what+".allocated_by")
		case "freed_by":
			t.FreedBy = r.call(f.value, what+".freed_by")
		case "filled_by":
			t.FilledBy = r.list(f.value, what+".filled_by")
		case "owner":
			t.Owner = r.oneOf(f.value, what+".owner", []string{"caller", "engine"})
		case "valid_until":
			t.ValidUntil = r.scalar(f.value, what+".valid_until")
		case "threads":
			t.Threads = r.oneOf(f.value, what+".threads", ThreadClaims)
		case "null_free":
			t.NullFree = r.boolean(f.value, what+".null_free")
		}
	}
	if t.Kind == "" {
		r.fail(e.kNode, "%s: kind is missing (one of %s)", what, strings.Join(typeKinds, ", "))
	}
	return t
}

// call reads "func(arg, arg)" or a bare function name.
func (r *reader) call(n *yaml.Node, what string) Call {
	s := strings.TrimSpace(r.scalar(n, what))
	name, args, hasArgs := strings.Cut(s, "(")
	c := Call{Func: strings.TrimSpace(name)}
	if hasArgs {
		inner, ok := strings.CutSuffix(strings.TrimSpace(args), ")")
		if !ok {
			r.fail(n, "%s: %q: want func(arg, ...)", what, s)
			return c
		}
		for _, a := range strings.Split(inner, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.Args = append(c.Args, a)
			}
		}
	}
	if c.Func == "" {
		r.fail(n, "%s: no function named", what)
	}
	return c
}

var returnKinds = []string{ReturnVoid, ReturnStatus, ReturnValue, ReturnString}

func (r *reader) function(c *Contract, e entry) *Function {
	f := &Function{Name: e.key, Line: e.kNode.Line, Returns: Return{Kind: ReturnStatus, Line: e.kNode.Line}}
	what := e.key
	if e.value.Kind == yaml.ScalarNode && e.value.Value == "" {
		return f
	}
	for _, k := range r.mapping(e.value, what, "threads", "returns", "statuses", "broken", "params", "weight") {
		switch k.key {
		case "threads":
			f.Threads = r.oneOf(k.value, what+".threads", ThreadClaims)
		case "returns":
			f.Returns = r.returns(k.value, what+".returns")
		case "statuses":
			f.Statuses = r.list(k.value, what+".statuses")
		case "broken":
			f.Broken = r.scalar(k.value, what+".broken")
		case "weight":
			if err := k.value.Decode(&f.Weight); err != nil || f.Weight < 0 {
				r.fail(k.value, "%s.weight must be a whole number >= 0", what)
			}
		case "params":
			for _, p := range r.mapping(k.value, what+".params", nil...) {
				f.Params = append(f.Params, r.param(c, p, what+"."+p.key, false))
			}
		}
	}
	if f.Threads == "" {
		r.fail(e.kNode, "%s: threads is missing (one of %s)", what, strings.Join(ThreadClaims, ", "))
	}
	return f
}

// returns reads "status" or {value: what, engine_specific: true}.
func (r *reader) returns(n *yaml.Node, what string) Return {
	ret := Return{Line: n.Line}
	if n.Kind == yaml.ScalarNode {
		ret.Kind = r.oneOf(n, what, returnKinds)
		return ret
	}
	for _, e := range r.mapping(n, what, append(slices.Clone(returnKinds), "engine_specific")...) {
		if e.key == "engine_specific" {
			ret.EngineSpecific = r.boolean(e.value, what+".engine_specific")
			continue
		}
		if ret.Kind != "" {
			r.fail(e.kNode, "%s: two kinds (%s and %s)", what, ret.Kind, e.key)
		}
		ret.Kind = e.key
	}
	if ret.Kind == "" {
		r.fail(n, "%s: no kind (one of %s)", what, strings.Join(returnKinds, ", "))
	}
	return ret
}

// roleKeys maps each key that names a role to the role; int's keys are its constraints.
var roleKeys = map[string]string{
	RoleHandle: RoleHandle, RoleHandleOut: RoleHandleOut, RoleBytes: RoleBytes, RoleString: RoleString,
	RoleStruct: RoleStruct, RoleOutStruct: RoleOutStruct, RoleOutBuffer: RoleOutBuffer,
	RoleOutSize: RoleOutSize, RoleCalleeAlloc: RoleCalleeAlloc, RoleOutInt: RoleOutInt,
	RoleLength: RoleLength, RoleInt: RoleInt, "range": RoleInt, "enum": RoleInt, "flags": RoleInt,
}

// preconditions lists what each role can break.
var preconditions = map[string][]string{
	RoleHandle:      {PreNull},
	RoleHandleOut:   {PreNull},
	RoleBytes:       {PreNull, PreNullWithLen, PreOverMax, PreEmpty, PreInvalidUTF8},
	RoleString:      {PreNull, PreOverMax, PreEmpty, PreInvalidUTF8},
	RoleStruct:      {PreNull, PreWrongSize},
	RoleOutStruct:   {PreNull, PreWrongSize},
	RoleOutBuffer:   {PreNull, PreNullWithLen, PreTooSmall},
	RoleOutSize:     {PreNull},
	RoleCalleeAlloc: {PreNull},
	RoleOutInt:      {PreNull},
	RoleLength:      {PreNull},
	RoleInt:         {PreBelowMin, PreOverMax, PreInvalidEnum, PreUnknownFlag},
}

// Preconditions returns what a role can break, for documentation and Draft.
func Preconditions(role string) []string { return preconditions[role] }

var encodings = []string{"utf8", "raw"}

func (r *reader) param(c *Contract, e entry, what string, inStruct bool) *Param {
	p := &Param{Name: e.key, Line: e.kNode.Line, Pre: map[string]string{}}
	for _, k := range r.mapping(e.value, what, nil...) {
		if role, ok := roleKeys[k.key]; ok {
			if p.Role != "" && p.Role != role {
				r.fail(k.kNode, "%s: two roles (%s and %s)", what, p.Role, role)
			}
			p.Role = role
			r.roleValue(p, k, what)
			continue
		}
		switch k.key {
		case "of":
			p.Of = r.scalar(k.value, what+".of")
		case "needed":
			p.Needed = r.scalar(k.value, what+".needed")
		case "max":
			p.Max = r.scalar(k.value, what+".max")
		case "encoding":
			p.Encoding = r.oneOf(k.value, what+".encoding", encodings)
		case "size_field":
			p.SizeField = r.scalar(k.value, what+".size_field")
		case "freed_by":
			p.FreedBy = r.call(k.value, what+".freed_by")
		case "on_error":
			p.OnError = r.oneOf(k.value, what+".on_error", []string{OnErrorUnspecified, OnErrorUntouched, OnErrorZero})
		case "always_set":
			p.AlwaysSet = r.boolean(k.value, what+".always_set")
		case "engine_specific":
			p.EngineSpecific = r.boolean(k.value, what+".engine_specific")
		case "examples":
			for _, ex := range r.list(k.value, what+".examples") {
				p.Examples = append(p.Examples, []byte(ex))
			}
		case "dict":
			p.Dict = r.path(k.value, c, what+".dict")
			tokens, err := ReadDict(p.Dict)
			if err != nil {
				r.fail(k.value, "%s.dict: %v", what, err)
			}
			p.Tokens = tokens
		case "lines":
			p.Lines = r.boolean(k.value, what+".lines")
		case "fields":
			if inStruct {
				r.fail(k.kNode, "%s: a field cannot have fields (name the nested struct's roles on its own parameter)", what)
				continue
			}
			for _, f := range r.mapping(k.value, what+".fields", nil...) {
				p.Fields = append(p.Fields, r.param(c, f, what+"."+f.key, true))
			}
		default:
			if !isPrecondition(k.key) {
				r.fail(k.kNode, "%s: unknown key %q (a role such as bytes or handle, a precondition such as null or over_max, or one of of, max, encoding, needed, size_field, fields, freed_by, on_error, always_set, engine_specific, examples, dict, lines)", what, k.key)
				continue
			}
			p.Pre[k.key] = r.scalar(k.value, what+"."+k.key)
		}
	}
	if p.Role == "" {
		r.fail(e.kNode, "%s: no role (one of handle, handle_out, bytes, string, struct, out_struct, out_buffer, out_size, callee_alloc, out_int, int, range, enum, flags, length)", what)
		return p
	}
	if (p.Dict != "" || p.Lines) && p.Role != RoleBytes && p.Role != RoleString {
		r.fail(e.kNode, "%s: dict and lines shape a bytes or string input, not a %s", what, p.Role)
	}
	if len(p.Examples) > 0 && p.Role != RoleBytes && p.Role != RoleString && p.Role != RoleInt {
		r.fail(e.kNode, "%s: examples are values of a bytes, string or int input, not a %s", what, p.Role)
	}
	for pre := range p.Pre {
		if !slices.Contains(preconditions[p.Role], pre) {
			r.fail(e.kNode, "%s: a %s cannot break %s (it can break %s)", what, p.Role, pre, strings.Join(preconditions[p.Role], ", "))
		}
	}
	return p
}

// line makes a node that only carries a line, for problems found after the tree was walked.
func line(l int) *yaml.Node { return &yaml.Node{Line: l} }

func isPrecondition(key string) bool {
	for _, pres := range preconditions {
		if slices.Contains(pres, key) {
			return true
		}
	}
	return false
}

// roleValue reads the value of the key that named the role.
func (r *reader) roleValue(p *Param, k entry, what string) {
	switch k.key {
	case RoleHandle, RoleHandleOut, RoleStruct, RoleOutStruct:
		p.Of = r.scalar(k.value, what+"."+k.key)
	case RoleBytes, RoleOutBuffer, RoleCalleeAlloc, RoleLength, RoleOutSize:
		p.Len = r.scalar(k.value, what+"."+k.key)
	case RoleString:
		p.Encoding = r.oneOf(k.value, what+".string", encodings)
	case RoleOutInt:
		p.Of = r.scalar(k.value, what+".out_int")
	case RoleInt:
		if v := r.scalar(k.value, what+".int"); v != "any" {
			r.fail(k.value, "%s.int: want `int: any`, or range, enum or flags", what)
		}
	case "range":
		b := r.list(k.value, what+".range")
		if len(b) != 2 {
			r.fail(k.value, "%s.range: want [min, max]", what)
			return
		}
		p.Range = [2]string{b[0], b[1]}
	case "enum":
		p.Enum = r.list(k.value, what+".enum")
	case "flags":
		p.Flags = r.scalar(k.value, what+".flags")
	}
}

func (r *reader) property(n *yaml.Node) *Property {
	p := &Property{Line: n.Line}
	for _, e := range r.mapping(n, "property", PropRoundTrip, PropIdempotent) {
		p.Kind = e.key
		switch e.key {
		case PropRoundTrip:
			for _, k := range r.mapping(e.value, "round_trip", "from", "into", "same") {
				v := r.scalar(k.value, "round_trip."+k.key)
				switch k.key {
				case "from":
					p.From = v
				case "into":
					p.Into = v
				case "same":
					p.Same = v
				}
			}
		case PropIdempotent:
			p.Func = r.scalar(e.value, "idempotent")
		}
	}
	return p
}

// crossCheck validates what refers to what inside the contract.
func (r *reader) crossCheck(c *Contract) {
	status := func(l int, what, s string, allowSpecial bool) {
		if s == "" || (allowSpecial && (s == Allowed || s == CallerGuarantee)) {
			return
		}
		if _, ok := c.StatusConst(s); !ok {
			r.fail(line(l), "%s: status %q is not in statuses", what, s)
		}
	}
	if len(c.Statuses) > 0 {
		if _, ok := c.StatusConst("ok"); !ok {
			r.fail(line(c.Line), "statuses: no ok (the header constant of success)")
		}
	}
	status(c.Line, "broken", c.Broken, false)
	funcs := map[string]*Function{}
	for _, f := range c.Functions {
		if funcs[f.Name] != nil {
			r.fail(line(f.Line), "functions: %s listed twice", f.Name)
		}
		funcs[f.Name] = f
	}
	for _, sk := range c.Skipped {
		if funcs[sk.Func] != nil {
			r.fail(line(sk.Line), "skip.%s: the function is also under functions: keep one", sk.Func)
		}
	}
	for _, t := range c.Types {
		if t.AllocatedBy != "" && funcs[t.AllocatedBy] == nil {
			r.fail(line(t.Line), "types.%s.allocated_by: %s is not in functions", t.Name, t.AllocatedBy)
		}
		if t.FreedBy.Func != "" && funcs[t.FreedBy.Func] == nil {
			r.fail(line(t.Line), "types.%s.freed_by: %s is not in functions", t.Name, t.FreedBy.Func)
		}
		for _, fn := range t.FilledBy {
			if funcs[fn] == nil {
				r.fail(line(t.Line), "types.%s.filled_by: %s is not in functions", t.Name, fn)
			}
		}
	}
	for _, f := range c.Functions {
		what := f.Name
		for _, s := range f.Statuses {
			status(f.Line, what+".statuses", s, false)
		}
		status(f.Line, what+".broken", f.Broken, false)
		if f.Returns.Kind == ReturnStatus && len(c.Statuses) == 0 {
			r.fail(line(f.Line), "%s returns a status but the contract has no statuses (say returns: value, void or string)", what)
		}
		r.checkParams(c, f, f.Params, what, status)
		if f.Returns.Kind == ReturnStatus && len(f.Statuses) == 0 && len(f.Params) > 0 {
			r.fail(line(f.Line), "%s: statuses is missing (the statuses it may return)", what)
		}
	}
	for _, p := range c.Properties {
		switch p.Kind {
		case PropIdempotent:
			if funcs[p.Func] == nil {
				r.fail(line(p.Line), "idempotent: %s is not in functions", p.Func)
			}
		case PropRoundTrip:
			for _, ref := range []string{p.From, p.Into} {
				fn, param, _ := strings.Cut(ref, ".")
				if f := funcs[fn]; f == nil || f.Param(param) == nil {
					r.fail(line(p.Line), "round_trip: %s is not a FUNCTION.PARAM of the contract", ref)
				}
			}
			if p.Same != "" && funcs[p.Same] == nil {
				r.fail(line(p.Line), "round_trip.same: %s is not in functions", p.Same)
			}
		}
	}
}

// checkParams validates the references between the parameters (or fields) of one function.
func (r *reader) checkParams(c *Contract, f *Function, params []*Param, what string, status func(int, string, string, bool)) {
	names := map[string]*Param{}
	for _, p := range params {
		names[p.Name] = p
	}
	for _, p := range params {
		pw := what + "." + p.Name
		for pre, s := range p.Pre {
			status(p.Line, pw+"."+pre, s, true)
		}
		switch p.Role {
		case RoleHandle, RoleHandleOut:
			if t := c.Type(p.Of); t == nil || t.Kind != KindHandle {
				r.fail(line(p.Line), "%s: %s is not a handle type of the contract (add it under types with kind: handle)", pw, p.Of)
			}
		case RoleCalleeAlloc:
			if p.Of == "" {
				r.fail(line(p.Line), "%s: callee_alloc needs of: the contract type that says how it is freed", pw)
			} else if t := c.Type(p.Of); t == nil || (t.Kind != KindArray && t.Kind != KindBytes) {
				r.fail(line(p.Line), "%s: %s is not an array or bytes type of the contract", pw, p.Of)
			}
		case RoleOutBuffer:
			if p.Needed != "" {
				if n := names[p.Needed]; n == nil || n.Role != RoleOutSize {
					r.fail(line(p.Line), "%s: needed: %s is not an out_size parameter of %s", pw, p.Needed, f.Name)
				}
			}
		case RoleOutSize, RoleLength:
			if names[p.Len] == nil {
				r.fail(line(p.Line), "%s: %s: %s is not a parameter of %s", pw, p.Role, p.Len, f.Name)
			}
		}
		if len(p.Fields) > 0 {
			r.checkParams(c, f, p.Fields, pw, status)
		}
	}
}

// ErrorLines returns the problem lines of an error from Load or Parse, for callers that print
// one line per problem.
func ErrorLines(err error) []string {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Lines
	}
	return []string{err.Error()}
}
