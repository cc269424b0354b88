package ffi_test

import (
	"fmt"

	"github.com/seamfuzz/seam/ffi"
)

// A double function through libffi, prepared once and called many times.
func ExamplePrepare() {
	lib, err := ffi.Open("/lib/x86_64-linux-gnu/libm.so.6")
	if err != nil {
		fmt.Println(err)
		return
	}
	pow, err := lib.Sym("pow")
	if err != nil {
		fmt.Println(err)
		return
	}
	shape, err := ffi.Prepare(ffi.Signature{Name: "pow", Ret: ffi.Float64, Args: []ffi.Kind{ffi.Float64, ffi.Float64}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ffi.Float64Ret(shape.Call(pow, ffi.Float64Arg(2), ffi.Float64Arg(10))))
}

// An engine's caller-owned out buffer (buf, cap): did the call write past cap?
func ExampleAllocator_AllocOut() {
	lib, err := ffi.Open("libengine.so")
	if err != nil {
		fmt.Println(err)
		return
	}
	describe, err := lib.Sym("engine_describe") // int32_t engine_describe(uint8_t *buf, size_t cap)
	if err != nil {
		fmt.Println(err)
		return
	}
	mem := ffi.NewAllocator(ffi.DefaultMode())
	out, err := mem.AllocOut(64, 16, 16)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mem.Free(out.Block)
	st := int32(ffi.Call(describe, ffi.Int32, uintptr(out.Ptr), uintptr(out.Len)))
	if ok, at := out.Intact(); !ok {
		fmt.Printf("engine_describe wrote past its %d-byte buffer (first damaged byte at offset %d), status %d\n", out.Len, at, st)
	}
}
