package boundary

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/ffi"
)

// sentinels is the number of guard bytes on each side of every output.
const sentinels = 16

// FillByte is what every output is filled with before the call, so an output the engine did
// not write reads back as this, the same on every engine (an "untouched on error" rule is
// checked against it).
const FillByte = 0xA5

// maxRead bounds what seam copies out of engine memory on the engine's word (a callee-
// allocated length, a returned string): a wild length must not take seam down with it.
const maxRead = 64 << 20

// call is one call in progress: the native memory of its arguments and what to read back.
type call struct {
	e      *Engine
	mem    *ffi.Allocator // the engine's, or its packed one (Engine.Repack)
	f      *Func
	args   Args
	res    Result
	blocks []ffi.Block
	outs   []output
	inputs []input
	// lengths holds, per parameter name, the length its buffer was laid out with.
	lengths map[string]int
}

// output is an output block to read back and check after the call.
type output struct {
	name string
	role *contract.Param
	blk  ffi.OutBlock
	typ  *cheader.Type // the pointee type
}

// input is an input buffer to check for writes after the call.
type input struct {
	name string
	blk  ffi.Block
	was  []byte
}

func (c *call) release() {
	for _, b := range c.blocks {
		c.mem.Free(b)
	}
	for _, o := range c.outs {
		c.mem.Free(o.blk.Block)
	}
}

// copyIn lays b out in an exact-size native block (guard page after it without ASan).
func (c *call) copyIn(name string, b []byte) (uintptr, error) {
	blk, err := c.mem.Copy(b)
	if err != nil {
		return 0, err
	}
	c.blocks = append(c.blocks, blk)
	c.inputs = append(c.inputs, input{name: name, blk: blk, was: bytes.Clone(b)})
	return uintptr(blk.Ptr), nil
}

// out makes an output block of n bytes, filled, with sentinels around it.
func (c *call) out(name string, role *contract.Param, t *cheader.Type, n int) (ffi.OutBlock, error) {
	o, err := c.mem.AllocOut(n, sentinels, sentinels)
	if err != nil {
		return o, err
	}
	for i := range o.Bytes() {
		o.Bytes()[i] = FillByte
	}
	c.outs = append(c.outs, output{name: name, role: role, blk: o, typ: t})
	return o, nil
}

func (c *call) length(name string, n int) {
	if c.lengths == nil {
		c.lengths = map[string]int{}
	}
	c.lengths[name] = n
}

// arg returns the register value of one parameter.
func (c *call) arg(p param) (uintptr, error) {
	name := p.c.Name
	v, given := c.args[name]
	if p.lengthOf != nil && (p.role == nil || p.role.Role == contract.RoleLength) {
		return c.lengthArg(p, v, given)
	}
	if p.role == nil {
		if v.Handle != nil {
			return c.handle(v.Handle)
		}
		return uintptr(v.Int), nil
	}
	if v.Null && p.kind == ffi.Pointer {
		c.length(name, 0)
		return 0, nil
	}
	t := p.c.Type
	switch p.role.Role {
	case contract.RoleHandle:
		if v.Handle == nil {
			return 0, fmt.Errorf("a %s handle is needed (or Null)", p.role.Of)
		}
		return c.handle(v.Handle)
	case contract.RoleBytes:
		c.length(name, len(v.Bytes))
		return c.copyIn(name, v.Bytes)
	case contract.RoleString:
		c.length(name, len(v.Bytes))
		return c.copyIn(name, append(bytes.Clone(v.Bytes), 0))
	case contract.RoleStruct:
		return c.structIn(name, p.role, t.Elem, v)
	case contract.RoleOutStruct:
		st := t.Elem.Struct
		o, err := c.out(name, p.role, t.Elem, int(st.Size))
		if err != nil {
			return 0, err
		}
		if p.role.SizeField != "" {
			size := st.Size
			if fv, ok := v.Fields[p.role.SizeField]; ok {
				size = fv.Int
			}
			if f := st.Field(p.role.SizeField); f != nil {
				writeInt(unsafe.Add(o.Ptr, f.Offset), f.Type, size)
			}
		}
		return uintptr(o.Ptr), nil
	case contract.RoleOutBuffer:
		// The buffer's own value is its size; the capacity parameter says the same unless
		// the call gives it apart.
		c.length(name, int(v.Int))
		o, err := c.out(name, p.role, t.Elem, int(v.Int))
		return uintptr(o.Ptr), err
	case contract.RoleHandleOut, contract.RoleCalleeAlloc, contract.RoleOutSize, contract.RoleOutInt:
		o, err := c.out(name, p.role, t.Elem, int(t.Elem.Size))
		return uintptr(o.Ptr), err
	case contract.RoleInt:
		return uintptr(v.Int), nil
	}
	return 0, fmt.Errorf("role %s cannot be laid out", p.role.Role)
}

