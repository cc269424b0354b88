package derive_test

import (
	"fmt"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
	_ "github.com/seamfuzz/seam/native/pricing/spec" // pricing's contract names its spec model
)

const (
	tallyContract   = "../native/tally/contract.yaml"
	pricingContract = "../native/pricing/contract.yaml"
)

// variant is the build variant the tests load (SEAM_VARIANT, default asan as in make test).
var variant = checkout.TestVariant

func TestMain(m *testing.M) {
	if err := sanrt.Ensure(sanrt.For(variant())); err != nil {
		fmt.Fprintln(os.Stderr, "derive tests:", err)
		os.Exit(2)
	}
	isolate.ServeIfChild() // the crash seeds run in children of this binary
	os.Exit(m.Run())
}

func open(t *testing.T, contractPath string, specs ...string) (*boundary.Boundary, []*boundary.Engine) {
	t.Helper()
	b, err := boundary.Load(contractPath)
	require.NoError(t, err)
	es, err := derive.Open(b, specs, variant())
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, e := range es {
			e.Close()
		}
	})
	return b, es
}

func TestPlan(t *testing.T) {
	b, _ := open(t, tallyContract)
	ts, err := derive.Plan(b)
	require.NoError(t, err)
	var names []string
	for _, tg := range ts {
		names = append(names, tg.Name)
	}
	assert.Equal(t, []string{"tally_abi_version", "tally_version", "tally_strerror", "tally_checksum", "tally_new",
		"tally_feed", "tally_finish", "tally_count", "tally_top", "lifecycle_tally"}, names, "no target for the free functions")
}

// The correct engines are clean on random inputs of every target: no false positives.
func TestCorrectEnginesAreClean(t *testing.T) {
	for _, c := range []string{tallyContract, pricingContract} {
		b, es := open(t, c)
		ts, err := derive.Plan(b)
		require.NoError(t, err)
		for _, tg := range ts {
			start := time.Now()
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < 60; i++ {
				data := make([]byte, rng.Intn(200))
				rng.Read(data)
				require.NoError(t, tg.Run(es, data), "%s input %q: %s", tg.Name, data, tg.Decode(data))
			}
			t.Logf("%s: %v", tg.Name, time.Since(start))
		}
	}
}
