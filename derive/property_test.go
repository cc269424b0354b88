package derive_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
)

// withoutSpec writes pricing's contract without its spec model to a temp dir (its paths made
// absolute), so a test sees what the contract's own oracles and properties catch.
func withoutSpec(t *testing.T) string {
	src, err := os.ReadFile(pricingContract)
	require.NoError(t, err)
	dir, err := filepath.Abs(filepath.Dir(pricingContract))
	require.NoError(t, err)
	text := regexp.MustCompile(`(?m)^spec: .*\n`).ReplaceAllString(string(src), "")
	text = regexp.MustCompile(`\.\./\.\./build/`).ReplaceAllString(text, filepath.Join(dir, "../../build")+"/")
	text = regexp.MustCompile(`header: include/`).ReplaceAllString(text, "header: "+dir+"/include/")
	text = regexp.MustCompile(`dict: rules.dict`).ReplaceAllString(text, "dict: "+dir+"/rules.dict")
	path := filepath.Join(t.TempDir(), "contract.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// The contract's round_trip property (export fed into load on a fresh handle, exported again)
// catches an export that does not load back, with no spec model to say what export must be.
func TestRoundTripProperty(t *testing.T) {
	path := withoutSpec(t)
	b, err := boundary.Load(path)
	require.NoError(t, err)
	require.Empty(t, b.Contract.Spec)
	tg, err := derive.Lookup(b, "pricing_rules_export")
	require.NoError(t, err)
	// An ordinary export (0) after one ordinary load (1 fill, 0) of a text, not assembled by lines (0).
	data := new(seed).pick(0).fills(1).pick(0, 0).buf("1,1,1500,825,SAVE10:1000\n").bytes()
	require.Equal(t, `pricing_rules_new(); pricing_rules_load(text="1,1,1500,825,SAVE10:1000\n" r=#0); pricing_rules_export(r=#0)`, tg.Decode(data))

	_, bad := open(t, path, "mutant:cpp-export-separator")
	err = tg.Run(bad, data)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `engine=cpp-export-separator: contract in pricing_rules_load: text: pricing_rules_export's out fed back returned bad_input: "1,1,1500,825,SAVE10=1000\n" (round trip differs)`)

	_, good := open(t, path)
	assert.NoError(t, tg.Run(good, data))
	res, err := derive.Results(tg, good[0], data)
	require.NoError(t, err)
	var calls []string
	for _, r := range res {
		calls = append(calls, r.Func+" "+r.Status)
	}
	assert.Equal(t, []string{"pricing_rules_new ok", "pricing_rules_load ok", "pricing_rules_export ok",
		"pricing_rules_new ok", "pricing_rules_load ok", "pricing_rules_export ok"}, calls, "the round trip's calls are the program's")
}
