package cheader_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/internal/refheader"
)

func parseRef(t *testing.T, rel string) *cheader.Header {
	t.Helper()
	path, err := refheader.Path(rel)
	require.NoError(t, err)
	h, err := cheader.Parse(path)
	require.NoError(t, err)
	return h
}

// prototype spells f back as C, so one string checks its result, its
// parameters' names, types and order.
func prototype(f *cheader.Function) string {
	var ps []string
	for i, p := range f.Params {
		if p.Index != i {
			return fmt.Sprintf("%s: param %s has index %d", f.Name, p.Name, p.Index)
		}
		ps = append(ps, p.Type.Spelling+" "+p.Name)
	}
	if len(ps) == 0 {
		ps = []string{"void"}
	}
	return fmt.Sprintf("%s %s(%s)", f.Result, f.Name, strings.Join(ps, ", "))
}

func prototypes(h *cheader.Header) []string {
	var r []string
	for _, f := range h.Functions {
		r = append(r, prototype(f))
	}
	return r
}

func TestPricingFunctions(t *testing.T) {
	h := parseRef(t, refheader.Pricing)
	assert.Equal(t, []string{
		"uint32_t seam_abi_version(void)",
		"const char * seam_engine_name(void)",
		"void seam_layout(seam_layout_info * out)",
		"int32_t pricing_rules_new(pricing_rules ** out)",
		"int32_t pricing_rules_load(pricing_rules * r, const uint8_t * text, size_t len)",
		"int32_t pricing_quote(const pricing_rules * r, const pricing_request * req, pricing_result * out)",
		"int32_t pricing_rules_describe(const pricing_rules * r, uint32_t region, uint8_t * buf, size_t cap, size_t * needed)",
		"int32_t pricing_rules_export(const pricing_rules * r, uint8_t ** out, size_t * out_len)",
		"void seam_bytes_free(uint8_t * p, size_t len)",
		"void pricing_rules_free(pricing_rules * r)",
		"size_t seam_last_error(uint8_t * buf, size_t cap)",
	}, prototypes(h))
	for _, f := range h.Functions {
		assert.False(t, f.Inline, f.Name)
		assert.False(t, f.Variadic, f.Name)
		assert.Contains(t, f.Doc, "Threads:", "%s: the comment before the prototype", f.Name)
		assert.NotContains(t, f.Doc, "*/", f.Name)
		assert.Equal(t, h.Path, f.Pos.File)
	}
	quote := h.Function("pricing_quote")
	require.NotNil(t, quote)
	assert.True(t, strings.HasPrefix(quote.Doc, "Prices *req with the rules of r into *out (see Arithmetic above).\nreq: borrowed"), quote.Doc)
	assert.True(t, strings.HasSuffix(quote.Doc, "SEAM_NO_RULE. Threads: thread-safe on a shared handle."), quote.Doc)
	assert.Equal(t, 212, quote.Pos.Line)
	assert.Equal(t, "seam_engine_name", h.Functions[1].Name)
	assert.Equal(t, "\"cpp\" or \"rust\": a static NUL-terminated string; never free it.\nThreads: any.", h.Functions[1].Doc)
	assert.Nil(t, h.Function("nope"))
}

func TestTallyFunctions(t *testing.T) {
	h := parseRef(t, refheader.Tally)
	assert.Equal(t, []string{
		"uint32_t tally_abi_version(void)",
		"const char * tally_version(void)",
		"const char * tally_strerror(int status)",
		"uint32_t tally_checksum(const uint8_t * data, size_t len, uint32_t seed)",
		"int tally_new(const tally_options * opts, tally ** out)",
		"int tally_feed(tally * t, const uint8_t * data, size_t len)",
		"int tally_finish(tally * t)",
		"int tally_count(const tally * t, const char * token, uint64_t * count)",
		"int tally_top(const tally * t, size_t n, tally_entry ** out, size_t * out_count)",
		"void tally_entries_free(tally_entry * entries, size_t count)",
		"void tally_free(tally * t)",
	}, prototypes(h))
	for _, f := range h.Functions {
		assert.Contains(t, f.Doc, "Threads:", f.Name)
	}
	assert.Equal(t, "Destroys t. NULL is fine. Must not be called twice. Threads: not\nthread-safe (no other call on t may be in progress or start after it).",
		h.Function("tally_free").Doc)
}

