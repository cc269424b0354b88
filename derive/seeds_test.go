package derive_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/internal/isolate"
)

// seed spells a fuzz input in the decoder's draws (go-fuzz-headers underneath): a choice among
// at most 256 is one byte, a larger one four (big-endian); a buffer of gen's fuzz shape is the
// shape, a 4-byte length and the bytes. Each test checks the program it decodes to, so a seed
// that no longer means what it says fails loudly.
type seed struct{ b []byte }

func (s *seed) pick(v ...byte) *seed { s.b = append(s.b, v...); return s }

func (s *seed) u32(v uint32) *seed { s.b = binary.BigEndian.AppendUint32(s.b, v); return s }

func (s *seed) buf(data string) *seed {
	s.pick(gen.ShapeFuzz).u32(uint32(len(data)))
	s.b = append(s.b, data...)
	return s
}

// bytes ends the seed with padding: a buffer drawn last must not take the rest of the input.
func (s *seed) bytes() []byte { return append(s.b, 0, 0, 0, 0) }

// The tally decoder's draws, in the order of the contract's parameters: the handle's
// constructor, the call under test, then the fills that run before it.
func (s *seed) tallyNew(mode byte, flags uint32) *seed { return s.pick(mode).u32(flags).pick(0) } // min_len 1
func (s *seed) fills(n int) *seed                      { return s.pick(derive.FillsByte(n)) }
func (s *seed) feed(data string) *seed                 { return s.pick(0, anyCase).buf(data) }
func (s *seed) finish() *seed                          { return s.pick(1, anyCase) }

// top is tally_top with n = 1 (nCase 0) or TALLY_MAX_TOP (nCase 1), every pointer valid.
func (s *seed) top(nCase byte) *seed { return s.pick(anyCase, 0, 0, nCase, 0, 0) }

// anyCase starts a call whose arguments may be broken (0 makes an ordinary call, every
// argument valid).
const anyCase = 1

