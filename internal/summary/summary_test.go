package summary

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/report"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleRun() Run {
	t0 := time.Date(2026, 11, 25, 3, 17, 0, 0, time.UTC)
	return Run{
		Started: t0, Finished: t0.Add(3 * time.Minute), Budget: "3m", Host: "2 cores", Verdict: "new-findings",
		Steps: []Step{{Name: "build", Status: Passed, Seconds: 20}, {Name: "abi", Status: Passed, Seconds: 1},
			{Name: "threads: rust tsan", Status: Skipped, Reason: "no nightly toolchain"}, {Name: "fuzz:rules", Status: Failed, Reason: "1 new finding", Seconds: 60}},
		New: []finding.Finding{{Signature: "heap-buffer-overflow READ 1 | parse_rules | operator() | guard", Type: "heap-buffer-overflow READ 1",
			Title: "heap-buffer-overflow READ 1 in parse_rules", Engine: "mutant:cpp-overread", Variant: "asan", Target: "rules", CorpusID: "50a5ef14432d263c",
			Reproduce: "seam repro -engines mutant:cpp-overread -variant asan corpus/rules/50a5ef14432d263c", Excerpt: "==1==ERROR: AddressSanitizer: heap-buffer-overflow\nREAD of size 1",
			Location: "native/cpp/pricing.cpp:161", Frames: []report.Frame{{Func: "parse_rules", File: "native/cpp/pricing.cpp", Line: 161}}, Source: "fuzz"}},
		Known: []finding.Finding{{Signature: "contract-rounding-drift | pricing_quote | tax_cents | rounding drift", Type: "contract-rounding-drift", Title: "drift",
			Engine: "rust", Target: "quote", Reproduce: "seam repro x", FirstSeen: t0.Add(-48 * time.Hour), Source: "fuzz"}},
		Throughput: []Throughput{{Target: "rules", Engine: "cpp,rust", ExecsPerSec: 500, PreviousExecsPerSec: 1000, DropPercent: 50}},
		RSS:        []RSSSeries{{Engine: "cpp", Samples: []RSSSample{{0, 0, 10 << 20}, {1, 1e6, 11 << 20}, {2, 2e6, 12 << 20}}, SlopeBytesPerMillionCalls: 1 << 20}},
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, sampleRun()))
	md := b.String()
	assert.True(t, strings.HasPrefix(md, "# seam nightly: NEW FINDINGS (1)\n"), "verdict first")
	assert.Contains(t, md, "| threads: rust tsan | skipped |", "a skipped step says skipped")
	assert.NotContains(t, md, "| threads: rust tsan | passed |")
	assert.Contains(t, md, "```sh\nseam repro -engines mutant:cpp-overread -variant asan corpus/rules/50a5ef14432d263c\n```")
	assert.Contains(t, md, "⚠ dropped 50%")
	assert.Contains(t, md, "![RSS over time](rss.svg)")
}

func TestJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	r := sampleRun()
	require.NoError(t, WriteJSON(&b, r))
	got, err := ReadJSON(b.Bytes())
	require.NoError(t, err)
	assert.Equal(t, Schema, got.Schema)
	assert.Equal(t, r.New, got.New, "a finding reads back as it was written, frames included")
	assert.Contains(t, b.String(), `"frames": [
        {
          "func": "parse_rules",`, "frames keep report.json's field names")
	_, err = ReadJSON([]byte(`{"schema":"seam.report/v1","extra":1}`))
	assert.Error(t, err, "unknown fields are refused")
	_, err = ReadJSON([]byte(`{"schema":"seam.report/v1","new_findings":[{"signature":"s","extra":1}]}`))
	assert.Error(t, err, "unknown fields of a finding are refused")
}

// JUnit: parsed back with a strict decoder; counts agree with the run.
func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	r := sampleRun()
	require.NoError(t, WriteJUnit(&b, r))
	var doc junitSuites
	dec := xml.NewDecoder(&b)
	dec.Strict = true
	require.NoError(t, dec.Decode(&doc))
	require.Len(t, doc.Suites, 1)
	s := doc.Suites[0]
	assert.Equal(t, len(r.Steps)+len(r.New)+len(r.Known), s.Tests)
	assert.Equal(t, len(s.Cases), s.Tests)
	assert.Equal(t, 2, s.Failures, "one failed step and one new finding")
	assert.Equal(t, 1, s.Skipped)
	for _, c := range s.Cases {
		assert.NotEmpty(t, c.Name)
		assert.NotEmpty(t, c.Classname)
	}
}

