package campaign

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/corpus"
)

const prodRequest = `{"request_id": "prod-7", "request": {"item_count": 1, "subtotal_cents": 10000, "region_id": 1, "customer_tier": 1, "coupon": "SAVE10"}, "rules": "1,1,1500,825,SAVE10:1000\n"}`

// A production log is JSON Lines: one input per request, errors naming the line.
func TestRequestInputs(t *testing.T) {
	one, err := RequestInputs([]byte(prodRequest), "-json")
	require.NoError(t, err)
	require.Len(t, one, 1)
	assert.Equal(t, Input{Target: "request", Data: one[0].Data, RequestID: "prod-7", Label: "request prod-7"}, one[0])

	log := prodRequest + "\n\n" + prodRequest + "\n"
	many, err := RequestInputs([]byte(log), "day.jsonl")
	require.NoError(t, err)
	assert.Len(t, many, 2)

	_, err = RequestInputs([]byte(prodRequest+"\n\n"+`{"request_id": `), "day.jsonl")
	assert.ErrorContains(t, err, "day.jsonl line 3:")
}

// A corpus file knows its target from its directory; a raw file without -target is the
// caller's mistake, not a failed run.
func TestFileInputsTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rules")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, "0123456789abcdef")
	require.NoError(t, os.WriteFile(p, []byte("1,0,0,0"), 0o644))
	in, err := FileInputs(p, "")
	require.NoError(t, err)
	assert.Equal(t, "rules", in[0].Target)

	raw := filepath.Join(t.TempDir(), "in")
	require.NoError(t, os.WriteFile(raw, []byte("x"), 0o644))
	_, err = FileInputs(raw, "")
	assert.ErrorAs(t, err, new(ConfigError))
	_, err = FileInputs(raw, "nosuchtarget")
	assert.ErrorAs(t, err, new(ConfigError))
	_, err = Targets("rules,nosuchtarget")
	assert.ErrorAs(t, err, new(ConfigError))
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
