package abi_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/abi"
	"github.com/seamfuzz/seam/native/pricing/layout"
)

// lib is a library of the shared build tree (build/ at the module root).
func lib(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "build", rel)
	require.FileExists(t, p, "the engines are built by make; abi's tests read their DWARF")
	return p
}

// TestPricingLayoutsMatchCgo proves that what the engines' DWARF says about the pricing
// structs is what the C compiler lays out: the same numbers cgo's Sizeof/Offsetof give.
// The release builds are here too because they carry -g (Cargo's release profile sets
// debug = true, the C++ release flags include -g).
func TestPricingLayoutsMatchCgo(t *testing.T) {
	want := layout.Pricing()
	for _, rel := range []string{
		"debug/libseam_cpp.so", "debug/libseam_rust.so", "asan/libseam_cpp.so",
		"release/libseam_cpp.so", "release/libseam_rust.so",
	} {
		t.Run(rel, func(t *testing.T) {
			l, err := abi.ReadDWARF(lib(t, rel))
			require.NoError(t, err)
			r := abi.Compare(l, want)
			assert.Empty(t, r.Lines(true), "DWARF and cgo disagree")
			assert.True(t, r.OK())
			assert.Equal(t, 2, r.Checked)

			// Not vacuous: the structs were reached through the parameters and have every field.
			q := l.Funcs["pricing_quote"]
			require.NotNil(t, q)
			require.Len(t, q.Params, 3)
			assert.Equal(t, "req", q.Params[1].Name)
			req := q.Params[1].Struct
			require.NotNil(t, req)
			assert.Len(t, req.Fields, 7)
			assert.Equal(t, want[abi.Key{Func: "pricing_quote", Param: 1}].Size, req.Size)
			assert.Equal(t, "coupon_len", req.Fields[6].Name)
			assert.Equal(t, int64(32), req.Fields[6].Offset)
			res := q.Params[2].Struct
			require.NotNil(t, res)
			assert.Len(t, res.Fields, 4)
			if strings.Contains(rel, "rust") {
				// rustc names the header's structs its own way and states their alignment.
				assert.Equal(t, "PricingRequest", req.Name)
				assert.Equal(t, int64(8), req.Align)
				assert.Equal(t, "*const seam_rust::abi::PricingRequest", q.Params[1].Type)
			} else {
				assert.Equal(t, "pricing_request", req.Name)
				assert.Equal(t, "const pricing_request *", q.Params[1].Type)
				assert.Equal(t, []string{"pointer", "const", "typedef pricing_request", "struct pricing_request"}, q.Params[1].Chain)
			}
		})
	}
}

// TestPointerToPointerReachesStruct follows pricing_rules_new(pricing_rules **out) to the
// handle struct, which each engine defines its own way (the header keeps it opaque).
func TestPointerToPointerReachesStruct(t *testing.T) {
	for _, rel := range []string{"debug/libseam_cpp.so", "debug/libseam_rust.so"} {
		l, err := abi.ReadDWARF(lib(t, rel))
		require.NoError(t, err)
		p := l.Funcs["pricing_rules_new"].Params[0]
		assert.Equal(t, "pointer", p.Chain[0], rel)
		assert.Equal(t, "pointer", p.Chain[1], rel)
		require.NotNil(t, p.Struct, rel)
		assert.NotEmpty(t, p.Struct.Fields, rel)
		// An opaque header struct promises nothing, so nothing is compared.
		r := abi.Compare(l, map[abi.Key]abi.Layout{{Func: "pricing_rules_new", Param: 0}: {Name: "pricing_rules"}})
		assert.True(t, r.OK(), rel)
		assert.Empty(t, r.Lines(false), rel)
	}
}

