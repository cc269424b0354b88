/* seam's generic C call path: one call descriptor, one function that runs it.
 *
 * seam_ffi_call_desc runs a descriptor: integer shapes through seam_ffi_call_int, the others
 * through libffi. Package ffi's Go entries use the same two (an integer call goes straight to
 * seam_ffi_call_int with its arity a constant, which is cheaper), and so can any other cgo
 * package, such as a batched executor that runs many descriptors in one cgo crossing:
 *
 *     #cgo CFLAGS: -I${SRCDIR}/../ffi
 *     #cgo LDFLAGS: -lffi
 *     #include "seam_ffi.h"
 *
 * (Not "ffi.h": with the package directory on the include path, libffi's <ffi.h> would resolve
 * to this file.)
 *
 * Everything here is static inline, so each including package gets its own copy and no C
 * symbol has to be shared between cgo packages. The Go type ffi.CallDesc has this layout
 * (checked at compile time in call.go), so descriptors built in Go can be run from C.
 *
 * Integer and pointer signatures (up to SEAM_FFI_MAX_ARGS arguments, each passed as uintptr_t in
 * an integer register or stack slot) go through a direct call with the C return type of the
 * declared kind, so the compiler applies the width and signedness: rax's upper bits are
 * garbage after an int32_t return. Anything else (float/double, structs by value, variadic)
 * goes through libffi's ffi_call with a prepared ffi_cif (desc->cif != 0). */
#ifndef SEAM_FFI_H
#define SEAM_FFI_H
#include <stdint.h>
#include <stddef.h>
#include <ffi.h>

#define SEAM_FFI_MAX_ARGS 10

// Kinds of arguments and return values; ffi.Kind has the same values.
enum {
	SEAM_FFI_VOID, SEAM_FFI_I8, SEAM_FFI_U8, SEAM_FFI_I16, SEAM_FFI_U16, SEAM_FFI_I32,
	SEAM_FFI_U32, SEAM_FFI_I64, SEAM_FFI_U64, SEAM_FFI_PTR, SEAM_FFI_F32, SEAM_FFI_F64,
	SEAM_FFI_KIND_COUNT, SEAM_FFI_LONG_DOUBLE = SEAM_FFI_KIND_COUNT, SEAM_FFI_STRUCT
};

// One call. args[i] holds argument i: integers extended to 64 bits by their own signedness,
// pointers as addresses, a float in the low 32 bits (IEEE bits), a double's 64 bits, the
// address of a struct passed by value (libffi copies it where the ABI wants it).
typedef struct seam_ffi_desc {
	uintptr_t fn;     // the function
	uintptr_t cif;    // ffi_cif * for libffi shapes; 0 for the integer trampolines
	uint32_t ret;     // return kind (SEAM_FFI_*)
	uint32_t nargs;   // arguments used in args
	uintptr_t out;    // where a struct return is written (its size), or 0 to drop it
	uintptr_t args[SEAM_FFI_MAX_ARGS];
} seam_ffi_desc;
enum { SEAM_FFI_DESC_ARGS_OFFSET = offsetof(seam_ffi_desc, args) };

// seam_ffi_extend returns raw with the width and signedness of kind applied: signed kinds are
// sign-extended to 64 bits, unsigned ones zero-extended, void is 0, float keeps its 32 bits.
static inline uint64_t seam_ffi_extend(uint32_t kind, uint64_t raw) {
	switch (kind) {
	case SEAM_FFI_VOID: return 0;
	case SEAM_FFI_I8: return (uint64_t)(int64_t)(int8_t)raw;
	case SEAM_FFI_U8: return (uint8_t)raw;
	case SEAM_FFI_I16: return (uint64_t)(int64_t)(int16_t)raw;
	case SEAM_FFI_U16: return (uint16_t)raw;
	case SEAM_FFI_I32: return (uint64_t)(int64_t)(int32_t)raw;
	case SEAM_FFI_U32: case SEAM_FFI_F32: return (uint32_t)raw;
	}
	return raw;
}

