// Package ffi is seam's generic boundary to native code: it loads shared libraries at run time
// (Open, Sym), hands them memory whose end is where the data ends (Allocator, Block, OutBlock)
// and calls any exported function through one C call path per call shape (Call, Prepare,
// CallShape, CallDesc), with no Go or C written per function. It knows no boundary: the
// contract-driven layer above it says which function takes which kinds of arguments.
//
// Conventions, stated once:
//   - Every argument is a uintptr slot: an integer extended by its own C type (Int for
//     signed ones), a pointer's address, a float's or double's bits (Float32Arg,
//     Float64Arg). Results come back as uint64, already extended by the return kind.
//   - Pointers passed to native code are C memory: Blocks, OutBlocks, handles the library
//     returned. Go memory passed as a uintptr is invisible to the garbage collector and may
//     move or be freed during the call; and passing C memory as uintptr is what keeps cgo's
//     pointer check (a scan of every pointer argument) off the hot path.
//   - Integer and pointer signatures of up to MaxArgs parameters use cgo trampolines, one per
//     arity; floating point, structs by value (up to MaxFields scalar members; the slot holds
//     the struct's address, a struct return goes to CallInto's out) and variadic calls go
//     through libffi with a call interface prepared once per signature. Prepare refuses what
//     neither can do (long double, nested structs, unions by value) with a one-line error
//     naming the function.
//   - seam_ffi.h is the same call path for C: a batched executor in another cgo package runs
//     CallDescs with seam_ffi_call_desc, many per cgo crossing.
//   - Memory mode: DefaultMode is Exact (exact-size malloc) when the ASan or TSan runtime is
//     loaded, Guard (data ending at a PROT_NONE page) otherwise; out.go says what catches a
//     write past an OutBlock in each.
//
// Everything is safe for concurrent use except a Block, an OutBlock and a CallDesc, which
// belong to one goroutine at a time.
package ffi
