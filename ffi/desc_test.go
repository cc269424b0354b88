package ffi_test

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ffi"
	"github.com/seamfuzz/seam/ffi/internal/cbatch"
)

// cDescs returns n descriptors in C memory, as a batched executor keeps them, and a result
// slot for each.
func cDescs(t testing.TB, mem *ffi.Allocator, n int) ([]ffi.CallDesc, []uint64) {
	t.Helper()
	db, err := mem.Alloc(n * cbatch.DescSize)
	require.NoError(t, err)
	rb, err := mem.Alloc(n * 8)
	require.NoError(t, err)
	t.Cleanup(func() { mem.Free(db); mem.Free(rb) })
	return unsafe.Slice((*ffi.CallDesc)(db.Ptr), n), unsafe.Slice((*uint64)(rb.Ptr), n)
}

// Descriptors built in Go run from another cgo package's C, integer and libffi shapes alike,
// with the results the Go path gives.
func TestCallDescFromC(t *testing.T) {
	lib := callee(t)
	type call struct {
		sig  ffi.Signature
		fn   string
		args []uintptr
	}
	u64s := func(n int) []ffi.Kind {
		k := make([]ffi.Kind, n)
		for i := range k {
			k[i] = ffi.Uint64
		}
		return k
	}
	calls := []call{
		{ffi.Signature{Ret: ffi.Uint64, Args: u64s(3)}, "seam_t_sum3", []uintptr{7, 1 << 40, 9}},
		{ffi.Signature{Ret: ffi.Uint64, Args: u64s(10)}, "seam_t_sum10", []uintptr{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{ffi.Signature{Ret: ffi.Int32}, "seam_t_dirty", nil},
		{ffi.Signature{Ret: ffi.Float64, Args: []ffi.Kind{ffi.Float64, ffi.Int32, ffi.Float32, ffi.Float64, ffi.Uint8}},
			"seam_t_fmix", []uintptr{ffi.Float64Arg(2), ffi.Int(-1), ffi.Float32Arg(3), ffi.Float64Arg(0.5), 1}},
	}
	mem := ffi.NewAllocator(ffi.DefaultMode())
	descs, results := cDescs(t, mem, len(calls))
	want := make([]uint64, len(calls))
	for i, c := range calls {
		c.sig.Name = c.fn
		shape, err := ffi.Prepare(c.sig)
		require.NoError(t, err)
		fn := sym(t, lib, c.fn)
		descs[i] = shape.Desc(fn)
		copy(descs[i].Args[:], c.args)
		assert.Equal(t, len(c.args), descs[i].NumArgs())
		want[i] = shape.Call(fn, c.args...)
	}
	cbatch.Run(unsafe.Pointer(&descs[0]), len(descs), unsafe.Pointer(&results[0]))
	assert.Equal(t, want, results)
	assert.Equal(t, 2.0-2+12+4+16, ffi.Float64Ret(results[3]))
}