// TestLayoutsMatchCgo holds the parser's layout of every struct of both
// headers to the layout cgo compiles.
func TestLayoutsMatchCgo(t *testing.T) {
	want := refheader.Layouts()
	seen := 0
	for _, rel := range []string{refheader.Pricing, refheader.Tally} {
		h := parseRef(t, rel)
		for _, s := range h.Structs {
			if s.Opaque {
				assert.Empty(t, s.Fields, s.Name)
				assert.Equal(t, int64(-1), s.Size, s.Name)
				continue
			}
			w, ok := want[s.Name]
			if !assert.True(t, ok, "struct %s has no cgo layout in refheader", s.Name) {
				continue
			}
			seen++
			assert.Equal(t, w.Size, s.Size, "sizeof(%s)", s.Name)
			assert.Equal(t, w.Align, int64(s.Align), "alignof(%s)", s.Name)
			var got []refheader.FieldLayout
			for _, f := range s.Fields {
				got = append(got, refheader.FieldLayout{Name: f.Name, Offset: f.Offset, Size: f.Size})
			}
			assert.Equal(t, w.Fields, got, s.Name)
		}
	}
	assert.Equal(t, len(want), seen, "every cgo layout is compared")
}

func TestStructs(t *testing.T) {
	h := parseRef(t, refheader.Pricing)
	var names []string
	for _, s := range h.Structs {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"pricing_rules", "pricing_request", "pricing_result", "seam_layout_info"}, names)

	rules := h.Struct("pricing_rules")
	require.NotNil(t, rules)
	assert.True(t, rules.Opaque)
	assert.Equal(t, "pricing_rules", rules.Tag)
	assert.Equal(t, "pricing_rules", rules.Typedef)
	assert.Equal(t, "An opaque rules handle.", rules.Doc)
	assert.Same(t, rules, h.Struct("struct pricing_rules"))

	req := h.Struct("pricing_request")
	require.NotNil(t, req)
	assert.False(t, req.Opaque)
	assert.Equal(t, "A quote request. The caller sets struct_size = sizeof(pricing_request).", req.Doc)
	comments := map[string]string{}
	for _, f := range req.Fields {
		comments[f.Name] = f.Comment
	}
	assert.Equal(t, map[string]string{
		"struct_size":    "",
		"item_count":     "1..SEAM_MAX_ITEM_COUNT",
		"subtotal_cents": "0..SEAM_MAX_SUBTOTAL_CENTS",
		"region_id":      "0..SEAM_MAX_REGION_ID",
		"customer_tier":  "SEAM_TIER_*",
		"coupon":         "valid UTF-8, coupon_len bytes; NULL only with coupon_len 0",
		"coupon_len":     "0..SEAM_MAX_COUPON_LEN; 0 = no coupon",
	}, comments)
	coupon := req.Field("coupon")
	assert.Equal(t, "const uint8_t *", coupon.Type.Spelling, "cc drops this const; the parser restores it")
	assert.True(t, coupon.Type.Elem.Const)
	assert.False(t, coupon.Type.Const)

	info := h.Struct("seam_layout_info")
	assert.Equal(t, "sizeof(seam_layout_info)", info.Field("layout_size").Comment)
	assert.Equal(t, "offsetof(pricing_request, item_count)", info.Field("request_item_count").Comment)
	assert.Empty(t, info.Field("request_region_id").Comment)
	assert.Empty(t, info.Field("request_size").Doc, "a blank line is between it and the comment above")
	assert.Equal(t, "A quote result. The caller sets struct_size = sizeof(pricing_result); the\nengine fills the other fields on SEAM_OK and leaves them unspecified\notherwise.",
		h.Struct("pricing_result").Doc)

	th := parseRef(t, refheader.Tally)
	entry := th.Struct("tally_entry")
	require.NotNil(t, entry)
	token := entry.Field("token")
	assert.Equal(t, int64(65), token.ArrayLen())
	assert.Equal(t, "TALLY_MAX_TOKEN + 1", token.Type.LenExpr)
	assert.Equal(t, "char [65]", token.Type.Spelling)
	assert.Equal(t, "token_len bytes, then a NUL", token.Comment)
	assert.Equal(t, int64(0), entry.Field("count").ArrayLen())
	assert.True(t, th.Struct("tally").Opaque)
	assert.Equal(t, "An opaque counter handle. Not thread-safe (see Threads above).", th.Struct("tally").Doc)
	mode := th.Struct("tally_options").Field("mode")
	assert.Equal(t, cheader.EnumKind, mode.Type.Kind)
	assert.Equal(t, "tally_mode", mode.Type.Typedef)
	assert.Same(t, th.Enum("tally_mode"), mode.Type.Enum)
	assert.Equal(t, "TALLY_MODE_WORDS..TALLY_MODE_BYTES", mode.Comment)
}

