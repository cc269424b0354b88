package fuzz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/internal/covbridge"
)

// The coverage bridge on the real seeded magic (native/pricing/mutants/cpp-magic.patch): every byte of
// "#SEAMBUG" matched reaches a native edge whose slot no shorter match (and no seed) hit, so
// go test -fuzz has a new-coverage step to keep at each rung of the ladder.
func TestCoverageBridgeSeesEachRungOfTheMagic(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "build", "cov", "mutants", "cpp-magic.so")); err != nil {
		t.Skip("the cov variant of cpp-magic is not built: run make native")
	}
	e := pricingEngines(t, []string{"mutant:cpp-magic"}, "cov")[0]
	slots := func(in []byte) []uint16 {
		covbridge.Reset()
		_ = loadRules(e, in)
		return covbridge.LastSlots()
	}
	seen := map[uint16]bool{}
	for _, s := range rulesSeeds {
		for _, k := range slots([]byte(s)) {
			seen[k] = true
		}
	}
	require.NotEmpty(t, seen, "no native coverage reached the bridge")
	for _, in := range []string{"#Sxxxxxx", "#SExxxxx", "#SEAxxxx", "#SEAMxxx", "#SEAMBxx", "#SEAMBUx"} {
		fresh := 0
		for _, k := range slots([]byte(in)) {
			if !seen[k] {
				fresh++
				seen[k] = true
			}
		}
		assert.Positive(t, fresh, "%q hits no slot a shorter match did not", in)
	}
}

// Comparison patching on the real seeded magic: from the reference rules (no comment line at
// all), one solve stage on the cov build reaches a line starting "#SEAMBUG". Each rung is
// solved from the native compare that failed on it, which the bridge records.
func TestComparePatchingSolvesTheMagic(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "build", "cov", "mutants", "cpp-magic.so")); err != nil {
		t.Skip("the cov variant of cpp-magic is not built: run make native")
	}
	e := pricingEngines(t, []string{"mutant:cpp-magic"}, "cov")[0]
	defer func(b bool) { bridged = b }(bridged)
	bridged = true
	covbridge.ForgetFed() // a fresh worker's view, whatever ran before in this process
	errSolved := errors.New("solved")
	runs := 0
	var solved []byte
	run := func(in []byte) error {
		runs++
		if bytes.HasPrefix(in, []byte("#SEAMBUG")) || bytes.Contains(in, []byte("\n#SEAMBUG")) {
			solved = in
			return errSolved // the mutant would crash here
		}
		return loadRules(e, in)
	}
	require.NoError(t, execOne([]byte(refRules), run))
	err := solveCompares([]byte(refRules), run)
	require.ErrorIs(t, err, errSolved, "no patch reached the magic in %d runs", runs)
	t.Logf("solved in %d runs: %q", runs, solved)
	assert.LessOrEqual(t, runs, solveBudget+1)
}

// The bridge records the native comparisons that failed: an integer compare against a
// constant (the parser's '#' check) and a memcmp through ASan's hook (the coupon code).
func TestBridgeRecordsFailedNativeCompares(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "build", "cov", "libseam_cpp.so")); err != nil {
		t.Skip("the cov variant is not built: run make native")
	}
	e := pricingEngines(t, []string{"cpp"}, "cov")[0]
	h, _, err := e.New("pricing_rules", boundary.Args{})
	require.NoError(t, err)
	defer e.Free(h)
	res, err := e.Call("pricing_rules_load", boundary.Args{"r": boundary.Of(h), "text": boundary.Text(refRules)})
	require.NoError(t, err)
	require.Equal(t, "ok", res.Status)
	has := func(cs []covbridge.Compare, a, b string) bool {
		for _, c := range cs {
			if string(c.A) == a && string(c.B) == b {
				return true
			}
		}
		return false
	}

	covbridge.RecordCompares(true)
	req := boundary.Struct(map[string]boundary.Value{"item_count": boundary.Int(1), "subtotal_cents": boundary.Int(1000),
		"region_id": boundary.Int(1), "customer_tier": boundary.Int(1), "coupon": boundary.Text("SAVE1X")})
	res, err = e.Call("pricing_quote", boundary.Args{"r": boundary.Of(h), "req": req})
	covbridge.RecordCompares(false)
	require.NoError(t, err)
	require.Equal(t, "ok", res.Status)
	assert.True(t, has(covbridge.Compares(), "SAVE10", "SAVE1X"), "memcmp of the coupon code not recorded: %v", covbridge.Compares())

	covbridge.RecordCompares(true)
	_ = loadRules(e, []byte("x,0,0,0\n"))
	covbridge.RecordCompares(false)
	assert.True(t, has(covbridge.Compares(), "#", "x"), "the parser's comment check not recorded")

	_ = loadRules(e, []byte("y,0,0,0\n"))
	assert.False(t, has(covbridge.Compares(), "#", "y"), "recorded while recording was off")
}