func (c *call) handle(h *Handle) (uintptr, error) {
	if h.engine != c.e {
		return 0, fmt.Errorf("%s: %w (made by %s)", h, ErrForeignHandle, h.engine.Name)
	}
	return h.Ptr, nil
}

// lengthArg is a length, capacity or count parameter: the length of what it measures unless
// the call gives it (a lie the engine may have to catch); an out pointer when the engine
// reports the length of what it allocated.
func (c *call) lengthArg(p param, v Value, given bool) (uintptr, error) {
	if p.kind == ffi.Pointer {
		if v.Null {
			return 0, nil
		}
		o, err := c.out(p.c.Name, p.role, p.c.Type.Elem, int(p.c.Type.Elem.Size))
		return uintptr(o.Ptr), err
	}
	if given {
		return uintptr(v.Int), nil
	}
	return uintptr(c.lengths[p.lengthOf.Name]), nil
}

// structIn lays an input struct out as the header does: each field at its offset, byte fields
// in blocks of their own with their length fields set, the size field set to sizeof.
func (c *call) structIn(name string, role *contract.Param, t *cheader.Type, v Value) (uintptr, error) {
	st := t.Struct
	if st == nil || st.Opaque {
		return 0, fmt.Errorf("%s is not a struct with a layout", t.Spelling)
	}
	blk, err := c.mem.Alloc(int(st.Size))
	if err != nil {
		return 0, err
	}
	c.blocks = append(c.blocks, blk)
	clear(blk.Bytes())
	lens := map[string]int64{}
	for _, f := range st.Fields {
		fv, given := v.Fields[f.Name]
		at := unsafe.Add(blk.Ptr, f.Offset)
		fr := role.Field(f.Name)
		switch {
		case fr != nil && fr.Role == contract.RoleBytes:
			if fv.Null {
				lens[fr.Len] = 0
				continue
			}
			p, err := c.copyIn(name+"."+f.Name, fv.Bytes)
			if err != nil {
				return 0, err
			}
			*(*uintptr)(at) = p
			lens[fr.Len] = int64(len(fv.Bytes))
		case f.Type.Kind == cheader.Array:
			copy(unsafe.Slice((*byte)(at), f.Size), fv.Bytes)
		case f.Name == role.SizeField && !given:
			writeInt(at, f.Type, st.Size)
		default:
			writeInt(at, f.Type, fv.Int)
		}
	}
	for field, n := range lens {
		if _, given := v.Fields[field]; given {
			continue
		}
		if f := st.Field(field); f != nil {
			writeInt(unsafe.Add(blk.Ptr, f.Offset), f.Type, n)
		}
	}
	c.inputs = append(c.inputs, input{name: name, blk: blk, was: bytes.Clone(blk.Bytes())})
	return uintptr(blk.Ptr), nil
}

// collect reads the return value and every output back, checks the sentinels and the inputs,
// and frees what the engine allocated for the caller.
func (c *call) collect(raw uint64) {
	f, r := c.f, &c.res
	r.Ret = int64(raw)
	switch f.Contract.Returns.Kind {
	case contract.ReturnStatus:
		if r.Status = c.e.B.StatusName(r.Ret); r.Status == "" {
			r.Status = fmt.Sprintf("?%d", r.Ret)
		}
	case contract.ReturnString:
		// The register holds a pointer: read its bits as one, not through a uintptr.
		if p := *(*unsafe.Pointer)(unsafe.Pointer(&raw)); p != nil {
			r.Str = string(cString(p))
		}
	}
	for _, o := range c.outs {
		if ok, bad := o.blk.Intact(); !ok {
			r.Overruns = append(r.Overruns, fmt.Sprintf("%s: written at byte %d of a %d-byte output", o.name, bad, o.blk.Len))
		}
	}
	for _, in := range c.inputs {
		if !bytes.Equal(in.blk.Bytes(), in.was) {
			r.Changed = append(r.Changed, in.name)
		}
	}
	// Plain outputs first: a callee-allocated output needs the length its sibling reports.
	for _, o := range c.outs {
		if o.role == nil || o.role.Role != contract.RoleCalleeAlloc {
			r.Out[o.name] = c.read(o)
		}
	}
	for _, o := range c.outs {
		if o.role != nil && o.role.Role == contract.RoleCalleeAlloc {
			r.Out[o.name] = c.calleeAlloc(o)
		}
	}
}

