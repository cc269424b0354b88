// Package boundary calls any engine of any boundary through its contract: a Boundary is a
// contract file bound to the C header it describes, an Engine is one of its libraries loaded
// with dlopen. A call names the function and gives each argument by its contract parameter
// (and struct field) name; the package lays the arguments out in native memory as the header
// says (exact-size blocks under ASan, blocks ending at a guard page otherwise, sentinels around
// every output), makes the call through one trampoline per call shape (package ffi) and reads
// every output back. No Go or C is written per function or per boundary.
package boundary

import (
	"fmt"
	"strings"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/ffi"
)

// Boundary is a contract with its header: what seam needs to call every engine of it.
type Boundary struct {
	Contract *contract.Contract
	Header   *cheader.Header
	funcs    map[string]*Func
	statuses map[int64]string // status value -> name
}

// Func is one function of the boundary, ready to be called: its C prototype, its contract
// entry and its call shape.
type Func struct {
	Name     string
	C        *cheader.Function
	Contract *contract.Function
	shape    *ffi.CallShape
	ret      ffi.Kind
	params   []param
}

// param is one C parameter with its contract role (nil for one the contract leaves out: the
// parameters of a free function, or a length another parameter's role names).
type param struct {
	c    *cheader.Param
	role *contract.Param
	kind ffi.Kind
	// lengthOf is the parameter whose length, capacity or count this one carries.
	lengthOf *contract.Param
}

// Load reads the contract file and its header (parsed with opts) and binds them.
func Load(contractPath string, opts ...cheader.Option) (*Boundary, error) {
	c, err := contract.Load(contractPath)
	if err != nil {
		return nil, err
	}
	h, err := cheader.Parse(c.Header, opts...)
	if err != nil {
		return nil, fmt.Errorf("header of %s: %w", c.Path, err)
	}
	return New(c, h)
}

// New binds a contract to its header. What seam could not call (a function the header does
// not declare, a float or struct passed by value) is an error naming it.
func New(c *contract.Contract, h *cheader.Header) (*Boundary, error) {
	b := &Boundary{Contract: c, Header: h, funcs: map[string]*Func{}, statuses: map[int64]string{}}
	for _, s := range c.Statuses {
		v, ok := h.Const(s.Const)
		if !ok {
			return nil, fmt.Errorf("%s:%d: status %s: %s is not a constant of %s", c.Path, s.Line, s.Name, s.Const, h.Path)
		}
		b.statuses[v] = s.Name
	}
	var problems []string
	for _, cf := range c.Functions {
		f, err := b.bind(cf)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: %v", c.Path, cf.Line, cf.Name, err))
			continue
		}
		b.funcs[cf.Name] = f
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return b, nil
}

// Func returns the named function, or nil.
func (b *Boundary) Func(name string) *Func { return b.funcs[name] }

// StatusName returns the contract's name for a status value ("" when it is none of them).
func (b *Boundary) StatusName(v int64) string { return b.statuses[v] }

// StatusValue returns the value of a status name.
func (b *Boundary) StatusValue(name string) (int64, bool) {
	for v, n := range b.statuses {
		if n == name {
			return v, true
		}
	}
	return 0, false
}

func (b *Boundary) bind(cf *contract.Function) (*Func, error) {
	hf := b.Header.Function(cf.Name)
	if hf == nil {
		return nil, fmt.Errorf("not declared in %s", b.Header.Path)
	}
	f := &Func{Name: cf.Name, C: hf, Contract: cf}
	sig := ffi.Signature{Name: cf.Name, Variadic: hf.Variadic, Fixed: len(hf.Params)}
	var err error
	if f.ret, err = kindOf(hf.Result); err != nil {
		return nil, fmt.Errorf("return type %s: %w", hf.Result.Spelling, err)
	}
	sig.Ret = f.ret
	lengths := map[string]*contract.Param{}
	for _, p := range cf.Params {
		if p.Len != "" && p.Role != contract.RoleLength && p.Role != contract.RoleOutSize {
			lengths[p.Len] = p
		}
		if p.Role == contract.RoleStruct || p.Role == contract.RoleOutStruct {
			if b.Header.Struct(p.Of) == nil {
				return nil, fmt.Errorf("%s: struct %s is not defined in %s", p.Name, p.Of, b.Header.Path)
			}
		}
	}
	for _, p := range cf.Params {
		if hf.Param(p.Name) == nil {
			return nil, fmt.Errorf("%s is not a parameter of its prototype", p.Name)
		}
	}
	for _, hp := range hf.Params {
		k, err := kindOf(hp.Type)
		if err != nil {
			return nil, fmt.Errorf("parameter %s (%s): %w", hp.Name, hp.Type.Spelling, err)
		}
		pr := param{c: hp, role: cf.Param(hp.Name), kind: k, lengthOf: lengths[hp.Name]}
		if pr.role != nil && pr.role.Role == contract.RoleLength {
			pr.lengthOf = cf.Param(pr.role.Len)
		}
		f.params = append(f.params, pr)
		sig.Args = append(sig.Args, k)
	}
	if f.shape, err = ffi.Prepare(sig); err != nil {
		return nil, err
	}
	return f, nil
}

// kindOf is the ffi class of a C type.
func kindOf(t *cheader.Type) (ffi.Kind, error) {
	switch t.Kind {
	case cheader.Void:
		return ffi.Void, nil
	case cheader.Pointer:
		return ffi.Pointer, nil
	case cheader.Int, cheader.EnumKind:
		size, signed := t.Size, t.Signed
		if t.Kind == cheader.EnumKind && t.Enum != nil && t.Enum.Type != nil {
			size, signed = t.Enum.Type.Size, t.Enum.Type.Signed
		}
		return intKind(size, signed)
	case cheader.Float:
		switch t.Size {
		case 4:
			return ffi.Float32, nil
		case 8:
			return ffi.Float64, nil
		}
		return ffi.LongDouble, nil
	case cheader.StructKind:
		// ffi can pass small structs by value through libffi, but a contract role says how to
		// lay out what a pointer points at; a struct by value has no role yet.
		return 0, fmt.Errorf("a struct by value is not supported (pass it by pointer)")
	}
	return 0, fmt.Errorf("a %s cannot be passed", t.Kind)
}

func intKind(size int64, signed bool) (ffi.Kind, error) {
	kinds := map[int64][2]ffi.Kind{1: {ffi.Uint8, ffi.Int8}, 2: {ffi.Uint16, ffi.Int16}, 4: {ffi.Uint32, ffi.Int32}, 8: {ffi.Uint64, ffi.Int64}}
	k, ok := kinds[size]
	if !ok {
		return 0, fmt.Errorf("no %d-byte integer class", size)
	}
	if signed {
		return k[1], nil
	}
	return k[0], nil
}
