package derive

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/gen"
)

// defaultLimit is the size of an ordinary byte buffer or string whose contract names no max
// (the 1 MiB shape still comes, as one of gen's shapes).
const defaultLimit = 4096

// decoder draws a program's arguments from fuzz bytes. Every choice puts the ordinary case at
// index 0, because gen returns 0 once the bytes run out: a short input is an ordinary call.
type decoder struct {
	g *gen.Gen
	b *boundary.Boundary
	// big is set once the program has a buffer over bigBuf; small while the calls that only
	// build state are decoded. Only the call under test gets one (one is enough to test a
	// limit): a 1 MiB feed in bytes mode costs seconds under ASan, and eight of them in one
	// input would pass Go's 10 s per-input limit, a false hang.
	big, small bool
}

// bigBuf is the size over which a buffer counts as big.
const bigBuf = 64 << 10

// decode turns fuzz bytes into the target's program.
func (t Target) decode(data []byte) program {
	d := &decoder{g: gen.New(data), b: t.b}
	c := t.b.Contract
	var prog program
	if t.Handle != "" {
		prog.slots = 1
		// Mostly ordinary: a constructor that fails ends the lifecycle before it starts (the
		// function's own target fuzzes every broken case of it).
		ctor := allocator(c, t.Handle)
		if d.g.Choose(4) == 3 {
			prog.steps = append(prog.steps, d.call(ctor, nil, 0, true))
		} else {
			prog.steps = append(prog.steps, d.ordinary(ctor, 0))
		}
		ops := t.ops()
		if len(ops) == 0 {
			return prog
		}
		d.small = true // a lifecycle is about the sequence; limits are the function targets'
		for n := d.g.Choose(maxOps + 1); n > 0; n-- {
			f := ops[d.g.Choose(len(ops))]
			prog.steps = append(prog.steps, d.call(f, handleSlots(f, t.Handle), -1, true))
		}
		return prog
	}
	f := c.Function(t.Func)
	slots := map[string]int{}
	var handles []*contract.Param
	for _, p := range f.Params {
		if p.Role != contract.RoleHandle {
			continue
		}
		slots[p.Name] = prog.slots
		prog.slots++
		handles = append(handles, p)
		// The handle under test is made with ordinary options (so it exists) and filled by
		// fuzzed calls (so it holds state); the call under test gets every broken case.
		prog.steps = append(prog.steps, d.ordinary(allocator(c, p.Of), slots[p.Name]))
	}
	// The call under test is drawn before the fills that run ahead of it, so the first bytes
	// of an input are its arguments: the fills cannot use them all up and leave it ordinary.
	under := d.call(f, slots, -1, true)
	d.small = true
	for _, p := range handles {
		fills := c.Type(p.Of).FilledBy
		if len(fills) == 0 {
			continue
		}
		// Fills drawn past the end of the input would all be empty calls, which reset the
		// state the earlier ones built (an empty rules text loads an empty rule set).
		for n := d.fills(); n > 0 && d.g.More(); n-- {
			ff := c.Function(fills[d.g.Choose(len(fills))])
			s := d.call(ff, handleSlots(ff, p.Of), -1, false)
			for hp := range s.handles {
				s.handles[hp] = slots[p.Name]
			}
			prog.steps = append(prog.steps, s)
		}
	}
	prog.steps = append(prog.steps, under)
	return prog
}

// fills draws how many filled_by calls build a handle's state before the call under test, 0 to
// maxFills, from one byte: the run of one bits it starts with, ended by a zero bit (so a byte of
// all ones, which fuzzers write more than any other, is none). Each count is half as likely as
// one fewer (half the programs have none, a quarter one fill, ...): short programs first, as
// libFuzzer keeps inputs short, and every count is still drawn. A fill is a call like any
// other (oracles, spec model, the last error of a failure): a mean of one instead of four is
// most of what a program costs.
func (d *decoder) fills() int {
	b := d.g.Choose(256)
	n := 0
	for n < 8 && b&(0x80>>n) != 0 {
		n++
	}
	if n > maxFills {
		return 0
	}
	return n
}

// ops are the functions a lifecycle target calls on its handle: every function that is not a
// free function and whose handles are all of the lifecycle's type.
func (t Target) ops() []*contract.Function {
	c := t.b.Contract
	var out []*contract.Function
	for _, f := range c.Functions {
		if isFree(c, f.Name) || f.Name == c.Type(t.Handle).AllocatedBy {
			continue
		}
		n, other := 0, false
		for _, p := range f.Params {
			if p.Role == contract.RoleHandle {
				n++
				other = other || p.Of != t.Handle
			}
		}
		if n > 0 && !other {
			out = append(out, f)
		}
	}
	return out
}

