package trace_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/trace"
)

// Marshal writes what Parse reads back to the same calls (the same C program), bytes that are
// not UTF-8 included, for a trace of each boundary.
func TestMarshalRoundTrip(t *testing.T) {
	binary := `{"id": "bin", "calls": [{"call": "tally_new", "as": "t", "args": {"opts": {"mode": 2, "flags": 0, "min_len": 1}}}, {"call": "tally_feed", "args": {"t": "$t", "data": {"base64": "/wCA"}}}]}`
	for _, c := range []struct{ contract, src string }{{tallyContract, countTrace}, {pricingContract, quoteTrace}, {tallyContract, binary}} {
		b, src := load(t, c.contract), c.src
		tr, err := trace.Parse(b, []byte(src))
		require.NoError(t, err, src)
		out, err := trace.Marshal(b, tr)
		require.NoError(t, err, src)
		back, err := trace.Parse(b, out)
		require.NoError(t, err, "%s", out)
		want, err := trace.EmitC(b, tr)
		require.NoError(t, err)
		got, err := trace.EmitC(b, back)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s", out)
	}
}
