package ffi_test

import (
	"os"
	"os/exec"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/ffi"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// outCallee is the C side of the out-buffer tests: fill, poke and peek of testdata/callee.c.
type outCallee struct{ fill, poke, peek unsafe.Pointer }

func outFns(t testing.TB, lib *ffi.Library) outCallee {
	return outCallee{sym(t, lib, "seam_t_fill"), sym(t, lib, "seam_t_poke"), sym(t, lib, "seam_t_peek")}
}

func (c outCallee) fillN(o ffi.OutBlock, n int) {
	ffi.Call(c.fill, ffi.Void, uintptr(o.Ptr), uintptr(n), 0x41)
}

func (c outCallee) pokeAt(o ffi.OutBlock, off int) {
	ffi.Call(c.poke, ffi.Void, uintptr(o.Ptr), ffi.Int(int64(off)), 0x41)
}

func TestOutBlockSentinels(t *testing.T) {
	c := outFns(t, callee(t))
	for _, mode := range []ffi.Mode{ffi.Guard, ffi.Exact} {
		mem := ffi.NewAllocator(mode)
		for _, n := range []int{0, 1, 5, 16, 100, 4096, 5000} {
			o, err := mem.AllocOut(n, 8, 16)
			require.NoError(t, err)
			assert.Equal(t, n, o.Len)
			assert.GreaterOrEqual(t, o.Before, 8)
			assert.GreaterOrEqual(t, o.After, 16)
			assert.Zero(t, uintptr(o.Ptr)%16, "mode %v n %d: an out struct must be aligned", mode, n)
			ok, _ := o.Intact()
			assert.True(t, ok, "mode %v n %d: fresh block", mode, n)

			c.fillN(o, n) // exactly cap
			ok, bad := o.Intact()
			assert.True(t, ok, "mode %v n %d: writing exactly cap bytes is fine (bad at %d)", mode, n, bad)

			c.pokeAt(o, n) // one past cap (a plain store: under go test -asan a memset is an ASan report)
			ok, bad = o.Intact()
			assert.False(t, ok, "mode %v n %d: one byte past cap", mode, n)
			assert.Equal(t, n, bad)

			o.Reset()
			ok, _ = o.Intact()
			assert.True(t, ok, "mode %v n %d: Reset restores the sentinels", mode, n)
			c.pokeAt(o, n+o.After-1) // the last sentinel byte, farthest from the buffer
			ok, bad = o.Intact()
			assert.False(t, ok)
			assert.Equal(t, n+o.After-1, bad)

			o.Reset()
			c.pokeAt(o, -1) // one before the buffer
			ok, bad = o.Intact()
			assert.False(t, ok, "mode %v n %d: a write before the buffer", mode, n)
			assert.Equal(t, -1, bad)
			mem.Free(o.Block)
		}
	}
}

func TestAllocOutRefusesNegative(t *testing.T) {
	_, err := ffi.NewAllocator(ffi.Guard).AllocOut(-1, 0, 0)
	assert.Error(t, err)
}

// segv is a fault's report: Go's, or ASan's when the test binary is built with -asan.
const segv = `SIGSEGV|AddressSanitizer: SEGV`

// runChild runs the calling test again in a child process with env added to its environment
// (the test's child branch is chosen by one of those variables) and returns its output.
func runChild(t *testing.T, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(sanrt.CleanEnv(os.Environ()), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The guard page must really fault: read one byte past a block in a child process.
func TestGuardOverReadFaults(t *testing.T) {
	if os.Getenv("SEAM_FFI_GUARD_CHILD") == "1" {
		blk, err := ffi.NewAllocator(ffi.Guard).Copy([]byte("abc"))
		require.NoError(t, err)
		p := (*byte)(unsafe.Add(blk.Ptr, blk.Len)) // one past the end
		println(*p)
		os.Exit(0)
	}
	out, err := runChild(t, "SEAM_FFI_GUARD_CHILD=1")
	require.Error(t, err, "reading past a guard block must crash: %s", out)
	assert.Regexp(t, segv, out)
}

// A native over-read of a guard block faults too.
func TestGuardBlockNativeOverReadFaults(t *testing.T) {
	if os.Getenv("SEAM_FFI_PEEK_CHILD") == "1" {
		blk, err := ffi.NewAllocator(ffi.Guard).Copy([]byte("abc"))
		require.NoError(t, err)
		c := outFns(t, callee(t))
		ffi.Call(c.peek, ffi.Uint8, uintptr(blk.Ptr), 2) // the last byte is readable
		println("read the last byte")
		ffi.Call(c.peek, ffi.Uint8, uintptr(blk.Ptr), 3)
		os.Exit(0)
	}
	out, err := runChild(t, "SEAM_FFI_PEEK_CHILD=1")
	require.Error(t, err, "a native read past a guard block must crash: %s", out)
	assert.Contains(t, out, "read the last byte")
	assert.Regexp(t, segv, out)
}

// In Guard mode the after sentinels end at the guard page: a write past them crashes.
func TestOutBlockGuardPageAfterSentinels(t *testing.T) {
	if os.Getenv("SEAM_FFI_OUT_GUARD_CHILD") == "1" {
		o, err := ffi.NewAllocator(ffi.Guard).AllocOut(10, 0, 16)
		require.NoError(t, err)
		outFns(t, callee(t)).pokeAt(o, o.Len+o.After)
		os.Exit(0)
	}
	out, err := runChild(t, "SEAM_FFI_OUT_GUARD_CHILD=1")
	require.Error(t, err, "writing past the sentinels must crash: %s", out)
	assert.Regexp(t, segv, out)
}

// Under the ASan runtime (Exact mode), a write past cap is never missed: an instrumented
// engine's is an ASan report, an uninstrumented one's a sentinel finding.
func TestOutBlockUnderASan(t *testing.T) {
	if c := os.Getenv("SEAM_FFI_ASAN_CASE"); c != "" {
		asanChild(t, c)
		return
	}
	if goSanitized {
		t.Skip("the child runs this binary under gcc's ASan runtime, which a -race or -asan Go binary cannot take")
	}
	rt, err := sanrt.Path(sanrt.ASan)
	if err != nil {
		t.Skipf("no ASan runtime: %v", err)
	}
	plain, instrumented := buildCallee(t), buildCallee(t, "-fsanitize=address", "-fno-omit-frame-pointer")
	run := func(c string) (string, error) {
		return runChild(t, "LD_PRELOAD="+rt, "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0",
			"SEAM_FFI_ASAN_CASE="+c, "SEAM_FFI_PLAIN="+plain, "SEAM_FFI_ASANLIB="+instrumented)
	}
	out, err := run("sentinel")
	assert.NoError(t, err, "an uninstrumented write is a sentinel finding, and in-bounds writes are clean: %s", out)
	assert.Contains(t, out, "CHILD OK")

	out, err = run("poisoned")
	assert.Error(t, err)
	assert.Contains(t, out, "ERROR: AddressSanitizer: use-after-poison")
	assert.Contains(t, out, "seam_t_poke")

	out, err = run("exact")
	assert.Error(t, err)
	assert.Contains(t, out, "ERROR: AddressSanitizer: heap-buffer-overflow")
}

func asanChild(t *testing.T, c string) {
	require.Equal(t, ffi.Exact, ffi.DefaultMode(), "the ASan runtime is loaded")
	mem := ffi.NewAllocator(ffi.DefaultMode())
	plainLib, err := ffi.Open(os.Getenv("SEAM_FFI_PLAIN"))
	require.NoError(t, err)
	asanLib, err := ffi.Open(os.Getenv("SEAM_FFI_ASANLIB"))
	require.NoError(t, err)
	plain, asan := outFns(t, plainLib), outFns(t, asanLib)
	switch c {
	case "sentinel":
		for _, n := range []int{1, 5, 8, 13, 64} {
			o, err := mem.AllocOut(n, 8, 16)
			require.NoError(t, err)
			// Writes inside the buffer, instrumented or not, are clean whatever n's alignment.
			asan.fillN(o, n)
			asan.pokeAt(o, n-1)
			asan.pokeAt(o, 0)
			ok, bad := o.Intact()
			require.True(t, ok, "n %d: bad at %d", n, bad)
			plain.pokeAt(o, n)
			ok, bad = o.Intact()
			require.False(t, ok, "n %d: an uninstrumented write past cap", n)
			require.Equal(t, n, bad)
			o.Reset()
			plain.pokeAt(o, -1)
			ok, bad = o.Intact()
			require.False(t, ok)
			require.Equal(t, -1, bad)
			mem.Free(o.Block)
		}
		println("CHILD OK")
	case "poisoned":
		o, err := mem.AllocOut(5, 8, 16)
		require.NoError(t, err)
		asan.pokeAt(o, o.Len)
	case "exact":
		o, err := mem.AllocOut(5, 0, 0)
		require.NoError(t, err)
		asan.pokeAt(o, o.Len)
	default:
		t.Fatalf("unknown child case %q", c)
	}
	os.Exit(0)
}
