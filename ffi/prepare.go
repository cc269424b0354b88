package ffi

/*
#include <stdlib.h>
#include "seam_ffi.h"

#define SEAM_FFI_MAX_FIELDS 16

// A prepared libffi call interface with the type lists it points into: the argument types
// and, for each struct by value (argument slots, then the return), its type and members.
typedef struct seam_ffi_cif_node {
	ffi_cif cif;
	ffi_type *types[SEAM_FFI_MAX_ARGS];
	ffi_type structs[SEAM_FFI_MAX_ARGS + 1];
	ffi_type *members[SEAM_FFI_MAX_ARGS + 1][SEAM_FFI_MAX_FIELDS + 1]; // NULL-terminated
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

// seam_ffi_decode reads one type of a spec (a kind; a struct's kind is followed by its member
// count and member kinds) into slot's place in n.
static ffi_type *seam_ffi_decode(seam_ffi_cif_node *n, int slot, const uint32_t **spec) {
	uint32_t k = *(*spec)++;
	if (k != SEAM_FFI_STRUCT) return seam_ffi_type(k);
	uint32_t m = *(*spec)++;
	for (uint32_t j = 0; j < m; j++) n->members[slot][j] = seam_ffi_type(*(*spec)++);
	n->members[slot][m] = NULL;
	ffi_type *t = &n->structs[slot];
	t->size = 0; // ffi_prep_cif computes size and alignment
	t->alignment = 0;
	t->type = FFI_TYPE_STRUCT;
	t->elements = n->members[slot];
	return t;
}

// seam_ffi_prep prepares the cif of spec (the return type, then nargs argument types;
// nfixed < 0: not variadic) and returns it, or NULL with *st set.
static ffi_cif *seam_ffi_prep(const uint32_t *spec, uint32_t nargs, int nfixed, int *st) {
	seam_ffi_cif_node *n = calloc(1, sizeof *n);
	if (n == NULL) {
		*st = -1;
		return NULL;
	}
	ffi_type *rt = seam_ffi_decode(n, SEAM_FFI_MAX_ARGS, &spec);
	for (uint32_t i = 0; i < nargs; i++) n->types[i] = seam_ffi_decode(n, (int)i, &spec);
	ffi_status s = nfixed < 0
		? ffi_prep_cif(&n->cif, FFI_DEFAULT_ABI, nargs, rt, n->types)
		: ffi_prep_cif_var(&n->cif, FFI_DEFAULT_ABI, (unsigned)nfixed, nargs, rt, n->types);
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

static size_t seam_ffi_ret_size(const ffi_cif *cif) { return cif->rtype->size; }
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// MaxFields is the most members a struct passed or returned by value can have.
const MaxFields = 16

var _ = [1]struct{}{}[MaxFields-C.SEAM_FFI_MAX_FIELDS] // the C node's member arrays

// Signature is what a call passes and returns: the kinds of a C prototype.
type Signature struct {
	// Name is the function's name, for error messages.
	Name string
	Ret  Kind
	Args []Kind
	// ArgFields[i] lists the member kinds of Args[i] when it is a Struct, in declaration
	// order (an array member is its element kind repeated; a nested struct member is not
	// supported); it may be shorter than Args. RetFields is the same for a Struct return.
	ArgFields [][]Kind
	RetFields []Kind
	// Variadic marks a call of a variadic function: Args lists its Fixed declared parameters,
	// then the kinds this call passes for "...", after C's default argument promotions (int
	// or wider, double), so each different call needs its own Signature.
	Variadic bool
	Fixed    int
}

// argFields is ArgFields[i], which may be missing for the last parameters.
func (sig Signature) argFields(i int) []Kind {
	if i < len(sig.ArgFields) {
		return sig.ArgFields[i]
	}
	return nil
}

// CallShape is a prepared Signature: the integer trampolines for integer and pointer
// signatures, a cached libffi call interface for the others.
type CallShape struct {
	name    string
	ret     Kind
	nargs   int
	cif     uintptr // *C.ffi_cif, 0 for the integer trampolines
	retSize int     // a Struct return's size
}

// prepared is a cached libffi call interface.
type prepared struct {
	cif     uintptr // *C.ffi_cif
	retSize int
}

var cifCache = struct {
	sync.Mutex
	m map[string]prepared
}{m: map[string]prepared{}}

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
	p, err := cifFor(sig)
	if err != nil {
		return nil, err
	}
	s.cif = p.cif
	if sig.Ret == Struct {
		s.retSize = p.retSize
	}
	return s, nil
}

func check(sig Signature) error {
	refuse := func(format string, a ...any) error {
		return fmt.Errorf("ffi: %s: "+format, append([]any{sig.Name}, a...)...)
	}
	if len(sig.Args) > MaxArgs {
		return refuse("%d parameters, at most %d are supported", len(sig.Args), MaxArgs)
	}
	switch {
	case sig.Ret == LongDouble:
		return refuse("long double return is not supported")
	case sig.Ret > Struct:
		return refuse("unknown return kind %v", sig.Ret)
	case sig.Ret == Struct:
		if msg := checkFields(sig.RetFields); msg != "" {
			return refuse("struct return by value %s", msg)
		}
	}
	if sig.Variadic && (sig.Fixed < 1 || sig.Fixed > len(sig.Args)) {
		return refuse("variadic call with %d fixed of %d arguments", sig.Fixed, len(sig.Args))
	}
	for i, k := range sig.Args {
		switch {
		case k == Void:
			return refuse("parameter %d is void", i+1)
		case k == Struct:
			if msg := checkFields(sig.argFields(i)); msg != "" {
				return refuse("struct parameter %d by value %s", i+1, msg)
			}
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

// checkFields says what is wrong with a struct's member kinds, or "".
func checkFields(fields []Kind) string {
	if len(fields) == 0 {
		return "has no members in the signature"
	}
	if len(fields) > MaxFields {
		return fmt.Sprintf("has %d members, at most %d are supported (pass it by pointer)", len(fields), MaxFields)
	}
	for j, k := range fields {
		switch {
		case k == Struct:
			return "with a nested struct member is not supported (pass it by pointer)"
		case k == Void || k > Float64:
			return fmt.Sprintf("has member %d of kind %v, which is not supported (pass it by pointer)", j+1, k)
		}
	}
	return ""
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
func cifFor(sig Signature) (prepared, error) {
	// The spec seam_ffi_prep decodes: the return type, then each argument's; a struct's kind
	// is followed by its member count and kinds. With the fixed count it is the cache key.
	fixed := -1
	if sig.Variadic {
		fixed = sig.Fixed
	}
	spec := []C.uint32_t{}
	add := func(k Kind, fields []Kind) {
		spec = append(spec, C.uint32_t(k))
		if k == Struct {
			spec = append(spec, C.uint32_t(len(fields)))
			for _, f := range fields {
				spec = append(spec, C.uint32_t(f))
			}
		}
	}
	add(sig.Ret, sig.RetFields)
	for i, k := range sig.Args {
		add(k, sig.argFields(i))
	}
	key := fmt.Sprint(fixed, spec)
	cifCache.Lock()
	defer cifCache.Unlock()
	if p, ok := cifCache.m[key]; ok {
		return p, nil
	}
	var st C.int
	cif := C.seam_ffi_prep(&spec[0], C.uint32_t(len(sig.Args)), C.int(fixed), &st)
	if cif == nil {
		return prepared{}, fmt.Errorf("ffi: %s: libffi cannot prepare the call (ffi_status %d)", sig.Name, int(st))
	}
	p := prepared{cif: uintptr(unsafe.Pointer(cif)), retSize: int(C.seam_ffi_ret_size(cif))}
	cifCache.m[key] = p
	return p, nil
}

// Call calls fn with args (one per parameter of the signature: Float64Arg/Float32Arg for
// floating-point ones, the address of the bytes in C memory for a struct by value) and
// returns the result as Call does; Float64Ret/Float32Ret read a floating-point one. It
// panics when len(args) is not the signature's parameter count, and for a struct return
// (CallInto).
func (s *CallShape) Call(fn unsafe.Pointer, args ...uintptr) uint64 {
	if len(args) != s.nargs || s.ret == Struct {
		s.misuse(len(args))
	}
	return call(uintptr(fn), s.cif, s.ret, 0, args)
}

// CallInto calls fn like Call and writes its struct return to out, C memory of RetSize bytes.
func (s *CallShape) CallInto(fn, out unsafe.Pointer, args ...uintptr) {
	if len(args) != s.nargs || s.ret != Struct {
		s.misuse(len(args))
	}
	call(uintptr(fn), s.cif, s.ret, uintptr(out), args)
}

func (s *CallShape) misuse(n int) {
	if n != s.nargs {
		panic(fmt.Sprintf("ffi: %s called with %d arguments, its signature has %d", s.name, n, s.nargs))
	}
	if s.ret == Struct {
		panic(fmt.Sprintf("ffi: %s returns a struct: call it with CallInto", s.name))
	}
	panic(fmt.Sprintf("ffi: %s does not return a struct: call it with Call", s.name))
}

// RetSize is the size of a Struct return (what CallInto writes), 0 for other kinds.
func (s *CallShape) RetSize() int { return s.retSize }

// Desc returns a descriptor of a call of fn in this shape; set its Args before running it.
func (s *CallShape) Desc(fn unsafe.Pointer) CallDesc {
	return CallDesc{Fn: uintptr(fn), cif: s.cif, ret: s.ret, nargs: uint32(s.nargs)}
}

// Libffi reports whether calls go through libffi (floating point, structs by value,
// variadic) rather than the cheaper integer trampolines.
func (s *CallShape) Libffi() bool { return s.cif != 0 }

// Ret is the return kind.
func (s *CallShape) Ret() Kind { return s.ret }

// NumArgs is the parameter count.
func (s *CallShape) NumArgs() int { return s.nargs }
