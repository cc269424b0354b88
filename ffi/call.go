package ffi

// Calls: cgo cannot call a C function pointer, so every call goes through seam_ffi_call_desc
// (seam_ffi.h), which casts the pointer to the call's shape. Arguments are uintptr values and
// pointers among them must be C memory (Blocks, engine handles): cgo checks every pointer
// argument for Go pointers, which C memory never holds, and on seam's hot paths that check
// cost as much as a third of the harness's own time (engine/table.h measured it).

/*
#cgo LDFLAGS: -lffi
#include "seam_ffi.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// MaxArgs is the most arguments a call can pass.
const MaxArgs = C.SEAM_FFI_MAX_ARGS

// Kind is the C type class of an argument or a return value.
type Kind uint32

const (
	Void    Kind = C.SEAM_FFI_VOID
	Int8    Kind = C.SEAM_FFI_I8
	Uint8   Kind = C.SEAM_FFI_U8 // also _Bool
	Int16   Kind = C.SEAM_FFI_I16
	Uint16  Kind = C.SEAM_FFI_U16
	Int32   Kind = C.SEAM_FFI_I32 // also enums with int range
	Uint32  Kind = C.SEAM_FFI_U32
	Int64   Kind = C.SEAM_FFI_I64 // also long, ssize_t, ptrdiff_t on LP64
	Uint64  Kind = C.SEAM_FFI_U64 // also size_t, uintptr_t
	Pointer Kind = C.SEAM_FFI_PTR // any data pointer, handle or function pointer
	Float32 Kind = C.SEAM_FFI_F32
	Float64 Kind = C.SEAM_FFI_F64
	// Kinds a header can have that Prepare refuses with an error saying so.
	LongDouble Kind = C.SEAM_FFI_KIND_COUNT
	Struct     Kind = LongDouble + 1 // a struct or union by value
)

var kindNames = [...]string{"void", "int8", "uint8", "int16", "uint16", "int32", "uint32",
	"int64", "uint64", "pointer", "float", "double", "long double", "struct"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint32(k))
}

// Integer reports whether k is passed and returned in integer registers (integers, pointers;
// void too as a return kind), the shapes that need no libffi.
func (k Kind) Integer() bool { return k <= Pointer }

// Bits is the width of k in bits (0 for void and the refused kinds).
func (k Kind) Bits() uint {
	switch k {
	case Int8, Uint8:
		return 8
	case Int16, Uint16:
		return 16
	case Int32, Uint32, Float32:
		return 32
	case Int64, Uint64, Pointer, Float64:
		return 64
	}
	return 0
}

// Signed reports whether k is a signed integer kind.
func (k Kind) Signed() bool { return k == Int8 || k == Int16 || k == Int32 || k == Int64 }

// Extend applies k's width and signedness to a raw 64-bit register value: signed kinds are
// sign-extended, unsigned ones zero-extended, void gives 0. Call and CallShape.Call already
// return extended values; Extend is for raw values from elsewhere (a batch's result slots
// written by other C code, a register dump).
func (k Kind) Extend(raw uint64) uint64 {
	if k == Void {
		return 0
	}
	if k.Signed() {
		return uint64(SignExtend(raw, k.Bits()))
	}
	return ZeroExtend(raw, k.Bits())
}

// SignExtend returns the low bits of v as a signed integer.
func SignExtend(v uint64, bits uint) int64 {
	if bits == 0 || bits >= 64 {
		return int64(v)
	}
	shift := 64 - bits
	return int64(v<<shift) >> shift
}

// ZeroExtend returns the low bits of v.
func ZeroExtend(v uint64, bits uint) uint64 {
	if bits == 0 || bits >= 64 {
		return v
	}
	return v & (1<<bits - 1)
}

// Int is the argument slot of a signed integer of any width: sign-extended, as C callers pass
// it (and a Go constant -1 cannot be converted to uintptr directly).
func Int(v int64) uintptr { return uintptr(v) }

// Float64Arg is the argument slot of a double.
func Float64Arg(f float64) uintptr { return uintptr(math.Float64bits(f)) }

// Float32Arg is the argument slot of a float.
func Float32Arg(f float32) uintptr { return uintptr(math.Float32bits(f)) }

// Float64Ret is a double return value.
func Float64Ret(r uint64) float64 { return math.Float64frombits(r) }

// Float32Ret is a float return value.
func Float32Ret(r uint64) float32 { return math.Float32frombits(uint32(r)) }

// Call calls fn, a C function whose parameters are all integers or pointers and whose return
// kind is ret (an integer kind, Pointer or Void), with up to MaxArgs arguments. A signed
// argument is passed sign-extended (Int(v)), which is what C callers do too. The
// result is extended by ret's width and signedness (the C side casts through the declared
// type, so the garbage in the upper bits of a narrow return never shows). Call does not
// allocate: the variadic slice stays on the caller's stack. A float/double or variadic
// signature needs Prepare; Call panics on one, and on more than MaxArgs arguments.
func Call(fn unsafe.Pointer, ret Kind, args ...uintptr) uint64 {
	if !ret.Integer() || len(args) > MaxArgs {
		panic(fmt.Sprintf("ffi.Call: %d arguments returning %v: use Prepare", len(args), ret))
	}
	return call(uintptr(fn), 0, ret, args)
}

// call is the one Go entry into seam_ffi_call_desc.
func call(fn, cif uintptr, ret Kind, args []uintptr) uint64 {
	var a [MaxArgs]uintptr
	copy(a[:], args)
	return uint64(C.seam_ffi_call(C.uintptr_t(fn), C.uintptr_t(cif), C.uint32_t(ret), C.uint32_t(len(args)),
		C.uintptr_t(a[0]), C.uintptr_t(a[1]), C.uintptr_t(a[2]), C.uintptr_t(a[3]), C.uintptr_t(a[4]),
		C.uintptr_t(a[5]), C.uintptr_t(a[6]), C.uintptr_t(a[7]), C.uintptr_t(a[8]), C.uintptr_t(a[9])))
}

// CallDesc is one call, laid out as seam_ffi_desc in seam_ffi.h, so a batched executor can keep
// arrays of them in C memory and run them from C with seam_ffi_call_desc. Build one with
// CallShape.Desc, then set Args.
type CallDesc struct {
	Fn    uintptr
	cif   uintptr
	ret   Kind
	nargs uint32
	Args  [MaxArgs]uintptr
}

// The C side reads CallDesc through seam_ffi_desc: the layouts must agree.
var (
	_ [unsafe.Sizeof(CallDesc{}) - C.sizeof_seam_ffi_desc]byte
	_ [C.sizeof_seam_ffi_desc - unsafe.Sizeof(CallDesc{})]byte
	_ [unsafe.Offsetof(CallDesc{}.Args) - C.SEAM_FFI_DESC_ARGS_OFFSET]byte
	_ [C.SEAM_FFI_DESC_ARGS_OFFSET - unsafe.Offsetof(CallDesc{}.Args)]byte
)

// Call runs d through seam_ffi_call_desc. d should live in C memory or already on the Go heap:
// a CallDesc on the stack escapes to the heap when its address goes to C (use CallShape.Call
// for one-off calls).
func (d *CallDesc) Call() uint64 {
	return uint64(C.seam_ffi_call_desc((*C.seam_ffi_desc)(unsafe.Pointer(d))))
}

// Ret is the call's return kind.
func (d *CallDesc) Ret() Kind { return d.ret }

// NumArgs is how many of Args the call passes.
func (d *CallDesc) NumArgs() int { return int(d.nargs) }