// Parameter lists and argument lists of the integer trampolines, by arity.
#define SEAM_FFI_P0 void
#define SEAM_FFI_P1 uintptr_t
#define SEAM_FFI_P2 SEAM_FFI_P1, uintptr_t
#define SEAM_FFI_P3 SEAM_FFI_P2, uintptr_t
#define SEAM_FFI_P4 SEAM_FFI_P3, uintptr_t
#define SEAM_FFI_P5 SEAM_FFI_P4, uintptr_t
#define SEAM_FFI_P6 SEAM_FFI_P5, uintptr_t
#define SEAM_FFI_P7 SEAM_FFI_P6, uintptr_t
#define SEAM_FFI_P8 SEAM_FFI_P7, uintptr_t
#define SEAM_FFI_P9 SEAM_FFI_P8, uintptr_t
#define SEAM_FFI_P10 SEAM_FFI_P9, uintptr_t
#define SEAM_FFI_A0
#define SEAM_FFI_A1 a[0]
#define SEAM_FFI_A2 SEAM_FFI_A1, a[1]
#define SEAM_FFI_A3 SEAM_FFI_A2, a[2]
#define SEAM_FFI_A4 SEAM_FFI_A3, a[3]
#define SEAM_FFI_A5 SEAM_FFI_A4, a[4]
#define SEAM_FFI_A6 SEAM_FFI_A5, a[5]
#define SEAM_FFI_A7 SEAM_FFI_A6, a[6]
#define SEAM_FFI_A8 SEAM_FFI_A7, a[7]
#define SEAM_FFI_A9 SEAM_FFI_A8, a[8]
#define SEAM_FFI_A10 SEAM_FFI_A9, a[9]
#define SEAM_FFI_CALL(R, N) ((R (*)(SEAM_FFI_P##N))fn)(SEAM_FFI_A##N)
// One arity: the call with the C return type of the kind. The integer is converted in C, so
// the garbage in rax's upper bits after a narrow return never reaches Go.
#define SEAM_FFI_ARITY(N)                                                               \
	case N:                                                                             \
		switch (ret) {                                                                  \
		case SEAM_FFI_VOID: SEAM_FFI_CALL(void, N); return 0;                           \
		case SEAM_FFI_I8: return (uint64_t)(int64_t)SEAM_FFI_CALL(int8_t, N);           \
		case SEAM_FFI_U8: return SEAM_FFI_CALL(uint8_t, N);                             \
		case SEAM_FFI_I16: return (uint64_t)(int64_t)SEAM_FFI_CALL(int16_t, N);         \
		case SEAM_FFI_U16: return SEAM_FFI_CALL(uint16_t, N);                           \
		case SEAM_FFI_I32: return (uint64_t)(int64_t)SEAM_FFI_CALL(int32_t, N);         \
		case SEAM_FFI_U32: return SEAM_FFI_CALL(uint32_t, N);                           \
		default: return SEAM_FFI_CALL(uint64_t, N); /* I64, U64, PTR */                \
		}

// seam_ffi_call_int calls fn(a[0], ..., a[n-1]) as an integer/pointer function returning
// kind ret.
static inline uint64_t seam_ffi_call_int(uintptr_t fn, uint32_t ret, uint32_t n, const uintptr_t *a) {
	switch (n) {
	SEAM_FFI_ARITY(0) SEAM_FFI_ARITY(1) SEAM_FFI_ARITY(2) SEAM_FFI_ARITY(3)
	SEAM_FFI_ARITY(4) SEAM_FFI_ARITY(5) SEAM_FFI_ARITY(6) SEAM_FFI_ARITY(7)
	SEAM_FFI_ARITY(8) SEAM_FFI_ARITY(9) SEAM_FFI_ARITY(10)
	}
	return 0; // unreachable: Prepare and Call refuse more than SEAM_FFI_MAX_ARGS
}

// seam_ffi_call_desc runs one call and returns its result: an integer extended by its kind, a
// pointer, a float's or double's bits, 0 for void.
static inline uint64_t seam_ffi_call_desc(const seam_ffi_desc *d) {
	if (d->cif == 0) return seam_ffi_call_int(d->fn, d->ret, d->nargs, d->args);
	// libffi reads each argument through a pointer to its value: the slot itself (on a
	// little-endian machine its low bytes are the narrow value, int8_t or float), or for a
	// struct the address the slot holds.
	ffi_cif *cif = (ffi_cif *)d->cif;
	void *av[SEAM_FFI_MAX_ARGS];
	for (uint32_t i = 0; i < d->nargs; i++)
		av[i] = cif->arg_types[i]->type == FFI_TYPE_STRUCT ? (void *)d->args[i] : (void *)&d->args[i];
	if (d->ret == SEAM_FFI_STRUCT) {
		ffi_call(cif, (void (*)(void))d->fn, (void *)d->out, av);
		return 0;
	}
	// libffi widens integer returns to a full ffi_arg; float and double are stored as such.
	uint64_t r = 0;
	ffi_call(cif, (void (*)(void))d->fn, &r, av);
	return seam_ffi_extend(d->ret, r);
}

#endif