// SARIF: checked against the 2.1.0 schema's requirements for what seam emits.
func TestSARIF(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteSARIF(&b, sampleRun()))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, "2.1.0", doc["version"])
	assert.Contains(t, doc["$schema"], "sarif-2.1.0")
	runs := doc["runs"].([]any)
	require.Len(t, runs, 1)
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	assert.Equal(t, "seam", driver["name"])
	ids := map[string]int{}
	for i, r := range driver["rules"].([]any) {
		id := r.(map[string]any)["id"].(string)
		_, dup := ids[id]
		assert.False(t, dup, "rule ids are unique")
		ids[id] = i
	}
	results := run["results"].([]any)
	require.Len(t, results, 2)
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	for _, x := range results {
		r := x.(map[string]any)
		idx, ok := ids[r["ruleId"].(string)]
		require.True(t, ok, "ruleId must name a rule")
		assert.Equal(t, float64(idx), r["ruleIndex"])
		assert.True(t, levels[r["level"].(string)])
		assert.NotEmpty(t, r["message"].(map[string]any)["text"])
		assert.NotEmpty(t, r["partialFingerprints"].(map[string]any)["seamSignature/v1"])
		if locs, ok := r["locations"].([]any); ok {
			pl := locs[0].(map[string]any)["physicalLocation"].(map[string]any)
			assert.Equal(t, "native/cpp/pricing.cpp", pl["artifactLocation"].(map[string]any)["uri"])
			assert.GreaterOrEqual(t, pl["region"].(map[string]any)["startLine"], 1.0)
		}
	}
	assert.Equal(t, "seam/heap-buffer-overflow-read-1", RuleID("heap-buffer-overflow READ 1"))
}

func TestSVGAndSlope(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteRSSPlot(&b, sampleRun().RSS))
	dec := xml.NewDecoder(&b)
	polylines := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	assert.Equal(t, 1, polylines)
	assert.InDelta(t, float64(1<<20), FitSlope(sampleRun().RSS[0].Samples), 1)
	assert.Zero(t, FitSlope(nil))
	require.NoError(t, WriteRSSPlot(&b, []RSSSeries{{Engine: "x", Samples: []RSSSample{{1, 1, 1}}}}), "one sample draws")
}

func TestHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := LoadState(path)
	require.NoError(t, err)
	r := sampleRun()
	r.New = append(r.New, r.Known[0])
	r.Known = nil
	Compare(&r, &st)
	require.NoError(t, SaveState(path, st))
	st2, err := LoadState(path)
	require.NoError(t, err)
	r2 := sampleRun()
	r2.Known = nil
	Compare(&r2, &st2)
	assert.Empty(t, r2.New, "last night's findings are known tonight")
	assert.Len(t, r2.Known, 1)
	assert.Equal(t, 500.0, r2.Throughput[0].PreviousExecsPerSec)
	require.NoError(t, os.WriteFile(path, []byte("{broken"), 0o644))
	_, err = LoadState(path)
	assert.ErrorContains(t, err, path)
}

// issue 16: the nightly report names the targets a known crash still blocks, with the signature
// to fix and its reproduce command, apart from the known crashes the workers fuzzed past.
func TestMarkdownListsTargetsBlockedByKnownCrashes(t *testing.T) {
	const ubsan = "index-out-of-bounds | tier_rate | pricing_quote | guard"
	const asan = "heap-buffer-overflow READ 1 | parse_rules | operator() | guard"
	quote := &KnownTally{Target: "quote"}
	quote.Reproduce(ubsan, "seam repro -engines mutant:cpp-enum-index -variant asan corpus/quote/1")
	quote.Restart(ubsan)
	quote.Restart(ubsan)
	quote.Absorb(map[string]int64{asan: 40})
	describe := &KnownTally{Target: "describe"}
	describe.Absorb(map[string]int64{asan: 2500})
	describe.Reproduce(ubsan, "ignored: never reached on describe")
	r := sampleRun()
	r.KnownCrashes = append(quote.Rows(), describe.Rows()...)
	require.Len(t, r.KnownCrashes, 3, "a known crash the target never reached is no row")

	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, r))
	md := b.String()
	blocked := md[strings.Index(md, "## Targets blocked by a known crash"):]
	blocked = blocked[:strings.Index(blocked, "## Known crashes fuzzed past")]
	assert.Contains(t, blocked, "| quote | `"+cell(ubsan)+"` | 2 | 0 | no | `seam repro -engines mutant:cpp-enum-index -variant asan corpus/quote/1` |")
	assert.NotContains(t, blocked, "describe", "a crash the workers fuzzed past blocks nothing")
	assert.Contains(t, md, "| describe | `"+cell(asan)+"` | 2500 |")
	assert.Contains(t, md, "| quote | `"+cell(asan)+"` | 40 |")

	assert.Equal(t, "[describe] fuzzed past known crash "+asan+": 2500 input(s) dropped, no restart", KnownCrashLine(r.KnownCrashes[2]))
	assert.Contains(t, KnownCrashLine(r.KnownCrashes[0]), "[quote] BLOCKED by known crash "+ubsan+": 2 restart(s)")
}
