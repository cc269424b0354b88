package ffi

/*
#include <stdlib.h>
#include "seam_ffi.h"

// A prepared libffi call interface with its argument type list, which the cif points into.
typedef struct seam_ffi_cif_node {
	ffi_cif cif;
	ffi_type *types[SEAM_FFI_MAX_ARGS];
	struct seam_ffi_cif_node *next;
} seam_ffi_cif_node;

// Every prepared cif stays reachable from this list for the life of the process: cifs are
// cached per signature and never freed, and LeakSanitizer does not scan the Go heap, which
// holds the only other reference. Appended to under Prepare's Go mutex.
static seam_ffi_cif_node *seam_ffi_cifs;

static ffi_type *seam_ffi_type(uint32_t k) {
	switch (k) {
	case SEAM_FFI_VOID: return &ffi_type_void;
	case SEAM_FFI_I8: return &ffi_type_sint8;
	case SEAM_FFI_U8: return &ffi_type_uint8;
	case SEAM_FFI_I16: return &ffi_type_sint16;
	case SEAM_FFI_U16: return &ffi_type_uint16;
	case SEAM_FFI_I32: return &ffi_type_sint32;
	case SEAM_FFI_U32: return &ffi_type_uint32;
	case SEAM_FFI_I64: return &ffi_type_sint64;
	case SEAM_FFI_U64: return &ffi_type_uint64;
	case SEAM_FFI_PTR: return &ffi_type_pointer;
	case SEAM_FFI_F32: return &ffi_type_float;
	case SEAM_FFI_F64: return &ffi_type_double;
	}
	return NULL;
}

// seam_ffi_prep prepares a cif (nfixed < 0: not variadic) and returns it, or NULL with *st set.
static ffi_cif *seam_ffi_prep(uint32_t ret, const uint32_t *kinds, uint32_t nargs, int nfixed, int *st) {
	seam_ffi_cif_node *n = calloc(1, sizeof *n);
	if (n == NULL) {
		*st = -1;
		return NULL;
	}
	for (uint32_t i = 0; i < nargs; i++) n->types[i] = seam_ffi_type(kinds[i]);
	ffi_status s = nfixed < 0
		? ffi_prep_cif(&n->cif, FFI_DEFAULT_ABI, nargs, seam_ffi_type(ret), n->types)
		: ffi_prep_cif_var(&n->cif, FFI_DEFAULT_ABI, (unsigned)nfixed, nargs, seam_ffi_type(ret), n->types);
	if (s != FFI_OK) {
		free(n);
		*st = (int)s;
		return NULL;
	}
	n->next = seam_ffi_cifs;
	seam_ffi_cifs = n;
	*st = 0;
	return &n->cif;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Signature is what a call passes and returns: the kinds of a C prototype.
type Signature struct {
	// Name is the function's name, for error messages.
	Name string
	Ret  Kind
	Args []Kind
	// Variadic marks a call of a variadic function: Args lists its Fixed declared parameters,
	// then the kinds this call passes for "...", after C's default argument promotions (int
	// or wider, double), so each different call needs its own Signature.
	Variadic bool
	Fixed    int
}

// CallShape is a prepared Signature: the integer trampolines for integer and pointer
// signatures, a cached libffi call interface for the others.
type CallShape struct {
	name  string
	ret   Kind
	nargs int
	cif   uintptr // *C.ffi_cif, 0 for the integer trampolines
}

var cifCache = struct {
	sync.Mutex
	m map[string]uintptr
}{m: map[string]uintptr{}}

// Prepare checks sig and returns its call shape. An unsupported signature is refused with a
// one-line error that names the function and says why.
func Prepare(sig Signature) (*CallShape, error) {
	if err := check(sig); err != nil {
		return nil, err
	}
	s := &CallShape{name: sig.Name, ret: sig.Ret, nargs: len(sig.Args)}
	if !needsLibffi(sig) {
		return s, nil
	}
	cif, err := cifFor(sig)
	if err != nil {
		return nil, err
	}
	s.cif = cif
	return s, nil
}

func check(sig Signature) error {
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("ffi: %s: "+format, append([]any{sig.Name}, a...)...)
	}
	if len(sig.Args) > MaxArgs {
		return refuse("%d parameters, at most %d are supported", len(sig.Args), MaxArgs)
	}
	switch sig.Ret {
	case Struct:
		return refuse("struct return by value is not supported")
	case LongDouble:
		return refuse("long double return is not supported")
	}
	if sig.Ret > Struct {
		return refuse("unknown return kind %v", sig.Ret)
	}
	if sig.Variadic && (sig.Fixed < 1 || sig.Fixed > len(sig.Args)) {
		return refuse("variadic call with %d fixed of %d arguments", sig.Fixed, len(sig.Args))
	}
	for i, k := range sig.Args {
		switch {
		case k == Void:
			return refuse("parameter %d is void", i+1)
		case k == Struct:
			return refuse("struct parameter by value is not supported (pass it by pointer)")
		case k == LongDouble:
			return refuse("long double parameter is not supported")
		case k > Struct:
			return refuse("parameter %d has unknown kind %v", i+1, k)
		case sig.Variadic && i >= sig.Fixed && (k == Float32 || k.Bits() < 32):
			return refuse("variadic argument %d is %v, which C promotes (pass it as %s)", i+1, k, promoted(k))
		}
	}
	return nil
}

func promoted(k Kind) string {
	if k == Float32 {
		return "double"
	}
	return "int"
}

// needsLibffi: floats need the vector registers and a variadic call needs %al set to their
// count, neither of which the integer trampolines do.
func needsLibffi(sig Signature) bool {
	if sig.Variadic || !sig.Ret.Integer() {
		return true
	}
	for _, k := range sig.Args {
		if !k.Integer() {
			return true
		}
	}
	return false
}

// cifFor returns the cached cif of sig's kinds, preparing it on first use.
func cifFor(sig Signature) (uintptr, error) {
	kinds := make([]C.uint32_t, max(len(sig.Args), 1))
	key := make([]byte, 0, len(sig.Args)+3)
	fixed := -1
	if sig.Variadic {
		fixed = sig.Fixed
	}
	key = append(key, byte(sig.Ret), byte(fixed+1))
	for i, k := range sig.Args {
		kinds[i] = C.uint32_t(k)
		key = append(key, byte(k))
	}
	cifCache.Lock()
	defer cifCache.Unlock()
	if cif, ok := cifCache.m[string(key)]; ok {
		return cif, nil
	}
	var st C.int
	cif := C.seam_ffi_prep(C.uint32_t(sig.Ret), &kinds[0], C.uint32_t(len(sig.Args)), C.int(fixed), &st)
	if cif == nil {
		return 0, fmt.Errorf("ffi: %s: libffi cannot prepare the call (ffi_status %d)", sig.Name, int(st))
	}
	p := uintptr(unsafe.Pointer(cif))
	cifCache.m[string(key)] = p
	return p, nil
}

// Call calls fn with args (one per parameter of the signature, Float64Arg/Float32Arg for
// floating-point ones) and returns the result as Call does; Float64Ret/Float32Ret read a
// floating-point one. It panics when len(args) is not the signature's parameter count.
func (s *CallShape) Call(fn unsafe.Pointer, args ...uintptr) uint64 {
	if len(args) != s.nargs {
		panic(fmt.Sprintf("ffi: %s called with %d arguments, its signature has %d", s.name, len(args), s.nargs))
	}
	return call(uintptr(fn), s.cif, s.ret, args)
}

// Desc returns a descriptor of a call of fn in this shape; set its Args before running it.
func (s *CallShape) Desc(fn unsafe.Pointer) CallDesc {
	return CallDesc{Fn: uintptr(fn), cif: s.cif, ret: s.ret, nargs: uint32(s.nargs)}
}

// Libffi reports whether calls go through libffi (floating point, variadic) rather than the
// cheaper integer trampolines.
func (s *CallShape) Libffi() bool { return s.cif != 0 }

// Ret is the return kind.
func (s *CallShape) Ret() Kind { return s.ret }

// NumArgs is the parameter count.
func (s *CallShape) NumArgs() int { return s.nargs }
