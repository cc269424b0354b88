package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/internal/sanrt"
)

const (
	tallyContract   = "../../native/tally/contract.yaml"
	pricingContract = "../../native/pricing/contract.yaml"
	// countTrace: cpp-count-overread copies 65 bytes out of the 4-byte query block.
	countTrace = `{"id": "req-123", "calls": [{"call": "tally_new", "args": {"opts": {"mode": "TALLY_MODE_WORDS", "flags": 1, "min_len": 1}}, "as": "t"}, {"call": "tally_feed", "args": {"t": "$t", "data": {"text": "hello wor"}}}, {"call": "tally_feed", "args": {"t": "$t", "data": {"text": "ld abc"}}}, {"call": "tally_finish", "args": {"t": "$t"}}, {"call": "tally_count", "args": {"t": "$t", "token": {"text": "abc"}}}]}`
	// topTrace: cpp-wrong-status refuses n == TALLY_MAX_TOP, the limit itself.
	topTrace = `{"id": "req-9", "calls": [{"call": "tally_new", "as": "t", "args": {"opts": null}}, {"call": "tally_feed", "args": {"t": "$t", "data": {"text": "a b a"}}}, {"call": "tally_top", "args": {"t": "$t", "n": "TALLY_MAX_TOP"}}]}`
	// couponTrace: cpp-nul-terminator runs strlen past the 6-byte coupon block.
	couponTrace = `{"id": "prod-7", "calls": [{"call": "pricing_rules_new", "as": "r"}, {"call": "pricing_rules_load", "args": {"r": "$r", "text": {"text": "1,1,1500,825,SAVE10:1000\n"}}}, {"call": "pricing_quote", "args": {"r": "$r", "req": {"item_count": 1, "subtotal_cents": 10000, "region_id": 1, "customer_tier": 1, "coupon": {"text": "SAVE10"}}}}]}`
)

// A call trace of each boundary: clean and agreeing on the correct engines, the mutant's
// crash signed as seam signs it everywhere (the pricing one as the request JSON's), and
// -save stores the trace under the boundary's trace target.
func TestReproTraceVerdicts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEAM_CORPUS", dir)
	code, out, errs := seam("repro", "-contract", tallyContract, "-json", countTrace)
	assert.Equal(t, ExitClean, code, out+errs)
	assert.Contains(t, out, "input trace req-123 (target tally.trace")
	assert.Contains(t, out, "engine cpp: clean  engine=cpp: 5 calls: tally_new -> ok out=tally#1;")
	assert.Contains(t, out, "engines cpp vs rust: agree")

	code, out, _ = seam("repro", "-contract", tallyContract, "-engines", "cpp,mutant:cpp-count-overread", "-save", "-json", countTrace)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "engine cpp: clean")
	assert.Contains(t, out, "engine mutant:cpp-count-overread: CRASH  heap-buffer-overflow READ | tally_count | guard | tally_count")
	entries, err := corpus.Open(dir).List("tally.trace")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, corpus.SourceProduction, entries[0].Source)
	assert.Equal(t, "req-123", entries[0].RequestID)
	assert.Equal(t, "heap-buffer-overflow READ | tally_count | guard | tally_count", entries[0].Signature)
	// The saved entry is a trace file: seam repro -contract replays it.
	code, out, _ = seam("repro", "-contract", tallyContract, entries[0].Path)
	assert.Equal(t, ExitClean, code, out)

	code, out, _ = seam("repro", "-contract", tallyContract, "-engines", "mutant:cpp-wrong-status,rust", "-json", topTrace)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "engines mutant:cpp-wrong-status vs rust: MISMATCH mismatch-status-differs | tally_top | status | status differs")
	assert.Contains(t, out, "mismatch in tally_top: status: call 3: mutant:cpp-wrong-status limit, rust ok (status differs)")

	code, out, _ = seam("repro", "-contract", pricingContract, "-json", couponTrace)
	assert.Equal(t, ExitClean, code, out)
	assert.Contains(t, out, "engines cpp vs rust: agree")
	code, out, _ = seam("repro", "-contract", pricingContract, "-engines", "mutant:cpp-nul-terminator,rust", "-json", couponTrace)
	assert.Equal(t, ExitFindings, code, out)
	assert.Contains(t, out, "CRASH  heap-buffer-overflow READ | pricing_quote | guard | pricing_quote")
	assert.Contains(t, out, "engine rust: clean")
}

