package ffi

// Calls: cgo cannot call a C function pointer, so every call goes through seam_ffi_call_desc
// (seam_ffi.h), which casts the pointer to the call's shape. Arguments are uintptr values and
// pointers among them must be C memory (Blocks, engine handles): cgo checks every pointer
// argument for Go pointers, which C memory never holds, and on seam's hot paths that check
// cost as much as a third of the harness's own time (measured on a reference boundary).

/*
#cgo LDFLAGS: -lffi
#include "seam_ffi.h"

// The Go entries. Integer calls have one per arity: with the arity a constant and no cif, the
// compiler folds seam_ffi_call_int down to the switch on the return kind. Measured (min of
// interleaved rounds, 3 arguments): a direct cgo call 32 ns, these entries 38 ns, a descriptor
// built per arity 40 ns, one entry with 14 cgo arguments 46 ns. libffi calls cost more anyway and
// share one entry that builds the descriptor on the C stack: one in Go memory passed by
// pointer would escape to the heap on every call.
#define I(N, ...) return seam_ffi_call_int(fn, ret, N, (const uintptr_t[]){__VA_ARGS__})
static uint64_t seam_ffi_icall0(uintptr_t fn, uint32_t ret) { I(0, 0); }
static uint64_t seam_ffi_icall1(uintptr_t fn, uint32_t ret, uintptr_t a0) { I(1, a0); }
static uint64_t seam_ffi_icall2(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1) { I(2, a0, a1); }
static uint64_t seam_ffi_icall3(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2) { I(3, a0, a1, a2); }
static uint64_t seam_ffi_icall4(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3) { I(4, a0, a1, a2, a3); }
static uint64_t seam_ffi_icall5(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4) { I(5, a0, a1, a2, a3, a4); }
static uint64_t seam_ffi_icall6(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4, uintptr_t a5) { I(6, a0, a1, a2, a3, a4, a5); }
static uint64_t seam_ffi_icall7(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4, uintptr_t a5, uintptr_t a6) { I(7, a0, a1, a2, a3, a4, a5, a6); }
static uint64_t seam_ffi_icall8(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4, uintptr_t a5, uintptr_t a6, uintptr_t a7) { I(8, a0, a1, a2, a3, a4, a5, a6, a7); }
static uint64_t seam_ffi_icall9(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4, uintptr_t a5, uintptr_t a6, uintptr_t a7, uintptr_t a8) { I(9, a0, a1, a2, a3, a4, a5, a6, a7, a8); }
static uint64_t seam_ffi_icall10(uintptr_t fn, uint32_t ret, uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4, uintptr_t a5, uintptr_t a6, uintptr_t a7, uintptr_t a8, uintptr_t a9) { I(10, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9); }
#undef I
static uint64_t seam_ffi_call_any(uintptr_t fn, uintptr_t cif, uint32_t ret, uint32_t nargs, uintptr_t out,
                                  uintptr_t a0, uintptr_t a1, uintptr_t a2, uintptr_t a3, uintptr_t a4,
                                  uintptr_t a5, uintptr_t a6, uintptr_t a7, uintptr_t a8, uintptr_t a9) {
	seam_ffi_desc d = {fn, cif, ret, nargs, out, {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9}};
	return seam_ffi_call_desc(&d);
}
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// MaxArgs is the most arguments a call can pass.
const MaxArgs = 10

// Kind is the C type class of an argument or a return value.
type Kind uint32

const (
	Void Kind = iota
	Int8
	Uint8 // also _Bool
	Int16
	Uint16
	Int32 // also enums with int range
	Uint32
	Int64   // also long, ssize_t, ptrdiff_t on LP64
	Uint64  // also size_t, uintptr_t
	Pointer // any data pointer, handle or function pointer
	Float32
	Float64
	// Kinds a header can have that Prepare refuses with an error saying so.
	LongDouble
	Struct // a struct by value, its members in Signature.ArgFields or RetFields
)

// seam_ffi.h's constants must be these (a difference is a constant out of range).
var (
	_ = [1]struct{}{}[MaxArgs-C.SEAM_FFI_MAX_ARGS]
	_ = [1]struct{}{}[Int8-Kind(C.SEAM_FFI_I8)]
	_ = [1]struct{}{}[Uint8-Kind(C.SEAM_FFI_U8)]
	_ = [1]struct{}{}[Int16-Kind(C.SEAM_FFI_I16)]
	_ = [1]struct{}{}[Uint16-Kind(C.SEAM_FFI_U16)]
	_ = [1]struct{}{}[Int32-Kind(C.SEAM_FFI_I32)]
	_ = [1]struct{}{}[Uint32-Kind(C.SEAM_FFI_U32)]
	_ = [1]struct{}{}[Int64-Kind(C.SEAM_FFI_I64)]
	_ = [1]struct{}{}[Uint64-Kind(C.SEAM_FFI_U64)]
	_ = [1]struct{}{}[Pointer-Kind(C.SEAM_FFI_PTR)]
	_ = [1]struct{}{}[Float32-Kind(C.SEAM_FFI_F32)]
	_ = [1]struct{}{}[Float64-Kind(C.SEAM_FFI_F64)]
	_ = [1]struct{}{}[LongDouble-Kind(C.SEAM_FFI_LONG_DOUBLE)]
	_ = [1]struct{}{}[Struct-Kind(C.SEAM_FFI_STRUCT)]
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

// Extend applies k's width and signedness to a raw 64-bit value: signed kinds are
// sign-extended, unsigned ones zero-extended, void gives 0. It makes an argument slot of a
// value of type k, and reads raw results from elsewhere (a batch's result slots written by
// other C code); Call and CallShape.Call already return extended values.
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
// kind is ret (an integer kind, Pointer or Void), with up to MaxArgs arguments. Each argument
// is passed extended by its own C type, as C callers do (Int(v) for a signed one, or
// kind.Extend(raw)): clang-compiled callees rely on it for types narrower than int. The result
// is extended by ret's width and signedness (the C side casts through the declared type, so
// the garbage in the upper bits of a narrow return never shows). Call does not allocate: the
// variadic slice stays on the caller's stack. Floating-point parameters and variadic
// functions need Prepare (Call cannot tell and would pass them wrongly); Call panics on a
// floating-point ret and on more than MaxArgs arguments.
func Call(fn unsafe.Pointer, ret Kind, args ...uintptr) uint64 {
	if !ret.Integer() || len(args) > MaxArgs {
		misuse(ret, len(args))
	}
	return call(uintptr(fn), 0, ret, 0, args)
}

// misuse is Call's panic, out of line: formatting it stays off the call path.
func misuse(ret Kind, n int) {
	panic(fmt.Sprintf("ffi.Call: %d arguments returning %v: use Prepare", n, ret))
}

// call is the Go side of seam_ffi_call_desc: cif 0 through the integer entry of len(a)'s
// arity, a libffi call through the entry that takes a whole descriptor (out: where a struct
// return goes).
func call(fn, cif uintptr, ret Kind, out uintptr, a []uintptr) uint64 {
	f, r := C.uintptr_t(fn), C.uint32_t(ret)
	if cif != 0 {
		return uint64(C.seam_ffi_call_any(f, C.uintptr_t(cif), r, C.uint32_t(len(a)), C.uintptr_t(out), at(a, 0), at(a, 1), at(a, 2),
			at(a, 3), at(a, 4), at(a, 5), at(a, 6), at(a, 7), at(a, 8), at(a, 9)))
	}
	switch len(a) {
	case 0:
		return uint64(C.seam_ffi_icall0(f, r))
	case 1:
		return uint64(C.seam_ffi_icall1(f, r, u(a[0])))
	case 2:
		return uint64(C.seam_ffi_icall2(f, r, u(a[0]), u(a[1])))
	case 3:
		return uint64(C.seam_ffi_icall3(f, r, u(a[0]), u(a[1]), u(a[2])))
	case 4:
		return uint64(C.seam_ffi_icall4(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3])))
	case 5:
		return uint64(C.seam_ffi_icall5(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4])))
	case 6:
		return uint64(C.seam_ffi_icall6(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4]), u(a[5])))
	case 7:
		return uint64(C.seam_ffi_icall7(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4]), u(a[5]), u(a[6])))
	case 8:
		return uint64(C.seam_ffi_icall8(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4]), u(a[5]), u(a[6]), u(a[7])))
	case 9:
		return uint64(C.seam_ffi_icall9(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4]), u(a[5]), u(a[6]), u(a[7]), u(a[8])))
	case 10:
		return uint64(C.seam_ffi_icall10(f, r, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4]), u(a[5]), u(a[6]), u(a[7]), u(a[8]), u(a[9])))
	}
	panic(fmt.Sprintf("ffi: %d arguments, at most %d are supported", len(a), MaxArgs))
}

func u(a uintptr) C.uintptr_t { return C.uintptr_t(a) }

// at is a[i], or 0 past its end.
func at(a []uintptr, i int) C.uintptr_t {
	if i < len(a) {
		return C.uintptr_t(a[i])
	}
	return 0
}

// CallDesc is one call, laid out as seam_ffi_desc in seam_ffi.h, so a batched executor can keep
// arrays of them in C memory and run them from C with seam_ffi_call_desc. Build one with
// CallShape.Desc, then set Args.
type CallDesc struct {
	Fn    uintptr
	cif   uintptr
	ret   Kind
	nargs uint32
	// Out is where a Struct return is written (C memory of CallShape.RetSize bytes); 0 drops it.
	Out  uintptr
	Args [MaxArgs]uintptr
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
