package contract_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/refheader"
)

// reference loads a reference contract and parses its header from where the
// header is in this tree (refheader names it once).
func reference(t *testing.T, boundary string) (*contract.Contract, *cheader.Header) {
	t.Helper()
	c, err := contract.Load("../native/" + boundary + "/contract.yaml")
	require.NoError(t, err, strings.Join(contract.ErrorLines(err), "\n"))
	rel := map[string]string{"pricing": refheader.Pricing, "tally": refheader.Tally}[boundary]
	path, err := refheader.Path(rel)
	require.NoError(t, err)
	h, err := cheader.Parse(path)
	require.NoError(t, err)
	return c, h
}

func problemLines(ps []contract.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestCheckReferenceContracts(t *testing.T) {
	for _, b := range []string{"pricing", "tally"} {
		c, h := reference(t, b)
		assert.Empty(t, problemLines(contract.Check(c, h, nil)), b)
	}
}

// checkEdited checks the tally contract with each edit (old -> new) applied
// to its text; each edit must apply.
func checkEdited(t *testing.T, boundary string, edits ...string) ([]contract.Problem, string) {
	t.Helper()
	c, h := reference(t, boundary)
	data, err := os.ReadFile(c.Path)
	require.NoError(t, err)
	src := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, src, edits[i])
		src = strings.Replace(src, edits[i], edits[i+1], 1)
	}
	edited, err := contract.Parse(c.Path, []byte(src))
	require.NoError(t, err, strings.Join(contract.ErrorLines(err), "\n"))
	return contract.Check(edited, h, nil), src
}

// atLines replaces each "@{text}:" in want with the line of the edited
// contract that holds text, so the cases do not break when the contract grows.
func atLines(t *testing.T, src string, want []string) []string {
	var out []string
	for _, w := range want {
		for {
			start := strings.Index(w, "@{")
			if start < 0 {
				break
			}
			end := strings.Index(w[start:], "}:") + start
			// "A>>B" is the first B after A.
			needle, from := w[start+2:end], 0
			if a, b, ok := strings.Cut(needle, ">>"); ok {
				from, needle = strings.Index(src, a), b
				require.GreaterOrEqual(t, from, 0, "%q is not in the contract", a)
			}
			i := strings.Index(src[from:], needle)
			require.GreaterOrEqual(t, i, 0, "%q is not in the contract", needle)
			i += from
			w = w[:start] + fmt.Sprint(strings.Count(src[:i], "\n")+1) + w[end+1:]
		}
		out = append(out, w)
	}
	return out
}

// messages returns "line: message" of each problem.
func messages(ps []contract.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d: %s", p.Line, p.Msg))
	}
	return out
}

