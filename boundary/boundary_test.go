package boundary_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/ffi"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/sanrt"
)

var variant = checkout.TestVariant

func TestMain(m *testing.M) {
	if err := sanrt.Ensure(sanrt.For(variant())); err != nil {
		fmt.Fprintln(os.Stderr, "boundary tests:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// engines loads a reference boundary and every engine its contract names.
func engines(t *testing.T, contractPath string) (*boundary.Boundary, []*boundary.Engine) {
	t.Helper()
	b, err := boundary.Load(contractPath)
	require.NoError(t, err)
	var out []*boundary.Engine
	for _, name := range b.Contract.EngineNames() {
		path, err := b.Contract.Library(name, variant())
		require.NoError(t, err)
		e, err := b.Open(name, path)
		require.NoError(t, err)
		t.Cleanup(func() { e.Close() })
		out = append(out, e)
	}
	return b, out
}

func call(t *testing.T, e *boundary.Engine, fn string, args boundary.Args) boundary.Result {
	t.Helper()
	r, err := e.Call(fn, args)
	require.NoError(t, err)
	assert.Empty(t, r.Overruns, "%s on %s", fn, e.Name)
	assert.Empty(t, r.Changed, "%s on %s: inputs are borrowed read-only", fn, e.Name)
	return r
}

// Every pricing function, called through the contract alone, on both engines.
func TestPricingThroughTheContract(t *testing.T) {
	_, es := engines(t, "../native/pricing/contract.yaml")
	for _, e := range es {
		t.Run(e.Name, func(t *testing.T) {
			assert.EqualValues(t, 1, call(t, e, "seam_abi_version", nil).Ret)
			assert.Equal(t, e.Name, call(t, e, "seam_engine_name", nil).Str)

			h, res, err := e.New("pricing_rules", nil)
			require.NoError(t, err)
			require.NotNil(t, h, "%s", res)
			defer e.Free(h)
			rules := "7,1,1000,800,SAVE5:500\n"
			assert.Equal(t, "ok", call(t, e, "pricing_rules_load", boundary.Args{"r": boundary.Of(h), "text": boundary.Text(rules)}).Status)

			req := boundary.Struct(map[string]boundary.Value{"item_count": boundary.Int(2), "subtotal_cents": boundary.Int(10000),
				"region_id": boundary.Int(7), "customer_tier": boundary.Int(1), "coupon": boundary.Text("SAVE5")})
			q := call(t, e, "pricing_quote", boundary.Args{"r": boundary.Of(h), "req": req})
			require.Equal(t, "ok", q.Status, "%s", q)
			out := q.Out["out"].Fields
			assert.EqualValues(t, 1500, out["discount_cents"].Int, "15%% of 10000")
			assert.EqualValues(t, 680, out["tax_cents"].Int, "8%% of 8500")
			assert.EqualValues(t, 9180, out["final_price_cents"].Int)

			d := call(t, e, "pricing_rules_describe", boundary.Args{"r": boundary.Of(h), "region": boundary.Int(7), "buf": boundary.Int(64)})
			require.Equal(t, "ok", d.Status)
			want := "tier=1 discount_bp=1000 tax_bp=800 coupon=SAVE5 extra_bp=500\n"
			assert.EqualValues(t, len(want), d.Out["needed"].Int)
			assert.Equal(t, want, string(d.Out["buf"].Bytes[:len(want)]))

			x := call(t, e, "pricing_rules_export", boundary.Args{"r": boundary.Of(h)})
			require.Equal(t, "ok", x.Status)
			assert.Equal(t, rules, string(x.Out["out"].Bytes), "copied before seam_bytes_free")
			assert.EqualValues(t, len(rules), x.Out["out_len"].Int)

			// Broken preconditions come back as the contract says.
			assert.Equal(t, "bad_input", call(t, e, "pricing_quote", boundary.Args{"r": boundary.Of(h), "req": boundary.Null}).Status)
			assert.Equal(t, "bad_input", call(t, e, "pricing_rules_describe", boundary.Args{"r": boundary.Of(h), "region": boundary.Int(7),
				"buf": boundary.Null, "cap": boundary.Int(5)}).Status)
			assert.Equal(t, "bad_input", call(t, e, "pricing_rules_load", boundary.Args{"r": boundary.Of(h), "text": boundary.Null,
				"len": boundary.Int(3)}).Status)
			wrong := boundary.Struct(map[string]boundary.Value{"struct_size": boundary.Int(39), "item_count": boundary.Int(1), "region_id": boundary.Int(7), "customer_tier": boundary.Int(1)})
			assert.Equal(t, "bad_input", call(t, e, "pricing_quote", boundary.Args{"r": boundary.Of(h), "req": wrong}).Status)
		})
	}
}

// Every tally function, called through the contract alone, on both engines: state carried
// across feeds, a NUL-terminated string, a callee-allocated array freed with its own function.
func TestTallyThroughTheContract(t *testing.T) {
	_, es := engines(t, "../native/tally/contract.yaml")
	for _, e := range es {
		t.Run(e.Name, func(t *testing.T) {
			assert.EqualValues(t, 0x11E60398, call(t, e, "tally_checksum", boundary.Args{"data": boundary.Text("Wikipedia"), "seed": boundary.Int(1)}).Ret)
			assert.Contains(t, call(t, e, "tally_version", nil).Str, "tally")

			opts := boundary.Struct(map[string]boundary.Value{"mode": boundary.Int(0), "flags": boundary.Int(1), "min_len": boundary.Int(1)})
			h, _, err := e.New("tally", boundary.Args{"opts": opts})
			require.NoError(t, err)
			require.NotNil(t, h)
			defer e.Free(h)
			for _, part := range []string{"the cat The ca", "t sat"} {
				assert.Equal(t, "ok", call(t, e, "tally_feed", boundary.Args{"t": boundary.Of(h), "data": boundary.Text(part)}).Status)
			}
			assert.Equal(t, "ok", call(t, e, "tally_finish", boundary.Args{"t": boundary.Of(h)}).Status)
			c := call(t, e, "tally_count", boundary.Args{"t": boundary.Of(h), "token": boundary.Text("CAT")})
			assert.Equal(t, "ok", c.Status)
			assert.EqualValues(t, 2, c.Out["count"].Int, "cat spans two feeds")

			top := call(t, e, "tally_top", boundary.Args{"t": boundary.Of(h), "n": boundary.Int(10)})
			require.Equal(t, "ok", top.Status)
			require.Len(t, top.Out["out"].Elems, 3)
			first := top.Out["out"].Elems[0].Fields
			assert.EqualValues(t, 2, first["count"].Int)
			assert.EqualValues(t, 3, first["token_len"].Int)
			assert.Equal(t, "cat\x00", string(first["token"].Bytes[:4]))

			assert.Equal(t, "limit", call(t, e, "tally_top", boundary.Args{"t": boundary.Of(h), "n": boundary.Int(1025)}).Status)
			assert.Equal(t, "state", call(t, e, "tally_feed", boundary.Args{"t": boundary.Of(h), "data": boundary.Text("x")}).Status)
			assert.Equal(t, "invalid", call(t, e, "tally_feed", boundary.Args{"t": boundary.Null, "data": boundary.Null, "len": boundary.Int(3)}).Status)
			assert.Equal(t, "invalid", call(t, e, "tally_new", boundary.Args{"opts": boundary.Struct(map[string]boundary.Value{"mode": boundary.Int(3), "min_len": boundary.Int(1)})}).Status)
		})
	}
}

// Results of different engines are never mixed on one handle.
func TestHandlesStayWithTheirEngine(t *testing.T) {
	_, es := engines(t, "../native/tally/contract.yaml")
	h, _, err := es[0].New("tally", boundary.Args{"opts": boundary.Null})
	require.NoError(t, err)
	require.NotNil(t, h, "NULL options are the defaults")
	defer es[0].Free(h)
	_, err = es[1].Call("tally_finish", boundary.Args{"t": boundary.Of(h)})
	assert.ErrorIs(t, err, boundary.ErrForeignHandle)
}

// A write past an out buffer's capacity is seen by its sentinels (the debug build: under ASan
// the same write is an ASan report).
func TestSentinelsSeeAWritePastCapacity(t *testing.T) {
	if variant() != "debug" {
		t.Skip("the debug variant's mutant, in guard-page memory (scripts/test.sh runs it); under a sanitizer the write is the sanitizer's report")
	}
	b, err := boundary.Load("../native/pricing/contract.yaml")
	require.NoError(t, err)
	path, err := b.Contract.Library("mutant:cpp-describe-overflow", variant())
	require.NoError(t, err)
	e, err := b.Open("mutant", path)
	require.NoError(t, err)
	h, _, err := e.New("pricing_rules", nil)
	require.NoError(t, err)
	_, err = e.Call("pricing_rules_load", boundary.Args{"r": boundary.Of(h), "text": boundary.Text("7,1,1000,800\n")})
	require.NoError(t, err)
	want := len("tier=1 discount_bp=1000 tax_bp=800\n")
	r, err := e.Call("pricing_rules_describe", boundary.Args{"r": boundary.Of(h), "region": boundary.Int(7), "buf": boundary.Int(int64(want - 1))})
	require.NoError(t, err)
	assert.Equal(t, []string{fmt.Sprintf("buf: written at byte %d of a %d-byte output", want-1, want-1)}, r.Overruns)

	path, err = b.Contract.Library("cpp", variant())
	require.NoError(t, err)
	good, err := b.Open("cpp", path)
	require.NoError(t, err)
	gh, _, err := good.New("pricing_rules", nil)
	require.NoError(t, err)
	good.Call("pricing_rules_load", boundary.Args{"r": boundary.Of(gh), "text": boundary.Text("7,1,1000,800\n")})
	r, err = good.Call("pricing_rules_describe", boundary.Args{"r": boundary.Of(gh), "region": boundary.Int(7), "buf": boundary.Int(int64(want - 1))})
	require.NoError(t, err)
	assert.Equal(t, "bad_input", r.Status)
	assert.Empty(t, r.Overruns, "the correct engine writes nothing when cap is too small")
}

// A prototype seam cannot call generically is refused with one line naming it; floats go
// through libffi.
func TestNewRefusesStructsByValue(t *testing.T) {
	dir := t.TempDir()
	hdr := filepath.Join(dir, "v.h")
	require.NoError(t, os.WriteFile(hdr, []byte("struct pair { int a, b; };\nint by_value(struct pair p);\ndouble scale(double x, int n);\n"), 0o644))
	h, err := cheader.Parse(hdr)
	require.NoError(t, err)
	src := "boundary: v\nheader: v.h\nengines:\n  a: a.so\nfunctions:\n  scale:\n    threads: any\n    returns: value\n    params:\n      x: {int: any}\n      n: {int: any}\n"
	c, err := contract.Parse(filepath.Join(dir, "v.yaml"), []byte(src))
	require.NoError(t, err)
	_, err = boundary.New(c, h)
	require.NoError(t, err, "double by value goes through libffi")

	c, err = contract.Parse(filepath.Join(dir, "v.yaml"), []byte(src+"  by_value:\n    threads: any\n    returns: value\n"))
	require.NoError(t, err)
	_, err = boundary.New(c, h)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "v.yaml:12: by_value:")
	assert.Contains(t, err.Error(), "parameter p (struct pair): a struct by value is not supported (pass it by pointer)")
}

// A repacked call is the same call in other memory: the same answer, its inputs no longer at
// the end of guard pages (in an engine that lays them out there), and nothing to do where
// blocks are malloc'd already.
func TestRepackMakesTheSameCall(t *testing.T) {
	_, es := engines(t, "../native/pricing/contract.yaml")
	e := es[0]
	h, _, err := e.New("pricing_rules", nil)
	require.NoError(t, err)
	defer e.Free(h)
	call(t, e, "pricing_rules_load", boundary.Args{"r": boundary.Of(h), "text": boundary.Text("7,1,1000,800,SAVE5:500\n")})
	req := boundary.Struct(map[string]boundary.Value{"item_count": boundary.Int(2), "subtotal_cents": boundary.Int(10000),
		"region_id": boundary.Int(7), "customer_tier": boundary.Int(1), "coupon": boundary.Text("SAVE5")})
	p, err := e.Prepare("pricing_quote", boundary.Args{"r": boundary.Of(h), "req": req})
	require.NoError(t, err)
	want := p.Call()
	require.Equal(t, "ok", want.Status, "%s", want)
	atPageEnd := func(p *boundary.Prepared) (n int) {
		for _, m := range p.Memory() {
			if (uintptr(unsafe.Pointer(&m[0]))+uintptr(len(m)))%uintptr(os.Getpagesize()) == 0 {
				n++
			}
		}
		return n
	}
	guarded := e.Mem().Mode() == ffi.Guard
	if guarded {
		assert.Equal(t, len(p.Memory()), atPageEnd(p), "each block ends at its guard page")
	}
	q, err := e.Repack(p)
	require.NoError(t, err)
	defer q.Free()
	if !guarded {
		assert.Same(t, p, q, "malloc'd already")
		return
	}
	assert.Less(t, atPageEnd(q), len(q.Memory()), "packed")
	got := q.Call()
	assert.Equal(t, want.Status, got.Status)
	assert.Equal(t, want.Out["out"].String(), got.Out["out"].String())
}
