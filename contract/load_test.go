package contract_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/contract"
)

// referenceContracts are the contracts of the boundaries that ship with seam.
var referenceContracts = []string{"../native/pricing/contract.yaml", "../native/tally/contract.yaml"}

func TestReferenceContractsLoad(t *testing.T) {
	for _, path := range referenceContracts {
		c, err := contract.Load(path)
		require.NoError(t, err, "%s:\n%s", path, strings.Join(contract.ErrorLines(err), "\n"))
		assert.NotEmpty(t, c.Boundary)
		assert.True(t, filepath.IsAbs(c.Header))
		assert.Len(t, c.Engines, 2, "cpp and rust")
		assert.Equal(t, "cpp", c.Engines[0].Name, "the reference engine is listed first")
	}
}

func TestTallyContractModel(t *testing.T) {
	c, err := contract.Load("../native/tally/contract.yaml")
	require.NoError(t, err)

	h := c.Type("tally")
	require.NotNil(t, h)
	assert.Equal(t, contract.KindHandle, h.Kind)
	assert.Equal(t, contract.Call{Func: "tally_free", Args: []string{"t"}}, h.FreedBy)
	assert.Equal(t, contract.ThreadsNone, h.Threads)

	top := c.Function("tally_top")
	require.NotNil(t, top)
	n := top.Param("n")
	require.NotNil(t, n)
	assert.Equal(t, contract.RoleInt, n.Role)
	assert.Equal(t, [2]string{"1", "TALLY_MAX_TOP"}, n.Range)
	assert.Equal(t, "limit", c.Status(top, n, contract.PreOverMax), "the parameter's own rule")
	assert.Equal(t, "invalid", c.Status(top, n, contract.PreBelowMin), "the contract's broken status")
	out := top.Param("out")
	assert.Equal(t, contract.RoleCalleeAlloc, out.Role)
	assert.Equal(t, "out_count", out.Len)
	assert.Equal(t, "tally_entry", out.Of)

	opts := c.Function("tally_new").Param("opts")
	require.NotNil(t, opts)
	assert.Equal(t, "tally_options", opts.Of)
	assert.Equal(t, "struct_size", opts.SizeField)
	assert.Equal(t, []string{"TALLY_MODE_WORDS", "TALLY_MODE_LINES", "TALLY_MODE_BYTES"}, opts.Field("mode").Enum)
	assert.Equal(t, contract.Allowed, opts.Pre[contract.PreNull])

	v := c.Function("tally_version")
	assert.Equal(t, contract.Return{Kind: contract.ReturnString, EngineSpecific: true, Line: v.Returns.Line}, v.Returns)
	require.Len(t, c.Properties, 1)
	assert.Equal(t, contract.PropIdempotent, c.Properties[0].Kind)
}

// Each mistake is one line naming the file and the line it is on.
func TestLoadReportsEachProblemWithItsLine(t *testing.T) {
	src := `boundary: x
header: x.h
engines: {a: a.so}
statuses: {ok: X_OK, bad: X_BAD}
types:
  h: {kind: handle, allocated_by: x_new, freed_by: x_gone(h)}
functions:
  x_new:
    threads: any
    statuses: [ok, bad, weird]
    params:
      out: {handle_out: h}
  x_use:
    threads: sometimes
    statuses: [ok]
    params:
      h:   {handle: nothandle}
      buf: {bytes: len, over_max: bad, wrong_size: bad}
      n:   {colour: red}
`
	_, err := contract.Parse("/t/x.yaml", []byte(src))
	require.Error(t, err)
	lines := contract.ErrorLines(err)
	assert.Equal(t, []string{
		`/t/x.yaml:14: x_use.threads: "sometimes" is not one of any, thread-safe, exclusive, per-thread, none`,
		`/t/x.yaml:18: x_use.buf: a bytes cannot break wrong_size (it can break null, null_with_len, over_max, empty, invalid_utf8)`,
		`/t/x.yaml:19: x_use.n: unknown key "colour" (a role such as bytes or handle, a precondition such as null or over_max, or one of of, max, encoding, needed, size_field, fields, freed_by, on_error, always_set, engine_specific, examples)`,
		`/t/x.yaml:19: x_use.n: no role (one of handle, handle_out, bytes, string, struct, out_struct, out_buffer, out_size, callee_alloc, out_int, int, range, enum, flags, length)`,
	}, lines)

	// Once the file reads, the references inside it are checked.
	src = strings.Replace(src, "sometimes", "any", 1)
	src = strings.Replace(src, "      n:   {colour: red}\n", "", 1)
	src = strings.Replace(src, ", wrong_size: bad", "", 1)
	_, err = contract.Parse("/t/x.yaml", []byte(src))
	require.Error(t, err)
	assert.Equal(t, []string{
		`/t/x.yaml:6: types.h.freed_by: x_gone is not in functions`,
		`/t/x.yaml:8: x_new.statuses: status "weird" is not in statuses`,
		`/t/x.yaml:17: x_use.h: nothandle is not a handle type of the contract (add it under types with kind: handle)`,
	}, contract.ErrorLines(err))
}

