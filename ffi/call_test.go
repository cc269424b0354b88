package ffi_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ffi"
)

var tmpDir string

func TestMain(m *testing.M) {
	var err error
	tmpDir, err = os.MkdirTemp("", "seam-ffi-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(tmpDir)
	os.Exit(code)
}

var builds sync.Map // extra gcc flags -> *built

type built struct {
	once sync.Once
	path string
	err  error
}

// buildCallee compiles testdata/callee.c with extra gcc flags, once per flag set.
func buildCallee(t testing.TB, flags ...string) string {
	t.Helper()
	key := fmt.Sprint(flags)
	v, _ := builds.LoadOrStore(key, &built{})
	b := v.(*built)
	b.once.Do(func() {
		src, err := filepath.Abs("testdata/callee.c")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(tmpDir, fmt.Sprintf("libcallee%d.so", len(key)))
		args := append([]string{"-shared", "-fPIC", "-O1", "-g", "-o", b.path, src}, flags...)
		if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("gcc %v: %v\n%s", args, err, out)
		}
	})
	require.NoError(t, b.err)
	return b.path
}

// callee is the test library, opened once for the whole test binary.
func callee(t testing.TB) *ffi.Library {
	t.Helper()
	path := buildCallee(t)
	lib, err := openOnce(path)
	require.NoError(t, err)
	return lib
}

var opened sync.Map // path -> *ffi.Library

func openOnce(path string) (*ffi.Library, error) {
	if l, ok := opened.Load(path); ok {
		return l.(*ffi.Library), nil
	}
	l, err := ffi.Open(path)
	if err != nil {
		return nil, err
	}
	actual, _ := opened.LoadOrStore(path, l)
	return actual.(*ffi.Library), nil
}

func sym(t testing.TB, lib *ffi.Library, name string) unsafe.Pointer {
	t.Helper()
	p, err := lib.Sym(name)
	require.NoError(t, err)
	return p
}

// w and sum mirror testdata/callee.c's weights and checksum.
func w(i int) uint64 { return 0x9E3779B97F4A7C15*uint64(i) + 1 }

func sum(args []uintptr) uint64 {
	if len(args) == 0 {
		return 0xC0FFEE
	}
	var s uint64
	for i, a := range args {
		s += uint64(a) * w(i+1)
	}
	return s
}

func TestCallEveryArity(t *testing.T) {
	lib := callee(t)
	for n := 0; n <= ffi.MaxArgs; n++ {
		fn := sym(t, lib, fmt.Sprintf("seam_t_sum%d", n))
		args := make([]uintptr, n)
		for i := range args {
			// Distinct, full-width values: a swapped or truncated argument changes the sum.
			args[i] = uintptr(0x0101010101010101*uint64(i+1)) ^ uintptr(0xF0<<(i*4))
		}
		assert.Equal(t, sum(args), ffi.Call(fn, ffi.Uint64, args...), "arity %d", n)

		kinds := make([]ffi.Kind, n)
		for i := range kinds {
			kinds[i] = ffi.Uint64
		}
		shape, err := ffi.Prepare(ffi.Signature{Name: "sum", Ret: ffi.Uint64, Args: kinds})
		require.NoError(t, err)
		assert.False(t, shape.Libffi(), "an integer signature takes the trampolines")
		assert.Equal(t, sum(args), shape.Call(fn, args...), "arity %d through Prepare", n)
		d := shape.Desc(fn)
		copy(d.Args[:], args)
		assert.Equal(t, sum(args), d.Call(), "arity %d through a CallDesc", n)
	}
}

func TestCallNarrowParameters(t *testing.T) {
	fn := sym(t, callee(t), "seam_t_narrow")
	a, b, c, d, e, f, g, h := int8(-7), uint8(250), int16(-30000), uint16(60000), int32(-2000000000), uint32(4000000000), int64(-1)<<40, uint64(1)<<50
	want := int64(a) + int64(b)*3 + int64(c)*5 + int64(d)*7 + int64(e)*11 + int64(f)*13 + g*17 + int64(h)*19
	got := ffi.Call(fn, ffi.Int64, ffi.Int(int64(a)), uintptr(b), ffi.Int(int64(c)), uintptr(d),
		ffi.Int(int64(e)), uintptr(f), ffi.Int(g), uintptr(h))
	assert.Equal(t, want, int64(got))
}