// TestMutantLayoutSkew is the seeded bug: cpp-layout-skew was built with item_count as
// uint64_t, which the DWARF check must name field by field.
func TestMutantLayoutSkew(t *testing.T) {
	for _, variant := range []string{"debug", "asan"} {
		l, err := abi.ReadDWARF(lib(t, variant+"/mutants/cpp-layout-skew.so"))
		require.NoError(t, err)
		r := abi.Compare(l, layout.Pricing())
		assert.False(t, r.OK())
		const at = "layout skew: pricing_quote param 1 req (pricing_request): "
		assert.Equal(t, []string{
			at + "sizeof: engine DWARF says 48, header says 40",
			at + "offsetof(item_count): engine DWARF says 8, header says 4",
			at + "sizeof(item_count): engine DWARF says 8, header says 4",
			at + "offsetof(subtotal_cents): engine DWARF says 16, header says 8",
			at + "offsetof(region_id): engine DWARF says 24, header says 16",
			at + "offsetof(customer_tier): engine DWARF says 28, header says 20",
			at + "offsetof(coupon): engine DWARF says 32, header says 24",
			at + "offsetof(coupon_len): engine DWARF says 40, header says 32",
		}, r.Lines(false), variant)
	}
}

// TestNoDebugInfo: a library without DWARF is neither a pass nor a crash but one distinct
// error the caller turns into a skip line.
func TestNoDebugInfo(t *testing.T) {
	requireTool(t, "objcopy")
	for _, rel := range []string{"debug/libseam_cpp.so", "debug/libseam_rust.so"} {
		stripped := filepath.Join(t.TempDir(), filepath.Base(rel))
		run(t, "objcopy", "--strip-debug", lib(t, rel), stripped)
		l, err := abi.ReadDWARF(stripped)
		assert.Nil(t, l)
		require.ErrorIs(t, err, abi.ErrNoDebugInfo)
		assert.Equal(t, "abi: "+stripped+": no debug info, layout check skipped", "abi: "+err.Error()+", layout check skipped")
		var nd *abi.NoDebugInfoError
		require.ErrorAs(t, err, &nd)
		assert.Equal(t, "no .debug_info section", nd.Detail)
	}
}

// TestDebugInfoOfOthersOnly: DWARF that describes none of the exports (here a hidden
// helper's unit; in the wild a prebuilt runtime's) is no debug info for the check.
func TestDebugInfoOfOthersOnly(t *testing.T) {
	requireTool(t, "gcc")
	dir := t.TempDir()
	hidden, def, so := filepath.Join(dir, "other.o"), filepath.Join(dir, "def.o"), filepath.Join(dir, "libothers.so")
	run(t, "gcc", "-g", "-fvisibility=hidden", "-fPIC", "-c", "-o", hidden, filepath.Join("testdata", "split", "other.c"))
	run(t, "gcc", "-fPIC", "-c", "-o", def, filepath.Join("testdata", "split", "def.c"))
	run(t, "gcc", "-shared", "-o", so, hidden, def)
	_, err := abi.ReadDWARF(so)
	require.ErrorIs(t, err, abi.ErrNoDebugInfo)
	var nd *abi.NoDebugInfoError
	require.ErrorAs(t, err, &nd)
	assert.Equal(t, "DWARF describes none of its 1 exported functions", nd.Detail)
}

// TestNotELF keeps "no debug info" for libraries without DWARF: a file that is no library
// at all is an error of its own.
func TestNotELF(t *testing.T) {
	for _, p := range []string{filepath.Join("testdata", "nolayoutfn.c"), filepath.Join(t.TempDir(), "missing.so")} {
		_, err := abi.ReadDWARF(p)
		require.Error(t, err)
		assert.NotErrorIs(t, err, abi.ErrNoDebugInfo)
		assert.Contains(t, err.Error(), p, "the error names the library")
	}
}

// TestCompressedDebugSections reads a library whose debug sections objcopy compressed
// (SHF_COMPRESSED, zlib and zstd, and the old .zdebug form) exactly like the original.
func TestCompressedDebugSections(t *testing.T) {
	requireTool(t, "objcopy")
	orig, err := abi.ReadDWARF(lib(t, "debug/libseam_cpp.so"))
	require.NoError(t, err)
	for _, how := range []string{"zlib", "zstd", "zlib-gnu"} {
		t.Run(how, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "libseam_cpp.so")
			if err := exec.Command("objcopy", "--compress-debug-sections="+how, lib(t, "debug/libseam_cpp.so"), out).Run(); err != nil {
				t.Skipf("objcopy cannot compress with %s here: %v", how, err)
			}
			l, err := abi.ReadDWARF(out)
			require.NoError(t, err)
			assert.Equal(t, orig.Funcs["pricing_quote"], l.Funcs["pricing_quote"])
			assert.True(t, abi.Compare(l, layout.Pricing()).OK())
		})
	}
}

