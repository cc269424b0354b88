package trace_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/trace"
)

// The asan variant: the C reproducers are compared with seam's verdicts there.
const variant = "asan"

// The test binary is also the isolated child that replays saved traces (replay_test.go).
func TestMain(m *testing.M) {
	if err := sanrt.Ensure(sanrt.For(variant)); err != nil {
		fmt.Fprintln(os.Stderr, "trace tests:", err)
		os.Exit(2)
	}
	isolate.ServeIfChild()
	os.Exit(m.Run())
}

const (
	tallyContract   = "../native/tally/contract.yaml"
	pricingContract = "../native/pricing/contract.yaml"
)

// countTrace sets a handle up over two feeds and queries it: cpp-count-overread reads the
// 4-byte query block past its NUL.
const countTrace = `{"id": "req-123", "calls": [
  {"call": "tally_new", "args": {"opts": {"mode": "TALLY_MODE_WORDS", "flags": "TALLY_FLAG_FOLD_CASE", "min_len": 1}}, "as": "t"},
  {"call": "tally_feed", "args": {"t": "$t", "data": {"text": "the cat The ca"}}},
  {"call": "tally_feed", "args": {"t": "$t", "data": {"base64": "dCBzYXQ="}}},
  {"call": "tally_finish", "args": {"t": "$t"}},
  {"call": "tally_count", "args": {"t": "$t", "token": {"text": "CAT"}}},
  {"call": "tally_top", "args": {"t": "$t", "n": 10}},
  {"call": "tally_feed", "args": {"t": null, "data": null, "len": 3}}
]}`

// quoteTrace loads rules with a coupon and quotes with it: cpp-nul-terminator runs strlen
// past the 6-byte coupon block.
const quoteTrace = `{"id": "prod-7", "calls": [
  {"call": "pricing_rules_new", "as": "r"},
  {"call": "pricing_rules_load", "args": {"r": "$r", "text": {"text": "1,1,1500,825,SAVE10:1000\n"}}},
  {"call": "pricing_quote", "args": {"r": "$r", "req": {"item_count": 1, "subtotal_cents": 10000, "region_id": 1, "customer_tier": "SEAM_TIER_BUSINESS", "coupon": {"text": "SAVE10"}}}},
  {"call": "pricing_rules_describe", "args": {"r": "$r", "region": 1, "buf": 64}},
  {"call": "pricing_rules_export", "args": {"r": "$r"}},
  {"call": "pricing_rules_free", "args": {"r": "$r"}}
]}`

func load(t *testing.T, path string) *boundary.Boundary {
	t.Helper()
	b, err := boundary.Load(path)
	require.NoError(t, err)
	return b
}

