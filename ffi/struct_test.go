package ffi_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ffi"
)

// structBytes is a struct by value's bytes in an exact-size native block.
func structBytes(t *testing.T, mem *ffi.Allocator, b []byte) uintptr {
	t.Helper()
	blk, err := mem.Copy(b)
	require.NoError(t, err)
	t.Cleanup(func() { mem.Free(blk) })
	return uintptr(blk.Ptr)
}

func le64(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// Structs by value in every x86-64 class, as parameters and returns; a return lands in an
// exact out block whose sentinels prove libffi writes no byte past the struct.
func TestCallStructByValue(t *testing.T) {
	lib := callee(t)
	mem := ffi.NewAllocator(ffi.DefaultMode())
	slice := []ffi.Kind{ffi.Pointer, ffi.Uint64}
	mixed := []ffi.Kind{ffi.Int32, ffi.Float64, ffi.Uint8}

	sum, err := ffi.Prepare(ffi.Signature{Name: "seam_t_slice_sum", Ret: ffi.Uint64,
		Args: []ffi.Kind{ffi.Struct, ffi.Uint8}, ArgFields: [][]ffi.Kind{slice}})
	require.NoError(t, err)
	got := sum.Call(sym(t, lib, "seam_t_slice_sum"), structBytes(t, mem, le64(0xAB00, 77)), 5)
	assert.Equal(t, sum3(0xAB00, 77, 5), got)

	// {int32 a; double b; uint8 c} is 24 bytes: passed in memory.
	msum, err := ffi.Prepare(ffi.Signature{Name: "seam_t_mixed_sum", Ret: ffi.Float64,
		Args: []ffi.Kind{ffi.Int32, ffi.Struct}, ArgFields: [][]ffi.Kind{nil, mixed}})
	require.NoError(t, err)
	m := make([]byte, 24)
	binary.LittleEndian.PutUint32(m[0:], uint32(0xFFFFFFFD)) // -3
	binary.LittleEndian.PutUint64(m[8:], math.Float64bits(1.25))
	m[16] = 9
	got = msum.Call(sym(t, lib, "seam_t_mixed_sum"), ffi.Int(2), structBytes(t, mem, m))
	assert.Equal(t, -3+2.5+36+16, ffi.Float64Ret(got))

	vec := structBytes(t, mem, f32s(1.5, -0.5))
	for _, tc := range []struct {
		fn        string
		fields    []ffi.Kind
		args      []ffi.Kind
		argFields [][]ffi.Kind
		vals      []uintptr
		want      []byte
	}{
		{"seam_t_slice_make", slice, []ffi.Kind{ffi.Pointer, ffi.Uint64}, nil, []uintptr{0x1234, 99}, le64(0x1234, 99)},
		{"seam_t_tri_make", []ffi.Kind{ffi.Int32, ffi.Int32, ffi.Int32}, []ffi.Kind{ffi.Int32, ffi.Int32, ffi.Int32}, nil,
			[]uintptr{1, ffi.Int(-2), 3}, []byte{1, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF, 9, 0, 0, 0}},
		{"seam_t_vec_scale", []ffi.Kind{ffi.Float32, ffi.Float32}, []ffi.Kind{ffi.Struct, ffi.Float32},
			[][]ffi.Kind{{ffi.Float32, ffi.Float32}}, []uintptr{vec, ffi.Float32Arg(2)}, f32s(3, -1)},
		{"seam_t_mixed_make", mixed, []ffi.Kind{ffi.Int32, ffi.Float64, ffi.Uint8}, nil,
			[]uintptr{ffi.Int(-3), ffi.Float64Arg(1.25), 9}, m},
	} {
		shape, err := ffi.Prepare(ffi.Signature{Name: tc.fn, Ret: ffi.Struct, RetFields: tc.fields, Args: tc.args, ArgFields: tc.argFields})
		require.NoError(t, err)
		require.Equal(t, len(tc.want), shape.RetSize(), tc.fn)
		out, err := mem.AllocOut(shape.RetSize(), 8, 16)
		require.NoError(t, err)
		shape.CallInto(sym(t, lib, tc.fn), out.Ptr, tc.vals...)
		ok, bad := out.Intact()
		assert.True(t, ok, "%s: libffi wrote outside the struct at %d", tc.fn, bad)
		assert.Equal(t, members(tc.fn, tc.want), members(tc.fn, out.Bytes()), tc.fn)

		d := shape.Desc(sym(t, lib, tc.fn))
		copy(d.Args[:], tc.vals)
		out.Reset()
		d.Out = uintptr(out.Ptr)
		assert.Zero(t, d.Call(), "%s: a struct return's result is 0", tc.fn)
		ok, _ = out.Intact()
		assert.True(t, ok)
		mem.Free(out.Block)
		assert.PanicsWithValue(t, "ffi: "+tc.fn+" returns a struct: call it with CallInto", func() { shape.Call(nil, tc.vals...) })
	}
}

// members drops seam_t_mixed's padding, whose bytes are unspecified.
func members(fn string, b []byte) []byte {
	if fn != "seam_t_mixed_make" {
		return b
	}
	return append(append([]byte{}, b[0:4]...), b[8:17]...)
}

func f32s(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func sum3(a, b, c uint64) uint64 { return sum([]uintptr{uintptr(a), uintptr(b), uintptr(c)}) }