// orderHeader is what the "header" of testdata/nolayoutfn.c declares:
//
//	struct money { int64_t cents; char currency[3]; };                        // 16 bytes
//	struct order { uint64_t id; uint32_t qty; uint32_t flags; struct money price; }; // 32 bytes
var orderHeader = abi.Layout{
	Name: "order", Size: 32, Align: 8,
	Fields: []abi.FieldLayout{
		{Name: "id", Offset: 0, Size: 8},
		{Name: "qty", Offset: 8, Size: 4},
		{Name: "flags", Offset: 12, Size: 4},
		{Name: "price", Offset: 16, Size: 16, Struct: &abi.Layout{Name: "money", Size: 16, Fields: []abi.FieldLayout{
			{Name: "cents", Offset: 0, Size: 8},
			{Name: "currency", Offset: 8, Size: 3},
		}}},
	},
}

// TestSkewWithoutLayoutFunction is the point of the DWARF path: an engine that exports no
// seam_layout (testdata/nolayoutfn.c, built here with gcc -g) is still caught when its
// struct's field order differs from the header's, in every DWARF version gcc writes.
func TestSkewWithoutLayoutFunction(t *testing.T) {
	requireTool(t, "gcc")
	for _, dv := range []string{"-gdwarf-2", "-gdwarf-4", "-gdwarf-5"} {
		t.Run(dv, func(t *testing.T) {
			so := buildC(t, dv)
			l, err := abi.ReadDWARF(so)
			require.NoError(t, err)
			assert.NotContains(t, l.Funcs, "seam_layout")
			assert.NotContains(t, l.Funcs, "order_internal", "hidden, so not exported")
			assert.True(t, l.Funcs["order_log"].Variadic)
			assert.Len(t, l.Funcs["order_log"].Params, 2)
			assert.False(t, l.Funcs["order_submit"].Variadic)
			want := map[abi.Key]abi.Layout{
				{Func: "order_submit", Param: 0}: orderHeader,
				{Func: "order_new", Param: 0}:    orderHeader, // order **out
			}
			r := abi.Compare(l, want)
			assert.False(t, r.OK())
			var lines []string
			for _, at := range []string{
				"layout skew: order_new param 0 out (order): ",
				"layout skew: order_submit param 0 o (order): ",
			} {
				// Matched by name (the engine names every field as the header does): id and
				// qty swapped places.
				lines = append(lines,
					at+"sizeof: engine DWARF says 40, header says 32",
					at+"offsetof(id): engine DWARF says 8, header says 0",
					at+"offsetof(qty): engine DWARF says 0, header says 8",
					at+"offsetof(flags): engine DWARF says 16, header says 12",
					at+"offsetof(price): engine DWARF says 24, header says 16",
				)
			}
			assert.Equal(t, lines, r.Lines(false))
		})
	}
}