func TestCheckFindsEachMisfit(t *testing.T) {
	for name, tc := range map[string]struct {
		boundary string
		edits    []string
		want     []string
	}{
		"role on the wrong C type": {"tally", []string{
			"count: {out_int: uint64, on_error: zero}", "count: {string: raw}"},
			[]string{"@{count: {string: raw}}: tally_count.count: role string needs a 'const char *' parameter, header has 'uint64_t *'"}},
		"out_int of the wrong width": {"tally", []string{
			"count: {out_int: uint64, on_error: zero}", "count: {out_int: int32}"},
			[]string{"@{count: {out_int: int32}}: tally_count.count: out_int of int32 does not fit, header has 'uint64_t *'"}},
		"a header function the contract leaves out": {"tally", []string{
			"  tally_checksum:\n    threads: thread-safe\n", "  tally_sum:\n    threads: thread-safe\n"},
			[]string{
				"@{boundary:}: functions: tally_checksum (" + tallyPos(t, "tally_checksum") + ") is not in the contract: give it a thread claim and its parameters' roles (or skip: {tally_checksum: why})",
				"@{  tally_sum:}: tally_sum is not a function of the header",
			}},
		"a header function left out on purpose": {"tally", []string{
			"  tally_checksum:\n    threads: thread-safe\n    returns: value                         # Adler-32, compared across engines\n    params:\n      data: {bytes: len, encoding: raw, null: ok, null_with_len: ok}   # NULL returns seed\n      seed: {int: any}\n",
			"",
			"properties:\n", "skip: {tally_checksum: a pure function the tests cover, tally_sum: gone}\nproperties:\n"},
			[]string{"@{tally_sum: gone}: skip.tally_sum is not a function of the header"}},
		"the header claims more threads than the contract": {"tally", []string{
			"  tally_checksum:\n    threads: thread-safe\n", "  tally_checksum:\n    threads: none\n"},
			[]string{"@{  tally_checksum:}: tally_checksum: the header claims threads thread-safe, the contract only none (seam would not check the header's claim)"}},
		"the contract claims more than the header": {"tally", []string{
			"  tally_finish:\n    threads: none\n", "  tally_finish:\n    threads: any\n"},
			nil},
		"a status constant the header lacks": {"tally", []string{
			"full: TALLY_EFULL,", "full: TALLY_EFULL, gone: TALLY_EGONE,"},
			[]string{"@{gone: TALLY_EGONE}: statuses.gone: TALLY_EGONE is not a constant of the header"}},
		"an enum value and a field the header lacks": {"tally", []string{
			"TALLY_MODE_BYTES]}", "TALLY_MODE_FAST]}",
			"min_len: {range: [1, TALLY_MAX_TOKEN]}", "min_len: {range: [1, TALLY_MAX_TOKEN]}\n          speed: {range: [0, 9]}"},
			[]string{
				"@{TALLY_MODE_FAST]}}: tally_new.opts.mode: TALLY_MODE_FAST is neither a number nor a constant of the header",
				"@{speed: {range}: tally_new.opts.speed is not a field of tally_options in the header",
			}},
		"a documented status the contract does not list": {"tally", []string{
			"statuses: [ok, invalid, limit, state, full, internal]", "statuses: [ok, invalid, state, full, internal]"},
			[]string{`@{  tally_feed:}: tally_feed: the header says "len > TALLY_MAX_FEED" -> TALLY_ELIMIT, but statuses does not list limit`}},
		"parameters the header lacks or the contract leaves out": {"tally", []string{
			"      seed: {int: any}\n", "      salt: {int: any}\n"},
			[]string{
				"@{salt: {int: any}}: tally_checksum.salt is not a parameter of tally_checksum in the header (it has data, len, seed)",
				"@{  tally_checksum:}: tally_checksum: parameter seed (uint32_t) has no role in the contract",
			}},
		"bytes on an output buffer": {"pricing", []string{
			"buf:    {out_buffer: cap, needed: needed, null: ok, on_error: untouched}", "buf:    {bytes: cap, null: ok}"},
			[]string{"@{buf:    {bytes: cap, null: ok}}: pricing_rules_describe.buf: role bytes needs a 'const uint8_t *' parameter, header has 'uint8_t *'"}},
		"a handle that is no opaque struct": {"pricing", []string{
			"freed_by: pricing_rules_free(r)", "freed_by: pricing_rules_free(r, x)",
			"      out: {handle_out: pricing_rules, on_error: zero}", "      out: {handle: pricing_rules}"},
			[]string{
				"@{  pricing_rules:}: types.pricing_rules.freed_by: pricing_rules_free takes 1 parameters, the contract passes 2",
				"@{      out: {handle: pricing_rules}}: pricing_rules_new.out: role handle needs a 'pricing_rules *' (a pointer to the opaque struct) parameter, header has 'pricing_rules **'",
			}},
		"layout fields that do not fit the layout struct": {"pricing", []string{
			"request_coupon: offsetof(pricing_request, coupon)", "request_coupon: offsetof(pricing_request, cupon)",
			"    result_tax_cents: offsetof(pricing_result, tax_cents)\n", "    result_taxes: sizeof(pricing_rules)\n"},
			[]string{
				"@{request_coupon: offsetof}: abi.layout_fields.request_coupon: pricing_request has no field cupon",
				"@{result_taxes}: abi.layout_fields.result_taxes: seam_layout_info has no field result_taxes",
				"@{result_taxes}: abi.layout_fields: seam_layout_info.result_tax_cents is not said (sizeof, alignof or offsetof of what)",
			}},
		"NULL where the header says it is fine": {"pricing", []string{
			"      r: {handle: pricing_rules, null: ok}", "      r: {handle: pricing_rules}"},
			[]string{"@{  pricing_rules_free:>>      r: {handle: pricing_rules}}: pricing_rules_free.r: the header says NULL is fine, the contract wants bad_input for NULL (say null: ok)"}},
		"a struct role on the wrong struct": {"pricing", []string{
			"struct: pricing_request", "struct: pricing_result"},
			[]string{"@{      req:}: pricing_quote.req: role struct needs a 'const pricing_result *' (a pointer to the struct) parameter, header has 'const pricing_request *'"}},
	} {
		t.Run(name, func(t *testing.T) {
			ps, src := checkEdited(t, tc.boundary, tc.edits...)
			assert.Equal(t, atLines(t, src, tc.want), messages(ps))
		})
	}
}

func tallyPos(t *testing.T, fn string) string {
	_, h := reference(t, "tally")
	return h.Function(fn).Pos.String()
}

func TestCheckEngines(t *testing.T) {
	// Every engine of both reference boundaries exports its whole header.
	built := map[string][]string{}
	for _, b := range []string{"pricing", "tally"} {
		c, h := reference(t, b)
		for _, e := range c.EngineNames() {
			lib, err := c.Library(e, "debug")
			if err != nil {
				t.Logf("skipped: %v", err)
				continue
			}
			built[b] = append(built[b], lib)
		}
		assert.Empty(t, problemLines(contract.Check(c, h, built[b])), b)
	}
	libs := built["pricing"]
	if len(libs) == 0 {
		t.Skip("the pricing engines are not built")
	}

	// The tally header against a pricing engine: nothing of it is exported.
	tc, th := reference(t, "tally")
	ps := contract.Check(tc, th, libs[:1])
	require.Len(t, ps, len(th.Functions))
	assert.Equal(t, tc.Function("tally_new").Line, ps[4].Line)
	assert.Contains(t, ps[4].Msg, "tally_new: engine ")
	assert.True(t, strings.HasSuffix(ps[4].Msg, "libseam_cpp.so does not export it"), ps[4].Msg)
	assert.Equal(t, tc.Path+":"+fmt.Sprint(ps[4].Line)+": "+ps[4].Msg, ps[4].String(), "a contract outside the working directory is named by its absolute path")

	ps = contract.Check(tc, th, []string{"/nonexistent/lib.so"})
	require.Len(t, ps, 1)
	assert.Contains(t, ps[0].Msg, "engine /nonexistent/lib.so: cannot read its symbols")
}
