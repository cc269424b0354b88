package fuzz

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/covbridge"
)

// The coverage bridge on the real seeded magic (native/mutants/cpp-magic.patch): every byte of
// "#SEAMBUG" matched reaches a native edge whose slot no shorter match (and no seed) hit, so
// go test -fuzz has a new-coverage step to keep at each rung of the ladder.
func TestCoverageBridgeSeesEachRungOfTheMagic(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "build", "cov", "mutants", "cpp-magic.so")); err != nil {
		t.Skip("the cov variant of cpp-magic is not built: run make native")
	}
	es, err := OpenEngines([]string{"mutant:cpp-magic"}, "cov")
	require.NoError(t, err)
	e := es[0]
	slots := func(in []byte) []uint16 {
		covbridge.Reset()
		_ = fuzzRules(e, in)
		return covbridge.LastSlots()
	}
	seen := map[uint16]bool{}
	for _, s := range rulesTarget.Seeds {
		for _, k := range slots(s) {
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