func isFree(c *contract.Contract, fn string) bool {
	for _, t := range c.Types {
		if t.FreedBy.Func == fn {
			return true
		}
	}
	return false
}

// handleSlots gives every handle parameter of f of type typ slot 0 (the caller renumbers).
func handleSlots(f *contract.Function, typ string) map[string]int {
	m := map[string]int{}
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle && p.Of == typ {
			m[p.Name] = 0
		}
	}
	return m
}

// ordinary is a constructor call with ordinary arguments only, making slot.
func (d *decoder) ordinary(f *contract.Function, slot int) step {
	s := step{fn: f, args: boundary.Args{}, makes: slot}
	for _, p := range f.Params {
		d.param(&s, f, p, s.args, true)
	}
	return s
}

// call decodes one call of f. slots gives its handle parameters their handles; nullHandles
// lets a handle argument be NULL (a broken precondition); makes is the slot its handle_out
// fills.
func (d *decoder) call(f *contract.Function, slots map[string]int, makes int, nullHandles bool) step {
	s := step{fn: f, args: boundary.Args{}, makes: makes}
	// Half the calls are ordinary, every argument valid: with a one-in-four chance per
	// argument, a call of eight arguments would be broken nine times in ten, and the state
	// behind the checks (a rule that matches, a coupon that applies) never reached.
	ord := d.g.Choose(2) == 0
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			if nullHandles && !ord && d.g.Choose(16) == 15 {
				s.args[p.Name] = boundary.Null
			} else {
				if s.handles == nil {
					s.handles = map[string]int{}
				}
				s.handles[p.Name] = slots[p.Name]
			}
			continue
		}
		d.param(&s, f, p, s.args, ord)
	}
	s.twice = repeatedCall(d.b.Contract, f)
	return s
}

// repeatable: a call made twice with the same arguments, to check an idempotent property
// (the same status and outputs again), or that an always_set out_size is the same twice; only
// functions that change no state (no filled_by, no constructor) are repeated for the latter.
func repeatable(c *contract.Contract, f *contract.Function) bool {
	if idempotent(c, f) {
		return true
	}
	if handleOut(f) != nil {
		return false
	}
	for _, t := range c.Types {
		if slices.Contains(t.FilledBy, f.Name) {
			return false
		}
	}
	for _, p := range f.Params {
		if p.Role == contract.RoleOutSize && p.AlwaysSet {
			return true
		}
	}
	return false
}

// broke draws whether a parameter gets one of its broken cases (one in four).
func (d *decoder) broke(ord bool) bool { return !ord && d.g.Choose(4) == 3 }

// param decodes one parameter (or struct field) into args; a parameter left out gets
// boundary's ordinary value (an output allocated, a struct zero with its size set).
func (d *decoder) param(s *step, f *contract.Function, p *contract.Param, args map[string]boundary.Value, ord bool) {
	g := d.g
	switch p.Role {
	case contract.RoleHandleOut, contract.RoleCalleeAlloc, contract.RoleOutInt, contract.RoleOutSize, contract.RoleLength:
		if !ord && g.Choose(16) == 15 && d.ctype(f, p).Kind == cheader.Pointer {
			args[p.Name] = boundary.Null
		}
	case contract.RoleBytes, contract.RoleString:
		limit := defaultLimit
		if n, ok := d.resolve(p.Max); ok {
			limit = int(n)
		}
		b := d.text(p, limit)
		if len(b.Data) > bigBuf {
			if d.big || d.small {
				if b = d.text(p, min(limit, 256)); len(b.Data) > bigBuf {
					b = gen.Buf{Data: []byte{}} // gen's 1 MiB shape ignores the limit
				}
			} else {
				d.big = true
			}
		}
		if ord && (b.Null || len(b.Data) > limit || (p.Encoding == "utf8" && !utf8.Valid(b.Data))) {
			b = gen.Buf{Data: []byte{}}
		}
		switch {
		case !b.Null:
			args[p.Name] = boundary.Bytes(b.Data)
		case p.Role == contract.RoleBytes && b.Len > 0:
			args[p.Name] = boundary.Null
			args[p.Len] = boundary.Int(int64(b.Len))
		default:
			args[p.Name] = boundary.Null
		}
	case contract.RoleStruct:
		d.structArg(s, f, p, args, ord)
	case contract.RoleOutStruct:
		if !d.broke(ord) {
			return
		}
		if p.SizeField == "" || g.Bool() {
			args[p.Name] = boundary.Null
			return
		}
		args[p.Name] = boundary.Struct(map[string]boundary.Value{p.SizeField: boundary.Int(d.wrongSize(p))})
	case contract.RoleOutBuffer:
		d.outBuffer(s, p, args, ord)
	case contract.RoleInt:
		args[p.Name] = boundary.Int(d.intArg(f, p, ord))
	}
}