// Every return kind, of ordinary code and of a function whose rax upper bits are garbage.
func TestCallReturnWidths(t *testing.T) {
	lib := callee(t)
	const dirty = 0xDEADBEEFCAFE8081
	for _, tc := range []struct {
		kind ffi.Kind
		name string
		in   int64
		want uint64
		// dirtyWant is seam_t_dirty's result read as kind.
		dirtyWant uint64
	}{
		{ffi.Int8, "seam_t_ret_i8", -100, uint64(1<<64 - 100), uint64(1<<64 - 127)},
		{ffi.Uint8, "seam_t_ret_u8", 0x1FE, 0xFE, 0x81},
		{ffi.Int16, "seam_t_ret_i16", -30000, uint64(1<<64 - 30000), uint64(1<<64 - 0x7F7F)},
		{ffi.Uint16, "seam_t_ret_u16", 0x1FFFF, 0xFFFF, 0x8081},
		{ffi.Int32, "seam_t_ret_i32", -5, uint64(1<<64 - 5), 0xFFFF_FFFF_CAFE_8081},
		{ffi.Uint32, "seam_t_ret_u32", 0x1_FFFF_FFFF, 0xFFFF_FFFF, 0xCAFE8081},
		{ffi.Int64, "seam_t_ret_i64", -1 << 62, uint64(1<<64 - 1<<62), dirty},
	} {
		got := ffi.Call(sym(t, lib, tc.name), tc.kind, uintptr(tc.in))
		assert.Equal(t, tc.want, got, "%s", tc.name)
		assert.Equal(t, tc.want, tc.kind.Extend(got), "%s: Extend of an extended value is itself", tc.name)
		assert.Equal(t, tc.dirtyWant, ffi.Call(sym(t, lib, "seam_t_dirty"), tc.kind), "seam_t_dirty as %v", tc.kind)
		assert.Equal(t, tc.dirtyWant, tc.kind.Extend(dirty), "Extend(%v)", tc.kind)
		// The same through libffi: a double parameter forces it.
		shape, err := ffi.Prepare(ffi.Signature{Name: "dirty", Ret: tc.kind, Args: []ffi.Kind{ffi.Float64}})
		require.NoError(t, err)
		require.True(t, shape.Libffi())
		assert.Equal(t, tc.dirtyWant, shape.Call(sym(t, lib, "seam_t_dirty"), ffi.Float64Arg(1)), "libffi seam_t_dirty as %v", tc.kind)
	}
	assert.Zero(t, ffi.Call(sym(t, lib, "seam_t_dirty"), ffi.Void), "void returns 0")
}

func TestExtendHelpers(t *testing.T) {
	assert.Equal(t, int64(-1), ffi.SignExtend(0xFF, 8))
	assert.Equal(t, int64(127), ffi.SignExtend(0x7F, 8))
	assert.Equal(t, int64(-2), ffi.SignExtend(0x1234FFFE, 16))
	assert.Equal(t, int64(-1), ffi.SignExtend(math.MaxUint64, 64))
	assert.Equal(t, uint64(0xFE), ffi.ZeroExtend(0x12FE, 8))
	assert.Equal(t, uint64(0xFFFFFFFF), ffi.ZeroExtend(math.MaxUint64, 32))
	assert.Equal(t, uint64(math.MaxUint64), ffi.ZeroExtend(math.MaxUint64, 64))
}

func TestCallPointersAndVoid(t *testing.T) {
	lib := callee(t)
	mem := ffi.NewAllocator(ffi.DefaultMode())
	blk, err := mem.Copy([]byte("hello, seam\x00"))
	require.NoError(t, err)
	defer mem.Free(blk)
	p := uintptr(blk.Ptr)
	assert.Equal(t, uint64(p+5), ffi.Call(sym(t, lib, "seam_t_ptr_add"), ffi.Pointer, p, 5))
	assert.Equal(t, uint64(11), ffi.Call(sym(t, lib, "seam_t_strlen"), ffi.Uint64, p))

	slot, err := mem.Alloc(8)
	require.NoError(t, err)
	defer mem.Free(slot)
	assert.Zero(t, ffi.Call(sym(t, lib, "seam_t_store"), ffi.Void, uintptr(slot.Ptr), 0xABCDEF0123456789))
	assert.Equal(t, uint64(0xABCDEF0123456789), *(*uint64)(slot.Ptr))
}