// A day of traces is JSON Lines, replayed on every core: a count per verdict and a line per
// finding with its trace id; a bad line is named by its number.
func TestReproTraceBatch(t *testing.T) {
	t.Setenv("SEAM_CORPUS", t.TempDir())
	day := filepath.Join(t.TempDir(), "day.jsonl")
	clean := strings.Replace(countTrace, `"abc"}}}]}`, `"hello"}}}]}`, 1)
	clean = strings.Replace(clean, "req-123", "req-1", 1)
	require.NoError(t, os.WriteFile(day, []byte(clean+"\n"+countTrace+"\n"+topTrace+"\n"), 0o644))
	code, out, _ := seam("repro", "-contract", tallyContract, "-engines", "mutant:cpp-count-overread", day)
	assert.Equal(t, ExitFindings, code, out)
	// hello is 5 bytes too: every tally_count on the mutant over-reads.
	assert.Contains(t, out, "trace req-123: heap-buffer-overflow READ | tally_count | guard | tally_count")
	assert.Contains(t, out, "3 traces: 1 clean, 2 crash")

	require.NoError(t, os.WriteFile(day, []byte(countTrace+"\n"+`{"id": "bad", "calls": [{"call": "tally_feed", "args": {"t": "$x"}}]}`+"\n"), 0o644))
	code, _, errs := seam("repro", "-contract", tallyContract, day)
	assert.Equal(t, ExitError, code)
	assert.Contains(t, errs, `day.jsonl line 2: trace bad: call 1 (tally_feed): t: $x: no earlier call made a handle "as": "x"`)
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, errs)

	// JSON that is neither a trace nor a record of the boundary's log format: said in one line.
	code, _, errs = seam("repro", "-contract", tallyContract, "-json", `{"request_id": "x", "request": {}}`)
	assert.Equal(t, ExitError, code)
	assert.Contains(t, errs, "-json: neither a call trace")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(errs), "\n")+1, errs)
}

// -emit-c writes the C reproducer and prints how to build and run it; built as printed, it
// crashes on the mutant as seam's run does.
func TestReproEmitC(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "repro.c")
	code, out, errs := seam("repro", "-contract", tallyContract, "-engines", "cpp,mutant:cpp-count-overread", "-emit-c", src, "-json", countTrace)
	assert.Equal(t, ExitFindings, code, out+errs)
	require.Contains(t, out, "wrote "+src)
	lines := strings.Split(out, "\n")
	var build, runMutant string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "cc -g -fsanitize=address,undefined -I") {
			build = l
		}
		if strings.HasPrefix(l, "./repro ") && strings.HasSuffix(l, "cpp-count-overread.so") {
			runMutant = l
		}
	}
	require.NotEmpty(t, build, out)
	require.NotEmpty(t, runMutant, out)
	sh := func(cmdline string) (string, error) {
		cmd := exec.Command("sh", "-c", cmdline)
		cmd.Dir, cmd.Env = dir, sanrt.CleanEnv(os.Environ())
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	o, err := sh(build)
	require.NoError(t, err, o)
	o, err = sh(runMutant)
	require.Error(t, err, o)
	assert.Contains(t, o, "ERROR: AddressSanitizer: heap-buffer-overflow")
	assert.Contains(t, o, "in tally_count")
	assert.Contains(t, o, "call 4 tally_finish -> TALLY_OK (0)")

	// Without -contract the trace is read against the default (pricing's) contract.
	code, _, errs = seam("repro", "-emit-c", src, "-json", countTrace)
	assert.Equal(t, ExitError, code)
	assert.Contains(t, errs, "(tally_new): not a function of ")
}