// text draws a bytes or string value: from the contract's examples where it gives some (as
// they are, mutated, or, for line-structured text, assembled line by line), so inputs get past
// the engine's parser; else any of gen's shapes.
func (d *decoder) text(p *contract.Param, limit int) gen.Buf {
	switch {
	case len(p.Examples)+len(p.Tokens) == 0:
		return d.g.Bytes(limit)
	case p.Lines && len(p.Examples) > 0 && d.g.Bool():
		return d.g.Text(p.Examples, limit)
	}
	// The dictionary's fragments join the examples here, where gen mutates and splices them;
	// as whole lines of a text they would make nearly every text malformed.
	return d.g.BytesFrom(limit, pool(p))
}

func (d *decoder) structArg(s *step, f *contract.Function, p *contract.Param, args map[string]boundary.Value, ord bool) {
	if d.broke(ord) && d.g.Bool() {
		args[p.Name] = boundary.Null
		return
	}
	fields := map[string]boundary.Value{}
	for _, fp := range p.Fields {
		d.param(s, f, fp, fields, ord)
	}
	if p.SizeField != "" && d.broke(ord) {
		// The block stays sizeof: a caller cannot lie about a size the engine cannot check,
		// only put the wrong number in the field that says it.
		fields[p.SizeField] = boundary.Int(d.wrongSize(p))
	}
	args[p.Name] = boundary.Struct(fields)
}

// wrongSize is a size field off by one either way, zero, or sizeof+8.
func (d *decoder) wrongSize(p *contract.Param) int64 {
	size := d.b.Header.Struct(p.Of).Size
	return []int64{size - 1, size + 1, 0, size + 8}[d.g.Choose(4)]
}

// outBuffer draws a capacity: around the needed size (learnt from a capacity-0 call first),
// 0, small, large, NULL, and NULL with a capacity.
func (d *decoder) outBuffer(s *step, p *contract.Param, args map[string]boundary.Value, ord bool) {
	g := d.g
	// fixed are the capacities that do not depend on needed: 0, NULL, NULL with a capacity,
	// small, large.
	fixed := func(k int) {
		switch k {
		case 0:
			args[p.Name] = boundary.Int(0)
		case 1:
			args[p.Name] = boundary.Null
		case 2:
			args[p.Name] = boundary.Null
			args[p.Len] = boundary.Int([]int64{1, 64, 4096}[g.Choose(3)])
		case 3:
			args[p.Name] = boundary.Int(int64(g.Choose(16)))
		default:
			args[p.Name] = boundary.Int(4096)
		}
	}
	switch {
	case p.Needed == "":
		if k := g.Choose(6); k > 0 {
			fixed(k - 1)
		} else {
			args[p.Name] = boundary.Int(64)
		}
	case ord:
		s.probe = p.Name
	default:
		// Around needed (the exact size first, the ordinary case), then the fixed ones.
		if k := g.Choose(8); k < 3 {
			s.probe, s.delta = p.Name, []int64{0, 1, -1}[k]
		} else {
			fixed(k - 3)
		}
	}
}