// TestReaderFollowsEverything reads what a header can put between a parameter and a
// struct — a returned pointer, volatile, a pointer to an array, an opaque declaration —
// and what a struct can hold: bit fields, an array of structs, a union.
func TestReaderFollowsEverything(t *testing.T) {
	requireTool(t, "gcc")
	for _, dv := range []string{"-gdwarf-2", "-gdwarf-4", "-gdwarf-5"} {
		t.Run(dv, func(t *testing.T) {
			l, err := abi.ReadDWARF(buildC(t, dv))
			require.NoError(t, err)
			fn := l.Funcs["bits_get"]
			require.NotNil(t, fn)
			require.NotNil(t, fn.Return)
			assert.Equal(t, abi.ReturnIndex, fn.Return.Index)
			s := fn.Return.Struct
			require.NotNil(t, s)
			assert.Equal(t, "packed_bits", s.Name)
			assert.Equal(t, int64(48), s.Size)
			require.Len(t, s.Fields, 6)
			kind, level := s.Fields[1], s.Fields[2]
			assert.Equal(t, [2]int64{3, 8}, [2]int64{kind.BitSize, kind.BitOffset})
			assert.Equal(t, [2]int64{5, 11}, [2]int64{level.BitSize, level.BitOffset})
			hist := s.Fields[4]
			assert.Equal(t, "money[2]", hist.Type)
			assert.Equal(t, [2]int64{8, 32}, [2]int64{hist.Offset, hist.Size})
			require.NotNil(t, hist.Struct, "an array of structs is followed to its element")
			assert.Equal(t, "money", hist.Struct.Name)
			w := s.Fields[5]
			require.NotNil(t, w.Struct)
			assert.Equal(t, "union", w.Struct.Kind)
			assert.Equal(t, [2]int64{40, 4}, [2]int64{w.Offset, w.Size})

			handle := fn.Params[0]
			assert.Equal(t, []string{"pointer", "volatile", "struct opaque"}, handle.Chain)
			require.NotNil(t, handle.Struct)
			assert.True(t, handle.Struct.Opaque)
			table := fn.Params[1]
			assert.Equal(t, []string{"pointer", "array", "const", "struct money"}, table.Chain)
			require.NotNil(t, table.Struct)
			assert.Equal(t, int64(16), table.Struct.Size)

			money := abi.Layout{Name: "money", Size: 16, Fields: []abi.FieldLayout{
				{Name: "cents", Offset: 0, Size: 8}, {Name: "currency", Offset: 8, Size: 4},
			}}
			bits := abi.Layout{Name: "packed_bits", Size: 48, Fields: []abi.FieldLayout{
				{Name: "tag", Offset: 0, Size: 1},
				{Name: "kind", Offset: 1, Size: 4, BitSize: 3, BitOffset: 8},
				{Name: "level", Offset: 1, Size: 4, BitSize: 4, BitOffset: 11},
				{Name: "rest", Offset: 2, Size: 2},
				{Name: "hist", Offset: 8, Size: 32, Struct: &money},
				{Name: "w", Offset: 40, Size: 4},
			}}
			r := abi.Compare(l, map[abi.Key]abi.Layout{
				{Func: "bits_get", Param: abi.ReturnIndex}:     bits,
				{Func: "bits_get", Param: 0}:                   {Name: "opaque", Size: 8, Fields: []abi.FieldLayout{{Name: "x", Size: 8}}},
				{Func: "bits_get", Param: 1}:                   money,
				{Func: "bits_get", Param: 2}:                   money,
				{Func: "no_such_fn", Param: 0}:                 money,
				{Func: "order_submit", Param: abi.ReturnIndex}: money,
				{Func: "order_log", Param: 1}:                  money,
			})
			assert.Equal(t, []string{
				"layout skew: bits_get return (packed_bits): bit field(level): engine DWARF says 5 bits at bit 11, header says 4 bits at bit 11",
				"layout skew: bits_get return (packed_bits): sizeof(hist.currency): engine DWARF says 3, header says 4",
				"layout unchecked: bits_get param 0 handle (opaque): engine DWARF does not show the layout of struct opaque: only declared",
				"layout skew: bits_get param 1 table (money): sizeof(currency): engine DWARF says 3, header says 4",
				"layout skew: bits_get param 2 (money): parameter: engine DWARF says 2 parameters, header says at least 3",
				"layout unchecked: no_such_fn param 0 (money): engine DWARF does not describe exported function no_such_fn",
				"layout unchecked: order_log param 1 fmt (money): engine DWARF says const char *, a pointer to no struct, so the layout cannot be seen",
				"layout skew: order_submit return (money): type: engine DWARF says int32_t (reaches no struct), header says a struct",
			}, r.Lines(false))
			assert.Equal(t, 2, r.Checked, "the return and table; the others are findings")
		})
	}
}

// buildC compiles testdata/nolayoutfn.c into a shared library in a temp dir.
func buildC(t *testing.T, flags ...string) string {
	t.Helper()
	return buildCFor(t, append([]string{"-O0"}, flags...)...)
}

// buildCFor is buildC for a test or a fuzz target.
func buildCFor(t testing.TB, flags ...string) string {
	t.Helper()
	requireTool(t, "gcc")
	so := filepath.Join(t.TempDir(), "libnolayoutfn.so")
	args := append([]string{"-shared", "-fPIC", "-o", so}, flags...)
	run(t, "gcc", append(args, filepath.Join("testdata", "nolayoutfn.c"))...)
	return so
}

func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not found: this test needs it", name)
	}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
}