func TestTypes(t *testing.T) {
	h := parseRef(t, refheader.Pricing)
	describe := h.Function("pricing_rules_describe")
	needed := describe.Param("needed").Type
	assert.Equal(t, cheader.Pointer, needed.Kind)
	assert.Equal(t, "size_t *", needed.Spelling)
	sizeT := needed.Elem
	assert.Equal(t, cheader.Int, sizeT.Kind)
	assert.Equal(t, "size_t", sizeT.Typedef)
	assert.Equal(t, "unsigned long", sizeT.Name)
	assert.Equal(t, int64(8), sizeT.Size)
	assert.False(t, sizeT.Signed)
	assert.False(t, sizeT.Const)

	region := describe.Param("region").Type
	assert.Equal(t, "uint32_t", region.Typedef)
	assert.Equal(t, "unsigned int", region.Name)
	assert.Equal(t, int64(4), region.Size)

	result := h.Function("pricing_rules_load").Result
	assert.Equal(t, "int32_t", result.Typedef)
	assert.Equal(t, "int", result.Name)
	assert.True(t, result.Signed)

	r := h.Function("pricing_quote").Param("r").Type
	assert.True(t, r.IsPointerTo(cheader.StructKind))
	assert.True(t, r.Elem.Const, "const pricing_rules *")
	assert.True(t, r.Elem.Struct.Opaque)
	assert.Same(t, h.Struct("pricing_rules"), r.Elem.Struct)

	out := h.Function("pricing_rules_new").Param("out").Type
	assert.Equal(t, "pricing_rules **", out.Spelling)
	assert.True(t, out.Elem.IsPointerTo(cheader.StructKind))
	assert.True(t, out.Elem.Elem.Struct.Opaque)

	text := h.Function("pricing_rules_load").Param("text").Type
	assert.True(t, text.Elem.Const)
	assert.Equal(t, "uint8_t", text.Elem.Typedef)
	assert.Equal(t, "unsigned char", text.Elem.Name)

	name := h.Function("seam_engine_name").Result
	assert.Equal(t, "char", name.Elem.Name)
	assert.True(t, name.Elem.Signed, "char is signed on x86_64")
	assert.Equal(t, cheader.Void, h.Function("seam_layout").Result.Kind)

	td := h.Typedef("pricing_request")
	require.NotNil(t, td)
	assert.Same(t, h.Struct("pricing_request"), td.Type.Struct)
}

