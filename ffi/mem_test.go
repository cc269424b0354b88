package ffi

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyRoundTrip(t *testing.T) {
	for _, mode := range []Mode{Guard, Exact} {
		a := NewAllocator(mode)
		for _, n := range []int{0, 1, 4095, 4096, 4097, 70000} {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(i * 7)
			}
			blk, err := a.Copy(data)
			require.NoError(t, err)
			require.NotNil(t, blk.Ptr, "an empty block is still non-NULL")
			assert.Equal(t, n, blk.Len)
			if n > 0 {
				assert.Equal(t, data, blk.Bytes(), "mode %v n %d", mode, n)
			}
			a.Free(blk)
		}
	}
}

func TestGuardBlockEndsAtPageBoundary(t *testing.T) {
	a := NewAllocator(Guard)
	page := os.Getpagesize()
	for _, n := range []int{0, 1, 100, page, page + 1} {
		blk, err := a.Alloc(n)
		require.NoError(t, err)
		end := uintptr(blk.Ptr) + uintptr(n)
		assert.Zero(t, end%uintptr(page), "n=%d: data must end where the guard page starts", n)
		a.Free(blk)
	}
}

func TestGuardRecyclesMappings(t *testing.T) {
	a := NewAllocator(Guard)
	b1, err := a.Alloc(10)
	require.NoError(t, err)
	base := b1.base
	a.Free(b1)
	b2, err := a.Alloc(20)
	require.NoError(t, err)
	assert.Equal(t, base, b2.base)
	a.Free(b2)
}
