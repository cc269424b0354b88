package ffi_test

import (
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ffi"
	"github.com/seamfuzz/seam/ffi/internal/cbatch"
	"github.com/seamfuzz/seam/ffi/internal/cdirect"
)

var sink uint64

// BenchmarkCall is a 3-argument integer function through the generic path against a direct
// cgo call of the same C function:
//
//	go test -run=^$ -bench=BenchmarkCall -benchmem ./ffi/
func BenchmarkCall(b *testing.B) {
	fn := cdirect.Sum3Addr()
	require.Equal(b, cdirect.Sum3(1, 2, 3), ffi.Call(fn, ffi.Uint64, 1, 2, 3), "both paths call the same function")
	b.Run("direct-cgo", func(b *testing.B) {
		for i := range b.N {
			sink += cdirect.Sum3(uintptr(i), 2, 3)
		}
	})
	b.Run("ffi.Call", func(b *testing.B) {
		for i := range b.N {
			sink += ffi.Call(fn, ffi.Uint64, uintptr(i), 2, 3)
		}
	})
	shape, err := ffi.Prepare(ffi.Signature{Name: "sum3", Ret: ffi.Uint64, Args: []ffi.Kind{ffi.Uint64, ffi.Uint64, ffi.Uint64}})
	require.NoError(b, err)
	b.Run("CallShape.Call", func(b *testing.B) {
		for i := range b.N {
			sink += shape.Call(fn, uintptr(i), 2, 3)
		}
	})
	b.Run("CallDesc.Call", func(b *testing.B) {
		d := new(ffi.CallDesc)
		*d = shape.Desc(fn)
		d.Args[1], d.Args[2] = 2, 3
		for i := range b.N {
			d.Args[0] = uintptr(i)
			sink += d.Call()
		}
	})
	// A batched executor's share: 1024 descriptors run from C per cgo crossing.
	b.Run("batched-from-C", func(b *testing.B) {
		const n = 1024
		descs, results := cDescs(b, ffi.NewAllocator(ffi.DefaultMode()), n)
		for i := range descs {
			descs[i] = shape.Desc(fn)
			descs[i].Args = [ffi.MaxArgs]uintptr{uintptr(i), 2, 3}
		}
		b.ResetTimer()
		for range b.N / n {
			cbatch.Run(unsafe.Pointer(&descs[0]), n, unsafe.Pointer(&results[0]))
		}
		sink += results[0]
	})
	// The libffi path, for scale: a variadic call of two int64 values.
	lib := callee(b)
	vsum := sym(b, lib, "seam_t_vsum")
	vshape, err := ffi.Prepare(ffi.Signature{Name: "seam_t_vsum", Ret: ffi.Int64, Variadic: true, Fixed: 1,
		Args: []ffi.Kind{ffi.Int32, ffi.Int64, ffi.Int64}})
	require.NoError(b, err)
	b.Run("libffi", func(b *testing.B) {
		for i := range b.N {
			sink += vshape.Call(vsum, 2, uintptr(i), 3)
		}
	})
}

// TestCallOverhead prints the cost of each call path as the minimum over interleaved short
// rounds, which stays meaningful on a loaded machine where BenchmarkCall's averages swing by
// 2x:
//
//	SEAM_FFI_OVERHEAD=1 go test -run=TestCallOverhead -v ./ffi/
func TestCallOverhead(t *testing.T) {
	if os.Getenv("SEAM_FFI_OVERHEAD") == "" {
		t.Skip("set SEAM_FFI_OVERHEAD=1 to measure")
	}
	fn := cdirect.Sum3Addr()
	shape, err := ffi.Prepare(ffi.Signature{Name: "sum3", Ret: ffi.Uint64, Args: []ffi.Kind{ffi.Uint64, ffi.Uint64, ffi.Uint64}})
	require.NoError(t, err)
	d := new(ffi.CallDesc)
	*d = shape.Desc(fn)
	paths := []struct {
		name string
		run  func(n int)
	}{
		{"direct-cgo", func(n int) {
			for i := range n {
				sink += cdirect.Sum3(uintptr(i), 2, 3)
			}
		}},
		{"ffi.Call", func(n int) {
			for i := range n {
				sink += ffi.Call(fn, ffi.Uint64, uintptr(i), 2, 3)
			}
		}},
		{"CallShape.Call", func(n int) {
			for i := range n {
				sink += shape.Call(fn, uintptr(i), 2, 3)
			}
		}},
		{"CallDesc.Call", func(n int) {
			for i := range n {
				d.Args[0] = uintptr(i)
				sink += d.Call()
			}
		}},
	}
	const rounds, perRound = 200, 20000
	best := make([]time.Duration, len(paths))
	for r := 0; r < rounds; r++ {
		for i, p := range paths {
			start := time.Now()
			p.run(perRound)
			if el := time.Since(start); r == 0 || el < best[i] {
				best[i] = el
			}
		}
	}
	for i, p := range paths {
		t.Logf("%-15s %6.1f ns/call (min of %d rounds of %d)", p.name, float64(best[i].Nanoseconds())/perRound, rounds, perRound)
	}
}