func TestConstants(t *testing.T) {
	h := parseRef(t, refheader.Pricing)
	got := map[string]int64{}
	var order []string
	for _, c := range h.Constants {
		got[c.Name] = c.Value
		order = append(order, c.Name)
	}
	assert.Equal(t, map[string]int64{
		"SEAM_ABI_VERSION": 1, "SEAM_OK": 0, "SEAM_BAD_INPUT": 1, "SEAM_NO_RULE": 2, "SEAM_INTERNAL": 3, "SEAM_BUSY": 4,
		"SEAM_TIER_RETAIL": 0, "SEAM_TIER_BUSINESS": 1, "SEAM_TIER_PARTNER": 2, "SEAM_TIER_COUNT": 3,
		"SEAM_MAX_ITEM_COUNT": 10000, "SEAM_MAX_SUBTOTAL_CENTS": 100000000000, "SEAM_MAX_COUPON_LEN": 32,
		"SEAM_MAX_RULES_TEXT": 65536, "SEAM_MAX_LINE_LEN": 256, "SEAM_MAX_RULES": 1024,
		"SEAM_MAX_REGION_ID": 65535, "SEAM_MAX_BP": 10000,
	}, got, "every integer #define, and no header guard")
	assert.Equal(t, "SEAM_ABI_VERSION", order[0], "source order")
	assert.Equal(t, "SEAM_MAX_BP", order[len(order)-1], "source order")

	abi := h.Constant("SEAM_ABI_VERSION")
	assert.True(t, abi.Unsigned)
	assert.Equal(t, "1u", abi.Expr)
	assert.Equal(t, "Bumped on any change to a signature, a struct, a status code or a limit.", abi.Doc)
	assert.Nil(t, abi.Enum)
	sub := h.Constant("SEAM_MAX_SUBTOTAL_CENTS")
	assert.False(t, sub.Unsigned)
	assert.Equal(t, "100000000000LL", sub.Expr)
	assert.Equal(t, "subtotal_cents in 0..this", sub.Comment)
	assert.Equal(t, "bytes per line, without '\\n' (and '\\r')", h.Constant("SEAM_MAX_LINE_LEN").Comment)
	assert.Equal(t, "Status codes.", h.Constant("SEAM_OK").Doc)
	assert.Empty(t, h.Constant("SEAM_BAD_INPUT").Doc)
	assert.Equal(t, "customer_tier values. Any other value is SEAM_BAD_INPUT.", h.Constant("SEAM_TIER_RETAIL").Doc)
	v, ok := h.Const("SEAM_BUSY")
	assert.True(t, ok)
	assert.Equal(t, int64(4), v)
	_, ok = h.Const("SEAM_PRICING_H")
	assert.False(t, ok, "a header guard has no integer value")
	_, ok = h.Const("INT32_MAX")
	assert.False(t, ok, "a system header's #define is not the header's own")

	th := parseRef(t, refheader.Tally)
	assert.Len(t, th.Constants, 7)
	assert.Equal(t, "bytes of a counted token", th.Constant("TALLY_MAX_TOKEN").Comment)
	var enums []string
	for _, e := range th.Enums {
		var cs []string
		for _, c := range e.Constants {
			cs = append(cs, fmt.Sprintf("%s=%d", c.Name, c.Value))
			assert.Same(t, e, c.Enum)
		}
		enums = append(enums, fmt.Sprintf("%s(%s): %s", e.Name, e.Type, strings.Join(cs, " ")))
	}
	assert.Equal(t, []string{
		"tally_status(int): TALLY_OK=0 TALLY_EINVAL=-1 TALLY_ELIMIT=-2 TALLY_ESTATE=-3 TALLY_EFULL=-4 TALLY_ENOMEM=-5",
		"tally_mode(unsigned int): TALLY_MODE_WORDS=0 TALLY_MODE_LINES=1 TALLY_MODE_BYTES=2 TALLY_MODE_COUNT=3",
	}, enums)
	v, ok = th.Const("TALLY_ENOMEM")
	assert.True(t, ok)
	assert.Equal(t, int64(-5), v)
	assert.Equal(t, "an argument broke this contract", th.Constant("TALLY_EINVAL").Comment)
	assert.Equal(t, "the engine failed (allocation, a caught panic)", th.Constant("TALLY_ENOMEM").Comment, "the last constant, no comma")
	assert.Empty(t, th.Constant("TALLY_OK").Comment)
}

func TestHeaderDoc(t *testing.T) {
	h := parseRef(t, refheader.Pricing)
	assert.True(t, strings.HasPrefix(h.Doc, "seam_pricing.h — the C ABI of the reference pricing module.\n\nThis header is the contract."), h.Doc[:80])
	assert.Contains(t, h.Doc, "\nConventions (apply to every function unless its comment says otherwise)\n")
	assert.Contains(t, h.Doc, "\n    region,tier,discount_bp,tax_bp[,CODE:extra_bp]\n", "indentation inside the block is kept")
	assert.True(t, strings.HasSuffix(h.Doc, "in int64_t within the limits below."))
	th := parseRef(t, refheader.Tally)
	assert.True(t, strings.HasPrefix(th.Doc, "tally.h — the C ABI of the reference \"tally\" module"))
	assert.Contains(t, th.Doc, "Threads. A tally handle is NOT thread-safe")
}

// writeHeader writes src as a header in a temporary directory.
func writeHeader(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

func TestParseErrorIsOneLine(t *testing.T) {
	path := writeHeader(t, "broken.h", "#include <stdint.h>\nint32_t f(int x;\nint g(void);\n")
	_, err := cheader.Parse(path)
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	assert.True(t, strings.HasPrefix(msg, path+":2:"), msg)

	_, err = cheader.Parse(filepath.Join(t.TempDir(), "missing.h"))
	assert.Error(t, err)

	path = writeHeader(t, "inc.h", "#include \"nowhere.h\"\n")
	_, err = cheader.Parse(path)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), path+":1:"), err.Error())
}