func TestCallFloatingPoint(t *testing.T) {
	lib := callee(t)
	fmix, err := ffi.Prepare(ffi.Signature{Name: "seam_t_fmix", Ret: ffi.Float64,
		Args: []ffi.Kind{ffi.Float64, ffi.Int32, ffi.Float32, ffi.Float64, ffi.Uint8}})
	require.NoError(t, err)
	assert.True(t, fmix.Libffi())
	got := fmix.Call(sym(t, lib, "seam_t_fmix"), ffi.Float64Arg(1.5), ffi.Int(-3), ffi.Float32Arg(0.25), ffi.Float64Arg(100), 7)
	assert.Equal(t, 1.5-6+1+800+112, ffi.Float64Ret(got))

	fmul, err := ffi.Prepare(ffi.Signature{Name: "seam_t_fmul", Ret: ffi.Float32, Args: []ffi.Kind{ffi.Float32, ffi.Float32}})
	require.NoError(t, err)
	assert.Equal(t, float32(-7.5), ffi.Float32Ret(fmul.Call(sym(t, lib, "seam_t_fmul"), ffi.Float32Arg(2.5), ffi.Float32Arg(-3))))

	kinds := make([]ffi.Kind, 10)
	args := make([]uintptr, 10)
	want := 0.0
	for i := range kinds {
		kinds[i] = ffi.Float64
		v := float64(i) + 0.5
		args[i] = ffi.Float64Arg(v)
		want += float64(i+1) * v
	}
	f10, err := ffi.Prepare(ffi.Signature{Name: "seam_t_f10", Ret: ffi.Float64, Args: kinds})
	require.NoError(t, err)
	assert.Equal(t, want, ffi.Float64Ret(f10.Call(sym(t, lib, "seam_t_f10"), args...)))
	d := f10.Desc(sym(t, lib, "seam_t_f10"))
	copy(d.Args[:], args)
	assert.Equal(t, want, ffi.Float64Ret(d.Call()), "a libffi CallDesc")

	ftoi, err := ffi.Prepare(ffi.Signature{Name: "seam_t_ftoi", Ret: ffi.Int32, Args: []ffi.Kind{ffi.Float64}})
	require.NoError(t, err)
	assert.Equal(t, int64(-42), int64(ftoi.Call(sym(t, lib, "seam_t_ftoi"), ffi.Float64Arg(-42.9))))
}

func TestCallVariadic(t *testing.T) {
	lib := callee(t)
	vsum, err := ffi.Prepare(ffi.Signature{Name: "seam_t_vsum", Ret: ffi.Int64, Variadic: true, Fixed: 1,
		Args: []ffi.Kind{ffi.Int32, ffi.Int64, ffi.Int64, ffi.Int64}})
	require.NoError(t, err)
	assert.True(t, vsum.Libffi(), "a variadic call sets %%al, which only libffi does")
	assert.Equal(t, int64(-1+2*(1<<40)+3*5), int64(vsum.Call(sym(t, lib, "seam_t_vsum"), 3, ffi.Int(-1), 1<<40, 5)))

	vd, err := ffi.Prepare(ffi.Signature{Name: "seam_t_vdsum", Ret: ffi.Float64, Variadic: true, Fixed: 1,
		Args: []ffi.Kind{ffi.Int32, ffi.Float64, ffi.Float64}})
	require.NoError(t, err)
	assert.Equal(t, 0.5+2*0.25, ffi.Float64Ret(vd.Call(sym(t, lib, "seam_t_vdsum"), 2, ffi.Float64Arg(0.5), ffi.Float64Arg(0.25))))
}

func TestPrepareRefuses(t *testing.T) {
	for _, tc := range []struct {
		sig  ffi.Signature
		want string
	}{
		{ffi.Signature{Name: "foo", Ret: ffi.Int32, Args: []ffi.Kind{ffi.Pointer, ffi.Struct}},
			"ffi: foo: struct parameter 2 by value has no members in the signature"},
		{ffi.Signature{Name: "foo", Ret: ffi.Int32, Args: []ffi.Kind{ffi.Struct}, ArgFields: [][]ffi.Kind{{ffi.Int32, ffi.Struct}}},
			"ffi: foo: struct parameter 1 by value with a nested struct member is not supported (pass it by pointer)"},
		{ffi.Signature{Name: "foo", Ret: ffi.Int32, Args: []ffi.Kind{ffi.Struct}, ArgFields: [][]ffi.Kind{make([]ffi.Kind, 17)}},
			"ffi: foo: struct parameter 1 by value has 17 members, at most 16 are supported (pass it by pointer)"},
		{ffi.Signature{Name: "foo", Ret: ffi.Struct, RetFields: []ffi.Kind{ffi.Int8, ffi.LongDouble}},
			"ffi: foo: struct return by value has member 2 of kind long double, which is not supported (pass it by pointer)"},
		{ffi.Signature{Name: "foo", Ret: ffi.Struct}, "ffi: foo: struct return by value has no members in the signature"},
		{ffi.Signature{Name: "foo", Ret: ffi.Void, Args: []ffi.Kind{ffi.LongDouble}}, "ffi: foo: long double parameter is not supported"},
		{ffi.Signature{Name: "foo", Ret: ffi.LongDouble}, "ffi: foo: long double return is not supported"},
		{ffi.Signature{Name: "foo", Ret: ffi.Void, Args: make([]ffi.Kind, 11)}, "ffi: foo: 11 parameters, at most 10 are supported"},
		{ffi.Signature{Name: "foo", Ret: ffi.Void, Args: []ffi.Kind{ffi.Int32, ffi.Void}}, "ffi: foo: parameter 2 is void"},
		{ffi.Signature{Name: "foo", Ret: ffi.Void, Variadic: true, Fixed: 0}, "ffi: foo: variadic call with 0 fixed of 0 arguments"},
		{ffi.Signature{Name: "printf", Ret: ffi.Int32, Variadic: true, Fixed: 1, Args: []ffi.Kind{ffi.Pointer, ffi.Float32}},
			"ffi: printf: variadic argument 2 is float, which C promotes (pass it as double)"},
		{ffi.Signature{Name: "printf", Ret: ffi.Int32, Variadic: true, Fixed: 1, Args: []ffi.Kind{ffi.Pointer, ffi.Int16}},
			"ffi: printf: variadic argument 2 is int16, which C promotes (pass it as int)"},
	} {
		_, err := ffi.Prepare(tc.sig)
		if assert.Error(t, err) {
			assert.Equal(t, tc.want, err.Error())
		}
	}
}