// read turns one output block into a Value.
func (c *call) read(o output) Value {
	p := o.blk.Ptr
	switch {
	case o.role != nil && o.role.Role == contract.RoleHandleOut:
		ptr := *(*uintptr)(p)
		if ptr == 0 {
			return Value{Null: true}
		}
		c.e.made++
		return Value{Handle: &Handle{Type: o.role.Of, Ptr: ptr, engine: c.e, id: c.e.made}}
	case o.role != nil && o.role.Role == contract.RoleOutBuffer:
		return Value{Bytes: bytes.Clone(o.blk.Bytes())}
	case o.typ.Kind == cheader.StructKind:
		return readStruct(p, o.typ.Struct)
	default:
		return Value{Int: readInt(p, o.typ)}
	}
}

// calleeAlloc copies what the engine allocated for the caller and frees it with the type's
// freed_by, whose arguments name this call's parameters.
func (c *call) calleeAlloc(o output) Value {
	ptr := *(*unsafe.Pointer)(o.blk.Ptr)
	n := c.res.Out[o.role.Len].Int
	if ptr == nil {
		return Value{Null: true}
	}
	t := c.e.B.Contract.Type(o.role.Of)
	var v Value
	switch elem := o.typ.Elem; {
	case elem.Kind == cheader.StructKind && elem.Struct != nil:
		size := elem.Struct.Size
		if n < 0 || n*size > maxRead {
			v = Value{Int: n} // a wild count: not read
			break
		}
		v.Elems = []Value{}
		for i := int64(0); i < n; i++ {
			v.Elems = append(v.Elems, readStruct(unsafe.Add(ptr, i*size), elem.Struct))
		}
	default:
		if n < 0 || n > maxRead {
			v = Value{Int: n}
			break
		}
		v.Bytes = bytes.Clone(unsafe.Slice((*byte)(ptr), n))
	}
	if t != nil && t.FreedBy.Func != "" {
		args := Args{}
		fp := c.e.B.funcs[t.FreedBy.Func]
		for i, a := range t.FreedBy.Args {
			val := Value{Int: n}
			if a == o.name {
				val = Value{Int: int64(uintptr(ptr))}
			}
			if fp != nil && i < len(fp.params) {
				args[fp.params[i].c.Name] = val
			}
		}
		if _, err := c.e.Call(t.FreedBy.Func, args); err != nil {
			c.res.Overruns = append(c.res.Overruns, fmt.Sprintf("%s: could not be freed: %v", o.name, err))
		}
	}
	return v
}

func readStruct(p unsafe.Pointer, st *cheader.Struct) Value {
	v := Value{Fields: map[string]Value{}}
	for _, f := range st.Fields {
		at := unsafe.Add(p, f.Offset)
		switch f.Type.Kind {
		case cheader.Array:
			v.Fields[f.Name] = Value{Bytes: bytes.Clone(unsafe.Slice((*byte)(at), f.Size))}
		case cheader.StructKind:
			v.Fields[f.Name] = readStruct(at, f.Type.Struct)
		default:
			v.Fields[f.Name] = Value{Int: readInt(at, f.Type)}
		}
	}
	return v
}

// readInt reads an integer, enum or pointer of t's size, extended by its signedness.
func readInt(p unsafe.Pointer, t *cheader.Type) int64 {
	signed := t.Signed
	switch t.Size {
	case 1:
		if signed {
			return int64(*(*int8)(p))
		}
		return int64(*(*uint8)(p))
	case 2:
		if signed {
			return int64(*(*int16)(p))
		}
		return int64(*(*uint16)(p))
	case 4:
		if signed {
			return int64(*(*int32)(p))
		}
		return int64(*(*uint32)(p))
	case 8:
		return *(*int64)(p)
	}
	return 0
}

func writeInt(p unsafe.Pointer, t *cheader.Type, v int64) {
	switch t.Size {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	case 4:
		*(*uint32)(p) = uint32(v)
	case 8:
		*(*int64)(p) = v
	}
}

// cString copies the NUL-terminated string at p (at most maxRead bytes).
func cString(p unsafe.Pointer) []byte {
	var out []byte
	for i := 0; i < maxRead; i++ {
		b := *(*byte)(unsafe.Add(p, i))
		if b == 0 {
			break
		}
		out = append(out, b)
	}
	return out
}