func TestRefusesBitFieldsAndUnions(t *testing.T) {
	path := writeHeader(t, "bits.h", "struct flags {\n  unsigned a : 3;\n  unsigned b : 5;\n};\n")
	_, err := cheader.Parse(path)
	require.Error(t, err)
	assert.Equal(t, path+":2:12: field a: bit fields are not supported at a boundary (their layout is the compiler's choice)", err.Error())

	path = writeHeader(t, "union.h", "union u { int i; float f; };\nvoid f(union u *p);\n")
	_, err = cheader.Parse(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unions are not supported")
	assert.True(t, strings.HasPrefix(err.Error(), path+":1:"), err.Error())
}

const oddHeader = `// odd.h: C a boundary header may hold.
// Second line of the leading comment.
#include <stddef.h>
#define ODD_API __attribute__((visibility("default")))
#define ODD_N 4
#define ODD_NEG (-1)
#define ODD_BIG 0xffffffffffffffffull
#define ODD_SHIFT (1u << ODD_N) /* shifted */
#define ODD_NAME "odd"
#define ODD_MAX(a, b) ((a) > (b) ? (a) : (b))

/* A callback. */
typedef int (*odd_cb)(void *ctx, const char *msg);

struct odd_fwd;

typedef enum { ODD_A, ODD_B = 5, ODD_C } odd_kind;

struct odd_inner {
  short s;
  double d;
};

// A struct of odd fields.
typedef struct odd_outer {
  char c;                     /* one byte */
  struct odd_inner in;        // nested by value
  int grid[3][ODD_N];
  odd_cb cb;
  const char *const *names;
  struct odd_fwd *next;
  odd_kind kind;
} odd_outer;

/* The forward declared struct. */
struct odd_fwd { int x; };

/* Logs. */
ODD_API int odd_log(odd_cb cb, const char *fmt, ...);

static inline int odd_twice(int x) { return 2 * x; }

extern const char *odd_version;

void odd_take(void (*fn)(int), int arr[ODD_N]);
`

func TestOddC(t *testing.T) {
	path := writeHeader(t, "odd.h", oddHeader)
	h, err := cheader.Parse(path)
	require.NoError(t, err)

	assert.Equal(t, "odd.h: C a boundary header may hold.\nSecond line of the leading comment.", h.Doc)

	log := h.Function("odd_log")
	require.NotNil(t, log)
	assert.True(t, log.Variadic)
	assert.Equal(t, "Logs.", log.Doc, "a macro before the prototype does not hide its comment")
	assert.Equal(t, "int odd_log(odd_cb cb, const char * fmt)", prototype(log))
	cb := log.Param("cb").Type
	assert.True(t, cb.IsFuncPointer())
	assert.Equal(t, "odd_cb", cb.Typedef)
	require.NotNil(t, cb.Elem.Sig)
	assert.Equal(t, "int (void *, const char *)", cb.Elem.Spelling)
	assert.Equal(t, "msg", cb.Elem.Sig.Params[1].Name)

	twice := h.Function("odd_twice")
	require.NotNil(t, twice)
	assert.True(t, twice.Inline)

	take := h.Function("odd_take")
	assert.Equal(t, "void (*)(int)", take.Params[0].Type.Spelling)
	assert.Equal(t, "int *", take.Params[1].Type.Spelling, "an array parameter is a pointer")

	require.Len(t, h.Vars, 1)
	assert.Equal(t, "const char *", h.Vars[0].Type.Spelling)

	outer := h.Struct("odd_outer")
	require.NotNil(t, outer)
	assert.Equal(t, "A struct of odd fields.", outer.Doc)
	assert.Equal(t, "odd_outer", outer.Typedef)
	assert.Equal(t, "odd_outer", outer.Tag)
	assert.Equal(t, "one byte", outer.Field("c").Comment)
	in := outer.Field("in")
	assert.Equal(t, "nested by value", in.Comment)
	assert.Equal(t, "struct odd_inner", in.Type.Spelling)
	assert.Equal(t, int64(8), in.Offset)
	assert.Equal(t, int64(16), in.Size)
	assert.Same(t, h.Struct("odd_inner"), in.Type.Struct)
	grid := outer.Field("grid")
	assert.Equal(t, "int [3][4]", grid.Type.Spelling)
	assert.Equal(t, int64(3), grid.ArrayLen())
	assert.Equal(t, "3", grid.Type.LenExpr)
	assert.Equal(t, "ODD_N", grid.Type.Elem.LenExpr)
	assert.Equal(t, int64(48), grid.Size)
	assert.Equal(t, "odd_cb", outer.Field("cb").Type.Spelling)
	names := outer.Field("names").Type
	assert.Equal(t, "const char *const *", names.Spelling)
	assert.True(t, names.Elem.Const)
	assert.True(t, names.Elem.Elem.Const)
	next := outer.Field("next").Type
	assert.False(t, next.Elem.Struct.Opaque, "defined after the forward declaration")
	assert.Same(t, h.Struct("odd_fwd"), next.Elem.Struct)
	kind := outer.Field("kind").Type
	assert.Equal(t, "odd_kind", kind.Spelling)
	assert.Equal(t, "enum", kind.Name, "an untagged enum")

	e := h.Enum("odd_kind")
	require.NotNil(t, e)
	assert.Equal(t, "", e.Tag)
	var vals []int64
	for _, c := range e.Constants {
		vals = append(vals, c.Value)
	}
	assert.Equal(t, []int64{0, 5, 6}, vals)
	assert.Equal(t, "5", e.Constants[1].Expr)
	assert.Empty(t, e.Constants[2].Expr)

	v, ok := h.Const("ODD_NEG")
	assert.True(t, ok)
	assert.Equal(t, int64(-1), v)
	big := h.Constant("ODD_BIG")
	require.NotNil(t, big)
	assert.True(t, big.Unsigned)
	assert.Equal(t, ^uint64(0), uint64(big.Value))
	shift := h.Constant("ODD_SHIFT")
	require.NotNil(t, shift)
	assert.Equal(t, int64(16), shift.Value)
	assert.Equal(t, "(1u << ODD_N)", shift.Expr)
	assert.Equal(t, "shifted", shift.Comment)
	assert.Nil(t, h.Constant("ODD_NAME"), "a string is not an integer constant")
	assert.Nil(t, h.Constant("ODD_MAX"), "a function-like macro is not a constant")
	assert.Nil(t, h.Constant("ODD_API"))

	var structs []string
	for _, s := range h.Structs {
		structs = append(structs, s.Name)
	}
	assert.Equal(t, []string{"odd_fwd", "odd_inner", "odd_outer"}, structs)
	assert.Equal(t, "A callback.", h.Typedef("odd_cb").Doc)
	assert.Equal(t, "The forward declared struct.", h.Struct("odd_fwd").Doc, "the comment of the definition")
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dep.h"), []byte("typedef unsigned dep_t;\n"), 0o644))
	path := writeHeader(t, "opts.h", "#include <dep.h>\n#ifdef WITH_EXTRA\nint extra(dep_t d);\n#endif\n#define LEVEL OPT_LEVEL\n")
	h, err := cheader.Parse(path, cheader.IncludeDir(dir), cheader.Define("WITH_EXTRA", "1"), cheader.Define("OPT_LEVEL", "3"))
	require.NoError(t, err)
	require.Len(t, h.Functions, 1)
	assert.Equal(t, "int extra(dep_t d)", prototype(h.Functions[0]))
	assert.Nil(t, h.Typedef("dep_t"), "an included header's typedef is not the header's own")
	v, ok := h.Const("LEVEL")
	assert.True(t, ok)
	assert.Equal(t, int64(3), v)
}

// A packed struct is laid out as gcc packs it; #pragma once, _Static_assert
// and bool are read as C reads them.
func TestPackedPragmaAssertBool(t *testing.T) {
	path := writeHeader(t, "edge.h", `#pragma once
#include <stdbool.h>
#include <stdint.h>
typedef struct __attribute__((packed)) edge_packed {
  uint8_t a;
  uint32_t b;
} edge_packed;
_Static_assert(sizeof(edge_packed) == 5, "packed");
bool edge_ok(const edge_packed *p);
`)
	h, err := cheader.Parse(path)
	require.NoError(t, err)
	s := h.Struct("edge_packed")
	require.NotNil(t, s)
	assert.Equal(t, int64(5), s.Size)
	assert.Equal(t, 1, s.Align)
	assert.Equal(t, int64(1), s.Field("b").Offset)
	require.Len(t, h.Functions, 1)
	res := h.Functions[0].Result
	assert.Equal(t, cheader.Int, res.Kind)
	assert.Equal(t, "_Bool", res.Name)
	assert.Equal(t, int64(1), res.Size)
}