func TestLoadRefusesWhatIsNotAContract(t *testing.T) {
	for name, src := range map[string]string{
		"not yaml":  "boundary: [",
		"empty":     "",
		"no header": "boundary: x\nengines: {a: a.so}\n",
	} {
		_, err := contract.Parse("/t/c.yaml", []byte(src))
		require.Error(t, err, name)
		for _, l := range contract.ErrorLines(err) {
			assert.True(t, strings.HasPrefix(l, "/t/c.yaml:"), "%s: %q names the file", name, l)
		}
	}
	_, err := contract.Load("/nonexistent/c.yaml")
	require.ErrorContains(t, err, "no such file")
}

func TestLibraryResolvesNamesMutantsAndPaths(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "build", "asan", "mutants"), 0o755))
	for _, f := range []string{"build/asan/libx_cpp.so", "build/asan/mutants/bug.so", "own.so"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
	}
	src := "boundary: x\nheader: x.h\nengines:\n  cpp: build/{variant}/libx_cpp.so\n  rust: build/{variant}/libx_rust.so\n" +
		"mutants: build/{variant}/mutants/{name}.so\nbuild: make native\n"
	c, err := contract.Parse(filepath.Join(dir, "x.yaml"), []byte(src))
	require.NoError(t, err)

	p, err := c.Library("cpp", "asan")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "build/asan/libx_cpp.so"), p)
	p, err = c.Library("mutant:bug", "asan")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "build/asan/mutants/bug.so"), p)
	p, err = c.Library(filepath.Join(dir, "own.so"), "asan")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "own.so"), p)

	p, err = c.Library("mine="+filepath.Join(dir, "build/{variant}/libx_cpp.so"), "asan")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "build/asan/libx_cpp.so"), p, "a pattern given on the command line")
	_, err = c.Library("mine="+filepath.Join(dir, "build/{variant}/libx_cpp.so"), "tsan")
	assert.EqualError(t, err, "engine mine (variant tsan): "+filepath.Join(dir, "build/tsan/libx_cpp.so")+" is not built: build it")

	_, err = c.Library("rust", "asan")
	assert.EqualError(t, err, "engine rust (variant asan): "+filepath.Join(dir, "build/asan/libx_rust.so")+" is not built: build it (`make native` in "+dir+")")
	_, err = c.Library("go", "asan")
	assert.EqualError(t, err, "engine go: no such library; give cpp, rust, mutant:NAME or the path of a .so")
}

func TestPricingLayoutFields(t *testing.T) {
	c, err := contract.Load("../native/pricing/contract.yaml")
	require.NoError(t, err)
	assert.Equal(t, "seam_layout", c.ABI.Layout)
	assert.Equal(t, []string{"1,0,1000,825\n1,1,1500,825,SAVE10:1000\n1,2,0,0\n2,0,250,2000\n7,0,5000,1000,HALF:5000\n65535,2,1,1\n"},
		c.Function("pricing_rules_load").Param("text").Examples, "examples: valid values stress fills shared handles with")
	require.Len(t, c.ABI.LayoutFields, 16)
	assert.Equal(t, contract.LayoutField{Field: "request_coupon_len", What: "offsetof", Type: "pricing_request", Of: "coupon_len",
		Line: c.ABI.LayoutFields[9].Line}, c.ABI.LayoutFields[9])

	_, err = contract.Parse("/t/c.yaml", []byte("boundary: x\nheader: x.h\nengines: {a: a.so}\nabi:\n  layout_fields:\n    n: sizeof(a, b)\n"))
	assert.EqualError(t, err, "/t/c.yaml:6: abi.layout_fields.n: want sizeof(T), alignof(T) or offsetof(T, field)")
}
