package campaign

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/trace"
)

const prodRequest = `{"request_id": "prod-7", "request": {"item_count": 1, "subtotal_cents": 10000, "region_id": 1, "customer_tier": 1, "coupon": "SAVE10"}, "rules": "1,1,1500,825,SAVE10:1000\n"}`

// A logged pricing request (pricing's spec plug-in registers its log format) becomes the call
// trace it stands for, by the contract's names; a production log is JSON Lines, one input per
// request, errors naming the line.
func TestTraceInputsFromALogFormat(t *testing.T) {
	b, err := boundary.Load(loadContract(t, "pricing").Path)
	require.NoError(t, err)
	one, err := TraceInputs(b, []byte(prodRequest), "-json")
	require.NoError(t, err)
	require.Len(t, one, 1)
	assert.Equal(t, "pricing.trace", one[0].Target)
	assert.Equal(t, "prod-7", one[0].RequestID)
	tr, err := trace.Parse(b, one[0].Data)
	require.NoError(t, err, "stored as a trace")
	var calls []string
	for _, c := range tr.Calls {
		calls = append(calls, c.Func)
	}
	assert.Equal(t, []string{"pricing_rules_new", "pricing_rules_load", "pricing_quote"}, calls)

	log := prodRequest + "\n\n" + prodRequest + "\n"
	many, err := TraceInputs(b, []byte(log), "day.jsonl")
	require.NoError(t, err)
	assert.Len(t, many, 2)

	_, err = TraceInputs(b, []byte(prodRequest+"\n\n"+`{"request_id": `), "day.jsonl")
	assert.ErrorContains(t, err, "day.jsonl line 3:")
	_, err = TraceInputs(b, []byte(`{"request_id": "x", "request": {"items": 1}}`), "-json")
	assert.ErrorContains(t, err, "unknown field")
	_, err = TraceInputs(b, []byte(`{"hello": 1}`), "-json")
	assert.ErrorContains(t, err, "neither a call trace")
}

// The nightly's corpus replay of a boundary replays its saved call traces on its engines, in
// isolated children, and no other boundary's entries.
func TestReplayCorpusReplaysTraces(t *testing.T) {
	dir := t.TempDir()
	src := "../corpus/tally.trace/910d6de0b3c03f43"
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	_, _, err = corpus.Open(dir).Add("tally.trace", data, corpus.Meta{Source: corpus.SourceProduction})
	require.NoError(t, err)
	tally := loadContract(t, "tally")
	fs, total, err := replayBoundaryCorpus(context.Background(), dir, tally, []string{"cpp", "rust"}, "asan")
	require.NoError(t, err)
	assert.Equal(t, 1, total)
	assert.Empty(t, fs, "clean on tally's correct engines")
	// Another boundary's replay leaves tally's traces alone.
	_, total, err = replayBoundaryCorpus(context.Background(), dir, loadContract(t, "pricing"), []string{"cpp"}, "asan")
	require.NoError(t, err)
	assert.Zero(t, total)
}