func TestCallPanicsOnMisuse(t *testing.T) {
	fn := sym(t, callee(t), "seam_t_sum0")
	assert.Panics(t, func() { ffi.Call(fn, ffi.Float64) }, "a float return needs Prepare")
	assert.Panics(t, func() { ffi.Call(fn, ffi.Void, make([]uintptr, 11)...) })
	shape, err := ffi.Prepare(ffi.Signature{Name: "seam_t_sum0", Ret: ffi.Uint64})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "ffi: seam_t_sum0 called with 1 arguments, its signature has 0", func() { shape.Call(fn, 1) })
}

// Call allocates nothing, whatever the arity, also through libffi.
func TestCallDoesNotAllocate(t *testing.T) {
	if goSanitized {
		t.Skip("-asan and -race instrumentation allocates where the production build does not")
	}
	lib := callee(t)
	fn := sym(t, lib, "seam_t_sum3")
	assert.Zero(t, testing.AllocsPerRun(100, func() { ffi.Call(fn, ffi.Uint64, 1, 2, 3) }))
	fn10 := sym(t, lib, "seam_t_sum10")
	assert.Zero(t, testing.AllocsPerRun(100, func() { ffi.Call(fn10, ffi.Uint64, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) }))
	fmul, err := ffi.Prepare(ffi.Signature{Name: "seam_t_fmul", Ret: ffi.Float32, Args: []ffi.Kind{ffi.Float32, ffi.Float32}})
	require.NoError(t, err)
	fp := sym(t, lib, "seam_t_fmul")
	assert.Zero(t, testing.AllocsPerRun(100, func() { fmul.Call(fp, ffi.Float32Arg(1), ffi.Float32Arg(2)) }))
}

// The real pricing engine through the generic path: the ABI version and a handle's life.
func TestCallPricingEngine(t *testing.T) {
	path := filepath.Join("..", "build", "debug", "libseam_cpp.so")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s (build it with scripts/build-native.sh): %v", path, err)
	}
	lib, err := openOnce(path)
	require.NoError(t, err)
	abi := ffi.Call(sym(t, lib, "seam_abi_version"), ffi.Uint32)
	assert.NotZero(t, abi)
	assert.Less(t, abi, uint64(1<<32))

	mem := ffi.NewAllocator(ffi.DefaultMode())
	out, err := mem.Alloc(8) // pricing_rules **
	require.NoError(t, err)
	defer mem.Free(out)
	*(*uintptr)(out.Ptr) = 0
	st := ffi.Call(sym(t, lib, "pricing_rules_new"), ffi.Int32, uintptr(out.Ptr))
	require.Equal(t, uint64(0), st, "pricing_rules_new returns SEAM_OK")
	handle := *(*uintptr)(out.Ptr)
	require.NotZero(t, handle)
	assert.Zero(t, ffi.Call(sym(t, lib, "pricing_rules_free"), ffi.Void, handle))

	// A NULL out-parameter is refused with SEAM_BAD_INPUT (1), as the contract says.
	assert.Equal(t, uint64(1), ffi.Call(sym(t, lib, "pricing_rules_new"), ffi.Int32, 0))
}