// intArg draws an integer for a range, an enum, a flags mask or any value; broken cases are
// one past each end, far values, the first value past the largest enum, each bit outside the
// mask.
func (d *decoder) intArg(f *contract.Function, p *contract.Param, ord bool) int64 {
	g := d.g
	t := d.ctype(f, p)
	lo, hi := typeBounds(t)
	switch {
	case p.Range[0] != "":
		min, _ := d.resolve(p.Range[0])
		max, _ := d.resolve(p.Range[1])
		if d.broke(ord) {
			var cands []int64
			if inBounds(t, min-1, lo, hi) && min-1 < min {
				cands = append(cands, min-1)
			}
			if inBounds(t, max+1, lo, hi) && max+1 > max {
				cands = append(cands, max+1)
			}
			cands = append(cands, hi, lo)
			return cands[g.Choose(len(cands))]
		}
		if v, ok := d.example(p); ok {
			return v
		}
		switch g.Choose(4) {
		case 1:
			return max
		case 2:
			return min + 1
		case 3:
			span := uint64(max - min)
			return min + int64(uint64(g.Choose(math.MaxInt32))%(span+1))
		}
		return min
	case len(p.Enum) > 0:
		var vals []int64
		for _, e := range p.Enum {
			if v, ok := d.resolve(e); ok {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			return 0
		}
		if d.broke(ord) {
			return []int64{slices.Max(vals) + 1, math.MaxInt32, hi, lo}[g.Choose(4)]
		}
		return vals[g.Choose(len(vals))]
	case p.Flags != "":
		mask, _ := d.resolve(p.Flags)
		if d.broke(ord) {
			var outside []int64
			for b := 0; b < int(t.Size*8) && b < 63; b++ {
				if mask&(1<<b) == 0 {
					outside = append(outside, 1<<b)
				}
			}
			if len(outside) > 0 {
				return mask | outside[g.Choose(len(outside))]
			}
		}
		return int64(g.Choose(math.MaxInt32)) & mask
	}
	return normalize(t, g.Int64(math.MaxInt64))
}

// example draws, half the time, one of an int's contract examples; the first is the ordinary
// value, what a short input gets.
func (d *decoder) example(p *contract.Param) (int64, bool) {
	n := len(p.Examples)
	if n == 0 {
		return 0, false
	}
	k := d.g.Choose(2 * n)
	if k >= n {
		return 0, false
	}
	return d.resolve(string(p.Examples[k]))
}

// ctype is the C type of a parameter, or of a struct field of f's struct parameters.
func (d *decoder) ctype(f *contract.Function, p *contract.Param) *cheader.Type {
	return paramType(d.b, f, p)
}

func paramType(b *boundary.Boundary, f *contract.Function, p *contract.Param) *cheader.Type {
	hf := b.Header.Function(f.Name)
	if hp := hf.Param(p.Name); hp != nil && f.Param(p.Name) == p {
		return hp.Type
	}
	for _, sp := range f.Params {
		if sp.Field(p.Name) != p {
			continue
		}
		if st := b.Header.Struct(sp.Of); st != nil {
			if fl := st.Field(p.Name); fl != nil {
				return fl.Type
			}
		}
	}
	return &cheader.Type{Kind: cheader.Int, Size: 8, Signed: true}
}

// resolve reads a number or a header constant.
func (d *decoder) resolve(s string) (int64, bool) { return resolve(d.b, s) }

func resolve(b *boundary.Boundary, s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	// A name is a header constant: no ParseInt error to make (and throw away) on every call
	// of a stress input's generation.
	if c := s[0]; c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
		return b.Header.Const(s)
	}
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return v, true
	}
	return b.Header.Const(s)
}

// typeBounds are the smallest and largest value of an integer type, as the int64 that holds
// its bits (an unsigned 64-bit maximum is -1).
func typeBounds(t *cheader.Type) (lo, hi int64) {
	size, signed := t.Size, t.Signed
	if t.Kind == cheader.EnumKind && t.Enum != nil && t.Enum.Type != nil {
		size, signed = t.Enum.Type.Size, t.Enum.Type.Signed
	}
	if size <= 0 || size > 8 {
		size = 8
	}
	n := uint(size * 8)
	if signed {
		return -1 << (n - 1), 1<<(n-1) - 1
	}
	if n == 64 {
		return 0, -1
	}
	return 0, 1<<n - 1
}

// normalize keeps what a value is once stored in t (truncated, sign- or zero-extended).
func normalize(t *cheader.Type, v int64) int64 {
	lo, _ := typeBounds(t)
	size := t.Size
	if t.Kind == cheader.EnumKind && t.Enum != nil && t.Enum.Type != nil {
		size = t.Enum.Type.Size
	}
	if size <= 0 || size >= 8 {
		return v
	}
	n := uint(size * 8)
	if lo < 0 {
		return v << (64 - n) >> (64 - n)
	}
	return int64(uint64(v) << (64 - n) >> (64 - n))
}

// inBounds says whether v is a value of t.
func inBounds(t *cheader.Type, v, lo, hi int64) bool {
	if lo < 0 {
		return v >= lo && v <= hi
	}
	return bits.Len64(uint64(v)) <= int(max(t.Size, 1)*8) && (hi == -1 || uint64(v) <= uint64(hi))
}

// idempotent says the contract names f in an idempotent property.
func idempotent(c *contract.Contract, f *contract.Function) bool {
	for _, p := range c.Properties {
		if p.Kind == contract.PropIdempotent && p.Func == f.Name {
			return true
		}
	}
	return false
}