// outerHeader is the C view of testdata/refs.rs's Outer:
//
//	struct inner { uint16_t a; uint64_t b; };                                   // 16 bytes
//	struct outer { uint8_t tag; struct inner inner; struct inner list[2]; uint32_t tail; }; // 64
func outerHeader() abi.Layout {
	inner := abi.Layout{Name: "inner", Size: 16, Align: 8, Fields: []abi.FieldLayout{
		{Name: "a", Offset: 0, Size: 2}, {Name: "b", Offset: 8, Size: 8},
	}}
	return abi.Layout{Name: "outer", Size: 64, Align: 8, Fields: []abi.FieldLayout{
		{Name: "tag", Offset: 0, Size: 1},
		{Name: "inner", Offset: 8, Size: 16, Struct: &inner},
		{Name: "list", Offset: 24, Size: 32, Struct: &inner},
		{Name: "tail", Offset: 56, Size: 4},
	}}
}

// TestRustReferenceForms reads a struct through every form a Rust export can take it in —
// *const T, &T, &mut T, Option<&T>, Option<&mut T>, Option<NonNull<T>>, *mut *mut T, by
// value — from a cdylib rustc builds here, and names a skew inside a nested struct.
func TestRustReferenceForms(t *testing.T) {
	requireTool(t, "rustc")
	so := filepath.Join(t.TempDir(), "librefs.so")
	run(t, "rustc", "--edition", "2021", "--crate-type", "cdylib", "-g", "-C", "opt-level=0",
		"-o", so, filepath.Join("testdata", "refs.rs"))
	l, err := abi.ReadDWARF(so)
	require.NoError(t, err)
	fns := []string{"by_raw", "by_ref", "by_mut", "by_option", "by_option_mut", "by_nonnull", "by_out", "by_value"}
	want := map[abi.Key]abi.Layout{}
	for _, fn := range fns {
		want[abi.Key{Func: fn, Param: 0}] = outerHeader()
	}
	r := abi.Compare(l, want)
	assert.Empty(t, r.Lines(true))
	assert.Equal(t, len(fns), r.Checked)

	skewed := outerHeader()
	skewed.Align = 4
	inner := *skewed.Fields[1].Struct
	inner.Fields = []abi.FieldLayout{{Name: "a", Offset: 0, Size: 4}, {Name: "b", Offset: 8, Size: 8}}
	skewed.Fields[1].Struct = &inner
	r = abi.Compare(l, map[abi.Key]abi.Layout{{Func: "by_option", Param: 0}: skewed})
	assert.Equal(t, []string{
		"layout skew: by_option param 0 p (outer): alignof: engine DWARF says 8, header says 4",
		"layout skew: by_option param 0 p (outer): sizeof(inner.a): engine DWARF says 2, header says 4",
	}, r.Lines(false))
}

// TestSplitUnits covers what one unit's DWARF leaves to another's: an export whose
// defining unit was built without -g is read from the declaration a calling unit holds
// (and says so); a struct a unit only forward-declares is completed from the unit that
// defines it, unless two units define different structs under its name.
func TestSplitUnits(t *testing.T) {
	requireTool(t, "gcc")
	dir := t.TempDir()
	obj := func(name string, flags ...string) string {
		o := filepath.Join(dir, name+".o")
		run(t, "gcc", append(flags, "-O1", "-fPIC", "-c", "-o", o, filepath.Join("testdata", "split", name+".c"))...)
		return o
	}
	caller, def, fwd, other := obj("caller", "-g"), obj("def"), obj("fwd", "-g"), obj("other", "-g")
	link := func(name string, objs ...string) *abi.Library {
		so := filepath.Join(dir, name)
		run(t, "gcc", append([]string{"-shared", "-o", so}, objs...)...)
		l, err := abi.ReadDWARF(so)
		require.NoError(t, err)
		return l
	}

	l := link("libsplit.so", caller, def, fwd)
	require.Contains(t, l.Funcs, "def")
	assert.True(t, l.Funcs["def"].Declared)
	assert.False(t, l.Funcs["caller"].Declared)
	s := l.Funcs["def"].Params[0].Struct
	require.NotNil(t, s)
	assert.Equal(t, int64(16), s.Size)
	s = l.Funcs["fwd"].Params[0].Struct
	require.NotNil(t, s)
	assert.False(t, s.Opaque, "completed from caller.c's unit")
	assert.Equal(t, int64(16), s.Size)

	l = link("libambiguous.so", caller, def, fwd, other)
	s = l.Funcs["fwd"].Params[0].Struct
	require.NotNil(t, s)
	assert.True(t, s.Opaque, "two different struct pair: neither is picked")
	assert.Equal(t, []string{
		"layout unchecked: fwd param 0 p (pair): engine DWARF does not show the layout of struct pair: only declared, and units define different structs by this name",
	}, abi.Compare(l, map[abi.Key]abi.Layout{{Func: "fwd", Param: 0}: {Name: "pair", Size: 16}}).Lines(false))
}