func open(t *testing.T, b *boundary.Boundary, spec string) *boundary.Engine {
	t.Helper()
	path, err := b.Contract.Library(spec, variant)
	require.NoError(t, err)
	e, err := b.Open(spec, path)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// A tally trace runs on both engines with the same results: state across feeds, a constant
// by name, base64 bytes, NULL with a length, a callee-allocated array.
func TestRunTally(t *testing.T) {
	b := load(t, tallyContract)
	tr, err := trace.Parse(b, []byte(countTrace))
	require.NoError(t, err)
	require.Len(t, tr.Calls, 7)
	var all [][]boundary.Result
	for _, name := range b.Contract.EngineNames() {
		res, err := trace.Run(open(t, b, name), tr)
		require.NoError(t, err)
		require.Len(t, res, 7)
		assert.Equal(t, "ok", res[0].Status)
		assert.EqualValues(t, 2, res[4].Out["count"].Int, "cat spans two feeds, folded")
		assert.Len(t, res[5].Out["out"].Elems, 3)
		assert.Equal(t, "invalid", res[6].Status)
		assert.Nil(t, trace.Check(b, res))
		all = append(all, res)
	}
	assert.Nil(t, trace.Compare(b, [2]string{"cpp", "rust"}, all[0], all[1]))

	// A changed output is a mismatch naming the call, function and output, in the text
	// fuzz.Violation has, so one rule signs it.
	all[1][4].Out["count"] = boundary.Int(3)
	v := trace.Compare(b, [2]string{"cpp", "rust"}, all[0], all[1])
	require.NotNil(t, v)
	assert.Equal(t, "mismatch in tally_count: count: call 5: cpp 2, rust 3 (output differs)", v.Error())
	pv := fuzz.ParseViolation(v.Error())
	require.NotNil(t, pv)
	assert.Equal(t, "mismatch-output-differs | tally_count | count | output differs", pv.Signature())
	all[1][3].Status = "state"
	assert.Equal(t, "status differs", trace.Compare(b, [2]string{"cpp", "rust"}, all[0], all[1]).Reason)
}

// A handle the trace frees is not freed again (ASan would call that a double free); a
// pricing trace with a struct holding bytes, an out buffer and a callee-allocated output.
func TestRunPricingFreesOnce(t *testing.T) {
	b := load(t, pricingContract)
	tr, err := trace.Parse(b, []byte(quoteTrace))
	require.NoError(t, err)
	for _, name := range b.Contract.EngineNames() {
		res, err := trace.Run(open(t, b, name), tr)
		require.NoError(t, err)
		require.Len(t, res, 6)
		assert.Equal(t, "ok", res[2].Status, "%s", res[2])
		assert.EqualValues(t, 8119, res[2].Out["out"].Fields["final_price_cents"].Int, "%s", res[2])
		assert.Equal(t, "1,1,1500,825,SAVE10:1000\n", string(res[4].Out["out"].Bytes))
		assert.Nil(t, trace.Check(b, res))
	}
}

// A trace that does not fit the contract is one line naming the trace, the call and the
// parameter.
func TestParseErrors(t *testing.T) {
	b := load(t, tallyContract)
	for in, want := range map[string]string{
		`{"id": "r", "calls": [{"call": "tally_new", "as": "t"}, {"call": "tally_feed", "args": {"t": "$t", "data": 5}}]}`: `trace r: call 2 (tally_feed): data: want {"text": ...} or {"base64": ...} for bytes, got 5`,
		`{"id": "r", "calls": [{"call": "tally_feed", "args": {"t": "$u"}}]}`:                                              `trace r: call 1 (tally_feed): t: $u: no earlier call made a handle "as": "u"`,
		`{"id": "r", "calls": [{"call": "tally_nope"}]}`:                                                                   `trace r: call 1 (tally_nope): not a function of`,
		`{"id": "r", "calls": [{"call": "tally_new", "args": {"opts": {"mode": "TALLY_MODE_NOPE"}}}]}`:                     `trace r: call 1 (tally_new): opts: mode: "TALLY_MODE_NOPE" is not a constant of`,
		`{"id": "r", "calls": [{"call": "tally_new", "args": {"opts": {"colour": 1}}}]}`:                                   `trace r: call 1 (tally_new): opts: tally_options has no field colour (fields: struct_size, mode, flags, min_len)`,
		`{"id": "r", "calls": [{"call": "tally_new", "args": {"out": 1}}]}`:                                                `trace r: call 1 (tally_new): out: an output (handle_out) takes only null`,
		`{"id": "r", "calls": [{"call": "tally_finish"}]}`:                                                                 `trace r: call 1 (tally_finish): t: missing: a tally handle is needed`,
		`{"id": "r", "calls": [{"call": "tally_finish", "args": {"handle": null}}]}`:                                       `trace r: call 1 (tally_finish): handle: not a parameter of tally_finish (it has t)`,
		`{"id": "r", "calls": [{"call": "tally_checksum", "as": "x"}]}`:                                                    `trace r: call 1 (tally_checksum): as "x": tally_checksum makes no handle`,
		`{"id": "r", "calls": [{"call": "tally_checksum", "args": {"data": {"base64": "!"}}}]}`:                            `trace r: call 1 (tally_checksum): data: base64:`,
		`{"id": "r", "calls": [], "extra": 1}`:                                                                             `trace: json: unknown field "extra"`,
		`{"id": "r", "calls": []}`:                                                                                         `trace r: no calls`,
	} {
		_, err := trace.Parse(b, []byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.NotContains(t, err.Error(), "\n", "one line")
	}
	assert.True(t, trace.IsTrace([]byte(countTrace)))
	assert.False(t, trace.IsTrace([]byte(`{"request_id": "x", "request": {}}`)))
}

// The C reproducer of a finding of each boundary, built with ASan and run against the
// mutant's library, crashes as seam's run does; against the correct engine it runs clean.
func TestEmitCReproduces(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	for _, c := range []struct{ contract, trace, mutant, want, constant string }{
		{tallyContract, countTrace, "cpp-count-overread", "ERROR: AddressSanitizer: heap-buffer-overflow", "->mode = (tally_mode)(TALLY_MODE_WORDS);"},
		{pricingContract, quoteTrace, "cpp-nul-terminator", "ERROR: AddressSanitizer: heap-buffer-overflow", "->customer_tier = (uint32_t)(SEAM_TIER_BUSINESS);"},
		// cpp-overread scans one byte past rules text without a final newline.
		{pricingContract, `{"id": "r", "calls": [{"call": "pricing_rules_new", "as": "r"}, {"call": "pricing_rules_load", "args": {"r": "$r", "text": {"text": "1,0,0,0"}}}]}`,
			"cpp-overread", "READ of size 1", "copy(\"1,0,0,0\", 7)"},
	} {
		t.Run(c.mutant, func(t *testing.T) {
			b := load(t, c.contract)
			tr, err := trace.Parse(b, []byte(c.trace))
			require.NoError(t, err)
			src, err := trace.EmitC(b, tr)
			require.NoError(t, err)
			assert.Contains(t, string(src), c.constant, "a constant the trace named is named in C")
			dir := t.TempDir()
			cfile, exe := filepath.Join(dir, "repro.c"), filepath.Join(dir, "repro")
			require.NoError(t, os.WriteFile(cfile, src, 0o644))
			// -Werror: the program must fit the header's own prototypes exactly.
			build := exec.Command("sh", "-c", trace.BuildCommand(b, cfile, exe)+" -Wall -Werror")
			build.Env = sanrt.CleanEnv(os.Environ())
			out, err := build.CombinedOutput()
			require.NoError(t, err, "%s\n%s", out, src)

			run := func(spec string) (string, error) {
				lib, err := b.Contract.Library(spec, variant)
				require.NoError(t, err)
				cmd := exec.Command(exe, lib)
				cmd.Env = sanrt.CleanEnv(os.Environ())
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out2, err := run(b.Contract.EngineNames()[0])
			require.NoError(t, err, "clean on the correct engine:\n%s", out2)
			assert.Contains(t, out2, "done\n")
			assert.Equal(t, len(tr.Calls), countLines(out2, "call "), out2)

			bad, err := run("mutant:" + c.mutant)
			require.Error(t, err, "the mutant crashes:\n%s", bad)
			assert.Contains(t, bad, c.want)
			assert.NotContains(t, bad, "done\n")
		})
	}
}

func countLines(s, prefix string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// One engine's results break the contract with a status the function may not return, a
// write past an output or a write to a borrowed input; each is named by call and parameter.
func TestCheck(t *testing.T) {
	b := load(t, tallyContract)
	ok := boundary.Result{Func: "tally_feed", Status: "ok"}
	for _, c := range []struct {
		res  boundary.Result
		want string
	}{
		{boundary.Result{Func: "tally_count", Status: "limit"}, "contract in tally_count: status: call 2: returned limit, declared ok, invalid, internal (undeclared status)"},
		{boundary.Result{Func: "tally_count", Status: "ok", Overruns: []string{"count: written at byte 8 of a 8-byte output"}},
			"contract in tally_count: count: call 2: count: written at byte 8 of a 8-byte output (write outside an output)"},
		{boundary.Result{Func: "tally_feed", Status: "ok", Changed: []string{"data"}}, "contract in tally_feed: data: call 2: the engine changed data (write to a borrowed input)"},
	} {
		res, want := c.res, c.want
		v := trace.Check(b, []boundary.Result{ok, res})
		require.NotNil(t, v, want)
		assert.Equal(t, want, v.Error())
		assert.NotNil(t, fuzz.ParseViolation("engine=cpp: "+v.Error()), "signed by fuzz's rule")
	}
}

// FuzzParse: any bytes give a trace or a one-line error, never a panic; a trace that parses
// also becomes a C program. Run: go test ./trace -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	b, err := boundary.Load(tallyContract)
	require.NoError(f, err)
	f.Add([]byte(countTrace))
	f.Add([]byte(`{"id": "x", "calls": [{"call": "tally_new", "args": {"opts": null}, "as": "t"}, {"call": "tally_free", "args": {"t": "$t"}}]}`))
	f.Add([]byte(`{"calls": [{"call": "tally_checksum", "args": {"data": {"base64": "AAE="}, "seed": 18446744073709551615}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := trace.Parse(b, data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a parse error is one line: %q", err)
			}
			return
		}
		if _, err := trace.EmitC(b, tr); err != nil {
			t.Fatalf("parsed but no C program: %v", err)
		}
	})
}

// Every argument shape of both boundaries compiles with -Wall -Werror against the header's
// own prototypes and runs clean on the correct engine, with the statuses seam saw.
func TestEmitCEveryShape(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	for contract, tr := range map[string]string{
		tallyContract: `{"id": "shapes", "calls": [
  {"call": "tally_new", "args": {"opts": {"mode": "TALLY_MODE_LINES", "flags": 1, "min_len": 1}}, "as": "t"},
  {"call": "tally_feed", "args": {"t": "$t", "data": {"base64": "AAEC/wpoaQo="}}},
  {"call": "tally_feed", "args": {"t": "$t", "data": null, "len": 3}},
  {"call": "tally_top", "args": {"t": "$t", "n": 4}},
  {"call": "tally_top", "args": {"t": "$t", "n": 4, "out_count": null}},
  {"call": "tally_count", "args": {"t": "$t", "token": {"text": "a\"b?\\"}, "count": null}},
  {"call": "tally_checksum", "args": {"data": {"text": "Wikipedia"}, "seed": 4294967295}},
  {"call": "tally_strerror", "args": {"status": -2}},
  {"call": "tally_new", "args": {"out": null}},
  {"call": "tally_new", "as": "u"},
  {"call": "tally_free", "args": {"t": "$t"}}]}`,
		pricingContract: `{"id": "shapes", "calls": [
  {"call": "seam_abi_version"},
  {"call": "seam_layout"},
  {"call": "pricing_rules_new", "as": "r"},
  {"call": "pricing_rules_load", "args": {"r": "$r", "text": {"text": "7,1,1000,800,SAVE5:500\n"}}},
  {"call": "pricing_quote", "args": {"r": "$r", "req": {"struct_size": 39, "item_count": 1}}},
  {"call": "pricing_quote", "args": {"r": "$r", "req": {"item_count": 2, "subtotal_cents": 10000, "region_id": 7, "customer_tier": 1, "coupon": null, "coupon_len": 4}}},
  {"call": "pricing_rules_describe", "args": {"r": "$r", "region": 7, "buf": null, "cap": 5}},
  {"call": "pricing_rules_describe", "args": {"r": "$r", "region": 7, "buf": 8}},
  {"call": "seam_last_error", "args": {"buf": 128}},
  {"call": "pricing_rules_export", "args": {"r": "$r"}}]}`,
	} {
		b := load(t, contract)
		parsed, err := trace.Parse(b, []byte(tr))
		require.NoError(t, err)
		e := open(t, b, b.Contract.EngineNames()[0])
		res, err := trace.Run(e, parsed)
		require.NoError(t, err)
		src, err := trace.EmitC(b, parsed)
		require.NoError(t, err)
		dir := t.TempDir()
		cfile, exe := filepath.Join(dir, "repro.c"), filepath.Join(dir, "repro")
		require.NoError(t, os.WriteFile(cfile, src, 0o644))
		build := exec.Command("sh", "-c", trace.BuildCommand(b, cfile, exe)+" -Wall -Wextra -Werror")
		build.Env = sanrt.CleanEnv(os.Environ())
		out, err := build.CombinedOutput()
		require.NoError(t, err, "%s\n%s", out, src)
		cmd := exec.Command(exe, e.Path)
		cmd.Env = sanrt.CleanEnv(os.Environ())
		got, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", got)
		for i, r := range res {
			if r.Status == "" {
				continue
			}
			c, _ := b.Contract.StatusConst(r.Status)
			assert.Contains(t, string(got), fmt.Sprintf("call %d %s -> %s (%d)\n", i+1, r.Func, c, r.Ret), "%s: seam and the C program see the same status", contract)
		}
	}
}
