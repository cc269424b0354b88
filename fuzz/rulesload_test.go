package fuzz

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
)

// The worker machinery (the coverage bridge, known crashes) is tested on a real parser with
// real seeded bugs: pricing's rules loader, called through its contract.

// refRules loads on every correct engine; rulesSeeds add the loader's edge cases.
const refRules = "1,0,1000,825\n1,1,1500,825,SAVE10:1000\n1,2,0,0\n2,0,250,2000\n7,0,5000,1000,HALF:5000\n65535,2,1,1\n"

var rulesSeeds = []string{refRules, "", "1,0,0,0", "#\xff\n", "1,0,0,0,A:1\r\n2,1,2,2\r"}

// pricingEngines opens pricing's engines specs in variant.
func pricingEngines(t testing.TB, specs []string, variant string) []*boundary.Engine {
	t.Helper()
	b, err := boundary.Load(filepath.Join("..", "native", "pricing", "contract.yaml"))
	require.NoError(t, err)
	es, err := derive.Open(b, specs, variant)
	require.NoError(t, err)
	return es
}

// loadRules loads text into a fresh rules handle of e: an error for any status but ok and
// bad_input (the statuses of the loader's answer to any text).
func loadRules(e *boundary.Engine, text []byte) error {
	h, _, err := e.New("pricing_rules", boundary.Args{})
	if err != nil {
		return err
	}
	defer e.Free(h)
	res, err := e.Call("pricing_rules_load", boundary.Args{"r": boundary.Of(h), "text": boundary.Bytes(text)})
	if err != nil {
		return err
	}
	if res.Status != "ok" && res.Status != "bad_input" {
		return fmt.Errorf("pricing_rules_load: %s", res.Status)
	}
	return nil
}