// TestCxxReturnTypeElsewhere reads the return type where C++ puts it for a static member
// defined outside its class (on the declaration) and for out-of-line copies of inlined
// functions (on the abstract instance).
func TestCxxReturnTypeElsewhere(t *testing.T) {
	requireTool(t, "g++")
	so := filepath.Join(t.TempDir(), "libmember.so")
	run(t, "g++", "-g", "-O2", "-shared", "-fPIC", "-o", so, filepath.Join("testdata", "member.cpp"))
	l, err := abi.ReadDWARF(so)
	require.NoError(t, err)
	for _, fn := range []string{"_ZN3api3getEPP3big", "hot", "pick_c", "use_hot"} {
		require.Contains(t, l.Funcs, fn)
		ret := l.Funcs[fn].Return
		require.NotNil(t, ret, fn)
		require.NotNil(t, ret.Struct, fn)
		assert.Equal(t, "big", ret.Struct.Name, fn)
		assert.Equal(t, int64(16), ret.Struct.Size, fn)
	}
	out := l.Funcs["_ZN3api3getEPP3big"].Params[0]
	assert.Equal(t, "out", out.Name)
	assert.Equal(t, "big **", out.Type)
}

// TestTypeUnits: with -fdebug-types-section gcc moves structs into type units. DWARF 5 keeps
// them in .debug_info, where the reader follows their signatures to the same layouts; DWARF
// 4 puts them in .debug_types, which abi does not read, so the layout is reported unchecked
// — never a skew made up from a struct it could not see.
func TestTypeUnits(t *testing.T) {
	requireTool(t, "gcc")
	want := map[abi.Key]abi.Layout{{Func: "order_submit", Param: 0}: orderHeader}

	plain, err := abi.ReadDWARF(buildC(t, "-gdwarf-5"))
	require.NoError(t, err)
	units, err := abi.ReadDWARF(buildC(t, "-gdwarf-5", "-fdebug-types-section"))
	require.NoError(t, err)
	for _, fn := range plain.Names() {
		assert.Equal(t, plain.Funcs[fn], units.Funcs[fn], fn)
	}
	assert.Equal(t, abi.Compare(plain, want).Lines(true), abi.Compare(units, want).Lines(true))
	assert.NotEmpty(t, abi.Compare(units, want).Lines(false), "the skew is still caught")

	v4, err := abi.ReadDWARF(buildC(t, "-gdwarf-4", "-fdebug-types-section"))
	require.NoError(t, err)
	r := abi.Compare(v4, want)
	assert.False(t, r.OK())
	assert.Equal(t, []string{
		"layout unchecked: order_submit param 0 o (order): engine DWARF does not show the layout of the struct: in a DWARF 4 type unit (.debug_types), which abi does not read",
	}, r.Lines(true))
}

// TestNoFalseSkew runs the check over every library of the build tree — both engines in
// every variant and every seeded mutant — and only the layout-skew mutant may disagree.
func TestNoFalseSkew(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every built library (about 70)")
	}
	engines, err := filepath.Glob(filepath.Join("..", "build", "*", "*.so"))
	require.NoError(t, err)
	mutants, err := filepath.Glob(filepath.Join("..", "build", "*", "mutants", "*.so"))
	require.NoError(t, err)
	require.NotEmpty(t, engines)
	require.NotEmpty(t, mutants)
	for _, p := range append(engines, mutants...) {
		l, err := abi.ReadDWARF(p)
		require.NoError(t, err, "every variant here is built with -g")
		r := abi.Compare(l, layout.Pricing())
		assert.Equal(t, 2, r.Checked, p)
		if filepath.Base(p) == "cpp-layout-skew.so" {
			assert.False(t, r.OK(), p)
			continue
		}
		assert.Empty(t, r.Lines(true), p)
	}
}