// The fuzzing mutants of tally that are a violation, not a crash: each is flagged on its seed
// by the contract oracles or the differential, with the reason its patch names.
func TestTallyViolationSeeds(t *testing.T) {
	cases := []struct {
		mutant, target string
		engines        []string
		seed           *seed
		program        string
		want           string // the violation's text, from its kind to its reason
	}{
		{"cpp-wrong-status", "tally_top", []string{"mutant:cpp-wrong-status"},
			new(seed).tallyNew(0, 0).top(1).fills(0),
			"tally_new(opts={flags:0 min_len:1 mode:0}); tally_top(n=1024 t=#0)",
			"engine=cpp-wrong-status: contract in tally_top: status: got limit"},
		{"rust-min-len-zero", "tally_new", []string{"cpp", "mutant:rust-min-len-zero"},
			new(seed).pick(anyCase, 0, 0, 0, 0).u32(0).pick(3, 0, 0, 0),
			"tally_new(opts={flags:0 min_len:0 mode:0})",
			"engine=rust-min-len-zero: contract in tally_new: opts.min_len: got ok, want invalid"},
		{"rust-split-token", "tally_top", []string{"cpp", "mutant:rust-split-token"},
			new(seed).tallyNew(0, 0).top(0).fills(3).feed("ab").feed("c").finish(),
			`tally_new(opts={flags:0 min_len:1 mode:0}); tally_feed(data="ab" t=#0); tally_feed(data="c" t=#0); tally_finish(t=#0); tally_top(n=1 t=#0)`,
			"mismatch in tally_top: out[].token: "},
		{"rust-fold-unicode", "tally_top", []string{"cpp", "mutant:rust-fold-unicode"},
			new(seed).tallyNew(0, 1).top(0).fills(2).feed("\xc3\x80 ").finish(),
			`tally_new(opts={flags:1 min_len:1 mode:0}); tally_feed(data="À " t=#0); tally_finish(t=#0); tally_top(n=1 t=#0)`,
			"mismatch in tally_top: out[].token: "},
		{"rust-overflow", "tally_feed", []string{"cpp", "mutant:rust-overflow"},
			new(seed).tallyNew(0, 0).pick(anyCase, 0).buf(strings.Repeat("a", 256)).fills(0),
			`tally_new(opts={flags:0 min_len:1 mode:0}); tally_feed(data="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...(258 bytes) t=#0)`,
			"mismatch in tally_feed: status: cpp=ok rust-overflow=internal"},
	}
	for _, c := range cases {
		t.Run(c.mutant, func(t *testing.T) {
			b, es := open(t, tallyContract, c.engines...)
			tg, err := derive.Lookup(b, c.target)
			require.NoError(t, err)
			data := c.seed.bytes()
			require.Equal(t, c.program, tg.Decode(data))
			err = tg.Run(es, data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			v := fuzz.ParseViolation(err.Error())
			require.NotNil(t, v, "the campaign signs it")

			_, good := open(t, tallyContract)
			assert.NoError(t, tg.Run(good, data), "the correct engines pass the same seed")
		})
	}
}

// The crash, leak and hang mutants of tally, each on its seed in an isolated child (the child
// dies, the test does not), with the report their patch names.
func TestTallyCrashSeeds(t *testing.T) {
	cases := []struct {
		mutant, target string
		seed           *seed
		program        string
		outcome        isolate.Outcome
		want           string // in the child's output
	}{
		{"cpp-token-overflow", "tally_top", new(seed).tallyNew(0, 0).top(0).fills(1).feed(strings.Repeat("a", 64) + " "),
			"", isolate.Crashed, "heap-buffer-overflow"},
		{"cpp-count-overread", "tally_count", new(seed).tallyNew(0, 0).pick(anyCase, 0).buf("abc").pick(0).fills(0),
			`tally_new(opts={flags:0 min_len:1 mode:0}); tally_count(token="abc" t=#0)`, isolate.Crashed, "heap-buffer-overflow"},
		{"cpp-checksum-ub", "tally_checksum", new(seed).pick(anyCase, gen.ShapeMiB, gen.BigOdds-1, 2),
			"", isolate.Crashed, "signed integer overflow"},
		{"rust-panic-escape", "tally_top", new(seed).tallyNew(0, 0).top(0).fills(2).feed(strings.Repeat("a", 64)).finish(),
			"", isolate.Crashed, "panic in a function that cannot unwind"},
		{"cpp-leak-top-error", "tally_top", new(seed).tallyNew(0, 0).top(1).fills(1).feed("a b "),
			`tally_new(opts={flags:0 min_len:1 mode:0}); tally_feed(data="a b " t=#0); tally_top(n=1024 t=#0)`, isolate.Crashed, "LeakSanitizer"},
		{"cpp-hang", "tally_feed", new(seed).tallyNew(1, 0).pick(anyCase, 0).buf("ab\r").fills(0),
			`tally_new(opts={flags:0 min_len:1 mode:1}); tally_feed(data="ab\r" t=#0)`, isolate.Hung, ""},
	}
	abs, err := filepath.Abs(tallyContract)
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.mutant, func(t *testing.T) {
			b, good := open(t, tallyContract)
			tg, err := derive.Lookup(b, c.target)
			require.NoError(t, err)
			data := c.seed.bytes()
			if c.program != "" {
				require.Equal(t, c.program, tg.Decode(data))
			}
			require.NoError(t, tg.Run(good, data), "the correct engines pass the seed")

			in := filepath.Join(t.TempDir(), "seed")
			require.NoError(t, os.WriteFile(in, data, 0o644))
			job := isolate.Job{Kind: fuzz.ContractJobKind, Inputs: []string{in}, LeakCheck: true,
				Args: map[string]string{"contract": abs, "target": c.target, "engines": "mutant:" + c.mutant, "variant": variant()}}
			// A crash report is symbolized before the child dies, which takes seconds on a busy
			// machine: only the hang gets a short timeout.
			timeout := 60 * time.Second
			if c.outcome == isolate.Hung {
				timeout = 5 * time.Second
			}
			res, err := isolate.Run(context.Background(), job, isolate.Options{Timeout: timeout})
			require.NoError(t, err)
			require.Len(t, res, 1)
			assert.Equal(t, c.outcome, res[0].Outcome, "%s", res[0].Output)
			assert.Contains(t, string(res[0].Output), c.want)
		})
	}
}

// The example: the derived pricing_rules_describe target sends buf NULL with a
// capacity, and the correct engines return bad_input for it.
func TestPricingDescribeNullWithCap(t *testing.T) {
	b, es := open(t, pricingContract)
	tg, err := derive.Lookup(b, "pricing_rules_describe")
	require.NoError(t, err)
	data := new(seed).pick(anyCase, 0, 0, 4, 3).u32(7).pick(5, 1, 0).pick(derive.FillsByte(1), anyCase, 0).buf("7,1,1000,800\n").bytes()
	require.Equal(t, `pricing_rules_new(); pricing_rules_load(text="7,1,1000,800\n" r=#0); pricing_rules_describe(buf=NULL cap=64 region=7 r=#0)`, tg.Decode(data))
	require.NoError(t, tg.Run(es, data))
	for _, e := range es {
		res, err := derive.Results(tg, e, data)
		require.NoError(t, err)
		require.Len(t, res, 4, "describe is called twice: needed must be the same")
		assert.Equal(t, "ok", res[1].Status, "%s: the rules load", e.Name)
		for _, r := range res[2:] {
			assert.Equal(t, "bad_input", r.Status, "%s: NULL with cap 64", e.Name)
		}
	}
}
