package boundary

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/ffi"
)

// Prepared is one call laid out in native memory once, to be made many times: a stress pool
// entry, which a native batch runs from its descriptor many calls per cgo crossing. Before each
// call every output must hold what Call lays out (Regions' Init); Call makes it from Go and
// reads the outputs back as Engine.Call does. A Prepared belongs to one goroutine at a time.
type Prepared struct {
	c      *call
	argv   []uintptr
	Desc   ffi.CallDesc
	region []Region
}

// Region is one output of a prepared call: Span views its block with the sentinels on both
// sides, the output itself is Len bytes from Data in it, and Init is what the whole span holds
// before a call (the fill pattern, a size field, the sentinels).
type Region struct {
	Name      string
	Span      []byte
	Data, Len int
	Init      []byte
}

// Native reports whether a call can be judged by its return value and output bytes alone:
// no handle or callee-allocated output, which holds a new address every call.
func (p *Prepared) Native() bool {
	for _, o := range p.c.outs {
		if o.role != nil && (o.role.Role == contract.RoleHandleOut || o.role.Role == contract.RoleCalleeAlloc) {
			return false
		}
	}
	return true
}

// Prepare lays fn's call with args out in native memory (as Call does) without making it.
func (e *Engine) Prepare(fn string, args Args) (*Prepared, error) {
	f := e.B.funcs[fn]
	if f == nil {
		return nil, fmt.Errorf("%s is not a function of %s", fn, e.B.Contract.Path)
	}
	return e.prepareIn(e.mem, fn, f, args)
}

// Repack lays p's call out again in packed memory for a pool that makes it many times,
// and frees p. With guard pages, every input ends at a page of its own, all at the same page
// offset: a pool of them misses the TLB and the same few cache sets on nearly every call,
// which made the quotes of a stress pool a quarter slower than the same quotes from a stack.
// The guard-page copy has done its part by then: its calls (the serial ones) would have
// faulted on an over-read, which the same inputs repeat. It returns p itself where the
// engine's blocks are malloc'd already (ASan, TSan), and when p's calls wrote into one of its
// inputs (Changed: the caller's finding). On an error p is kept.
func (e *Engine) Repack(p *Prepared) (*Prepared, error) {
	if e.mem.Mode() == ffi.Exact || len(p.Changed()) > 0 {
		return p, nil
	}
	q, err := e.prepareIn(e.packed, p.c.f.Name, p.c.f, p.c.args)
	if err != nil {
		return p, err
	}
	p.Free()
	return q, nil
}

func (e *Engine) prepareIn(mem *ffi.Allocator, fn string, f *Func, args Args) (*Prepared, error) {
	c := &call{e: e, mem: mem, f: f, args: args}
	argv, err := c.layout()
	if err != nil {
		c.release()
		return nil, err
	}
	p := &Prepared{c: c, argv: argv, Desc: f.shape.Desc(e.syms[fn])}
	copy(p.Desc.Args[:], argv)
	for _, o := range c.outs {
		span := unsafe.Slice((*byte)(unsafe.Add(o.blk.Ptr, -o.blk.Before)), o.blk.Before+o.blk.Len+o.blk.After)
		p.region = append(p.region, Region{Name: o.name, Span: span, Data: o.blk.Before, Len: o.blk.Len, Init: bytes.Clone(span)})
	}
	return p, nil
}

// Regions are the call's outputs.
func (p *Prepared) Regions() []Region { return p.region }

// reset puts every output back as it was laid out: the data from Init, the sentinels (and
// their ASan poisoning) rewritten.
func (p *Prepared) reset() {
	for i, r := range p.region {
		copy(r.Span[r.Data:r.Data+r.Len], r.Init[r.Data:])
		p.c.outs[i].blk.Reset()
	}
}

// Call resets the outputs, makes the call and reads everything back as Engine.Call does.
func (p *Prepared) Call() Result {
	p.reset()
	raw := p.c.f.shape.Call(p.c.e.syms[p.c.f.Name], p.argv...)
	return p.Collect(raw)
}

// CallOn makes the same call with the handle parameters named in handles on those handles
// instead: the serial twin of a call on shared state, on the caller's own copy of that state,
// without laying the call out twice. The prepared handles are back in place when it returns.
func (p *Prepared) CallOn(handles map[string]*Handle) (Result, error) {
	type saved struct {
		i int
		v uintptr
	}
	var keep [4]saved
	put := keep[:0]
	defer func() {
		for _, s := range put {
			p.argv[s.i] = s.v
		}
	}()
	for i, pr := range p.c.f.params {
		h := handles[pr.c.Name]
		if h == nil {
			continue
		}
		ptr, err := p.c.handle(h)
		if err != nil {
			return Result{}, fmt.Errorf("%s.%s: %w", p.c.f.Name, pr.c.Name, err)
		}
		put = append(put, saved{i, p.argv[i]})
		p.argv[i] = ptr
	}
	return p.Call(), nil
}

// Collect reads back what the last call left (its raw return value): after a native batch
// made the call, the same Result Call returns.
func (p *Prepared) Collect(raw uint64) Result {
	p.c.res = Result{Func: p.c.f.Name, Out: map[string]Value{}}
	p.c.collect(raw)
	return p.c.res
}

// Free releases the call's native memory.
func (p *Prepared) Free() { p.c.release() }

// Changed lists the input buffers an engine wrote to since the call was laid out: inputs are
// const, and the calls of a prepared call share them.
func (p *Prepared) Changed() []string {
	var out []string
	for _, in := range p.c.inputs {
		if !bytes.Equal(in.blk.Bytes(), in.was) {
			out = append(out, in.name)
		}
	}
	return out
}
