package boundary

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/ffi"
)

// Engine is one library of a boundary, loaded. The library's sanitizer runtime, if it needs
// one, must already be in the process (the CLI re-executes itself with it; see sanrt).
type Engine struct {
	B    *Boundary
	Name string // the contract's engine name, or the library's file name
	Path string
	lib  *ffi.Library
	syms map[string]unsafe.Pointer
	mem  *ffi.Allocator
	// packed lays out the pooled copies of calls Repack makes: malloc'd blocks, close
	// together.
	packed *ffi.Allocator
	made   int // handles made so far, to name them
}

// Handle is an object an engine made (a handle_out output). It belongs to that engine: a
// handle of one engine is never passed to another.
type Handle struct {
	Type   string
	Ptr    uintptr
	engine *Engine
	id     int
	freed  bool
}

func (h *Handle) String() string { return fmt.Sprintf("%s#%d", h.Type, h.id) }

// Open loads the library at path as the engine called name.
func (b *Boundary) Open(name, path string) (*Engine, error) {
	lib, err := ffi.Open(path)
	if err != nil {
		return nil, err
	}
	e := &Engine{B: b, Name: name, Path: lib.Path, lib: lib, syms: map[string]unsafe.Pointer{}, mem: ffi.NewAllocator(ffi.DefaultMode()), packed: ffi.NewAllocator(ffi.Exact)}
	var missing []string
	for _, f := range b.Contract.Functions {
		p, err := lib.Sym(f.Name)
		if err != nil {
			missing = append(missing, f.Name)
			continue
		}
		e.syms[f.Name] = p
	}
	if len(missing) > 0 {
		lib.Close()
		return nil, fmt.Errorf("%s does not export %v, which %s names: is it an engine of boundary %s?", path, missing, b.Contract.Path, b.Contract.Boundary)
	}
	return e, nil
}

// Close unloads the library. Handles it made must be freed first.
func (e *Engine) Close() error { return e.lib.Close() }

// Mem is the engine's native memory allocator (exact-size blocks under ASan, guard pages
// otherwise).
func (e *Engine) Mem() *ffi.Allocator { return e.mem }

// New makes a handle of the named type with its allocating function and the given arguments
// (the handle_out parameter is filled in).
func (e *Engine) New(typeName string, args Args) (*Handle, Result, error) {
	t := e.B.Contract.Type(typeName)
	if t == nil || t.Kind != contract.KindHandle || t.AllocatedBy == "" {
		return nil, Result{}, fmt.Errorf("%s is not a handle type with allocated_by in %s", typeName, e.B.Contract.Path)
	}
	res, err := e.Call(t.AllocatedBy, args)
	if err != nil {
		return nil, res, err
	}
	for _, p := range e.B.Contract.Function(t.AllocatedBy).Params {
		if p.Role == contract.RoleHandleOut && res.Out[p.Name].Handle != nil {
			return res.Out[p.Name].Handle, res, nil
		}
	}
	return nil, res, nil
}

// Free destroys a handle with its type's freed_by function.
func (e *Engine) Free(h *Handle) error {
	if h == nil || h.freed {
		return nil
	}
	t := e.B.Contract.Type(h.Type)
	if t == nil || t.FreedBy.Func == "" || len(t.FreedBy.Args) != 1 {
		return fmt.Errorf("%s has no freed_by taking the handle in %s", h.Type, e.B.Contract.Path)
	}
	if _, err := e.Call(t.FreedBy.Func, Args{t.FreedBy.Args[0]: Of(h)}); err != nil {
		return err
	}
	h.freed = true
	return nil
}

// ErrForeignHandle is wrapped when a call passes a handle made by another engine (or freed).
var ErrForeignHandle = errors.New("handle of another engine")

// Call calls fn with args and reads back every output. Callee-allocated outputs are copied and
// freed at once with their freed_by function. The error is for a call seam could not make (an
// unknown function, a handle of another engine); whatever the engine did is in the Result.
func (e *Engine) Call(fn string, args Args) (Result, error) {
	f := e.B.funcs[fn]
	if f == nil {
		return Result{}, fmt.Errorf("%s is not a function of %s", fn, e.B.Contract.Path)
	}
	c := &call{e: e, mem: e.mem, f: f, args: args, res: Result{Func: fn, Out: map[string]Value{}}}
	defer c.release()
	argv, err := c.layout()
	if err != nil {
		return Result{}, err
	}
	ret := f.shape.Call(e.syms[fn], argv...)
	c.collect(ret)
	return c.res, nil
}

// layout lays every argument out in native memory and returns the argument registers.
func (c *call) layout() ([]uintptr, error) {
	argv := make([]uintptr, len(c.f.params))
	// Lengths last: they measure the buffers laid out before them.
	for pass := 0; pass < 2; pass++ {
		for i, p := range c.f.params {
			if (p.lengthOf != nil) != (pass == 1) {
				continue
			}
			v, err := c.arg(p)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", c.f.Name, p.c.Name, err)
			}
			argv[i] = v
		}
	}
	return argv, nil
}
