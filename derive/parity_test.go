package derive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// pricingParity lists every pricing fuzzing mutant the hand-written targets catch, with the
// contract target that must catch it from nothing and what it must report. Left out: cpp-hang
// (a hang is the supervisor's: it needs a timeout around the process, which a hunt in one
// child cannot tell from a slow input) and cpp-magic (an 8-byte magic compared byte by byte:
// only native coverage feedback finds it, in the cov variant, for either kind of target).
var pricingParity = []struct {
	mutant, target string
	engines        []string // default: the mutant alone
	outcome        isolate.Outcome
	want           string // in the finding's text or the child's report
}{
	{mutant: "cpp-overread", target: "pricing_rules_load", outcome: isolate.Crashed, want: "heap-buffer-overflow"},
	{mutant: "cpp-comment-overread", target: "pricing_rules_load", outcome: isolate.Crashed, want: "heap-buffer-overflow"},
	{mutant: "cpp-nul-terminator", target: "pricing_quote", outcome: isolate.Crashed, want: "heap-buffer-overflow"},
	{mutant: "cpp-use-after-free", target: "pricing_rules_describe", outcome: isolate.Crashed, want: "heap-use-after-free"},
	{mutant: "cpp-double-free", target: "pricing_rules_export", outcome: isolate.Crashed, want: "double-free"},
	// ASan names the write past the exact-size buffer by the poisoned guard after it.
	{mutant: "cpp-describe-overflow", target: "pricing_rules_describe", outcome: isolate.Crashed, want: "WRITE of size"},
	// The limit+1 accepted is seen before the overflow it allows.
	{mutant: "cpp-signed-overflow", target: "pricing_quote", outcome: isolate.Finding, want: "contract in pricing_quote: req.subtotal_cents: "},
	{mutant: "cpp-enum-index", target: "pricing_quote", outcome: isolate.Crashed, want: "pricing_quote"},
	{mutant: "cpp-leak-on-error", target: "pricing_rules_load", outcome: isolate.Finding, want: "LeakSanitizer"},
	{mutant: "cpp-leak-diag-on-error", target: "pricing_rules_load", outcome: isolate.Finding, want: "LeakSanitizer"},
	{mutant: "cpp-utf8-lenient", target: "pricing_quote", outcome: isolate.Finding, want: "(wrong status for invalid_utf8)"},
	{mutant: "rust-utf8-lenient", target: "pricing_quote", outcome: isolate.Finding, want: "(wrong status for invalid_utf8)"},
	{mutant: "rust-overflow", target: "pricing_quote", outcome: isolate.Finding, want: "contract in pricing_quote: req.subtotal_cents: "},
	{mutant: "rust-panic-escape", target: "pricing_quote", outcome: isolate.Crashed, want: "panic in a function that cannot unwind"},
	// Only the spec model sees it on one engine: the contract cannot say how to round.
	{mutant: "rust-rounding-drift", target: "pricing_quote", outcome: isolate.Finding, want: "(rounding drift)"},
	{mutant: "rust-rounding-drift", target: "pricing_quote", engines: []string{"cpp", "mutant:rust-rounding-drift"}, outcome: isolate.Finding, want: "(rounding drift)"},
	{mutant: "rust-overread", target: "pricing_rules_load", outcome: isolate.Crashed, want: "heap-buffer-overflow"},
}

// huntBudget bounds each hunt; every mutant above is found well within it on this machine.
const huntBudget = 60 * time.Second

// Every pricing fuzzing mutant the hand-written targets catch is caught by the target derived
// from the contract (with the spec model for what only it sees), from nothing, with the
// report its patch names; SEAM_TTF_LOG=FILE appends each time-to-find.
func TestPricingParity(t *testing.T) {
	if os.Getenv("SEAM_PARITY") == "" {
		// Minutes of hunting: make test proves each mutant from its corpus entry instead
		// (fuzz's TestSeededBugsAreCaught), and scripts/time-to-find.sh times them.
		t.Skip("from-nothing hunts of every pricing fuzzing mutant: set SEAM_PARITY=1 (about 90 s on a quiet machine)")
	}
	if variant() != "asan" {
		t.Skip("the seeded bugs are proven in the asan variant")
	}
	b, good := open(t, pricingContract)
	for _, c := range pricingParity {
		engines := c.engines
		if engines == nil {
			engines = []string{"mutant:" + c.mutant}
		}
		t.Run(c.mutant+"/"+strings.Join(engines, ","), func(t *testing.T) {
			lib := filepath.Join("..", "build", "asan", "mutants", c.mutant+".so")
			if rt, _ := sanrt.RuntimeOf(lib); rt != sanrt.ASan && strings.HasPrefix(c.mutant, "rust-") && c.outcome == isolate.Crashed && strings.Contains(c.want, "heap-") {
				t.Skipf("%s: no nightly Rust toolchain, so no ASan build of the Rust engine", c.mutant)
			}
			r, err := runHunt(pricingContract, c.target, engines, huntBudget, 1, t.TempDir())
			require.NoError(t, err)
			require.Equal(t, c.outcome, r.outcome, "not found in %v:\n%s", huntBudget, tail(r.text))
			assert.Contains(t, r.text, c.want)
			t.Logf("found after %v", r.after.Round(100*time.Millisecond))
			if log := os.Getenv("SEAM_TTF_LOG"); log != "" {
				f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				require.NoError(t, err)
				_, _ = f.WriteString(strings.Join([]string{c.mutant, c.target, strings.Join(engines, ","), r.after.Round(100 * time.Millisecond).String()}, "\t") + "\n")
				f.Close()
			}
			if c.outcome == isolate.Crashed {
				tg, err := derive.Lookup(b, c.target)
				require.NoError(t, err)
				assert.NoError(t, tg.Run(good, r.input), "the correct engines pass the input that crashed the mutant")
			}
		})
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(len(lines)-40, 0):], "\n")
}

// The spec model and the contract oracles stay quiet on the correct engines: every pricing
// target hunts on both for a few seconds (SEAM_HUNT_CLEAN=1m for longer) and finds nothing.
func TestPricingHuntCleanOnCorrectEngines(t *testing.T) {
	budget := 3 * time.Second
	if v := os.Getenv("SEAM_HUNT_CLEAN"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "SEAM_HUNT_CLEAN")
		budget = d
	}
	b, _ := open(t, pricingContract)
	ts, err := derive.Plan(b)
	require.NoError(t, err)
	for _, tg := range ts {
		t.Run(tg.Name, func(t *testing.T) {
			r, err := runHunt(pricingContract, tg.Name, []string{"cpp", "rust"}, budget, 2, t.TempDir())
			require.NoError(t, err)
			assert.Equal(t, isolate.Passed, r.outcome, "%s\ninput %q", tail(r.text), r.input)
		})
	}
}
