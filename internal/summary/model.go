// Package summary writes a run's reports: summary.md (a person reads it in a minute),
// report.json (versioned), junit.xml, results.sarif (SARIF 2.1.0) and an SVG plot of memory
// over time, plus the nightly state file that makes "new since last night" possible. The
// findings are finding.Finding, as the campaign found them. Generic: it knows nothing about the
// boundary under test.
package summary

import (
	"time"

	"github.com/seamfuzz/seam/internal/finding"
)

// Schema of report.json.
const Schema = "seam.report/v1"

// Run is one nightly run.
type Run struct {
	Schema     string            `json:"schema"`
	Started    time.Time         `json:"started"`
	Finished   time.Time         `json:"finished"`
	Budget     string            `json:"budget"`
	Host       string            `json:"host"`
	Verdict    string            `json:"verdict"` // clean | new-findings | error
	Steps      []Step            `json:"steps"`
	New        []finding.Finding `json:"new_findings"`
	Known      []finding.Finding `json:"known_findings"`
	Throughput []Throughput      `json:"throughput"`
	RSS        []RSSSeries       `json:"rss,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
}

// Step results.
const (
	Passed  = "passed"
	Failed  = "failed"
	Skipped = "skipped"
	Errored = "error"
)

// Step is one part of the run.
type Step struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Reason  string  `json:"reason,omitempty"`
	Seconds float64 `json:"seconds"`
	Detail  string  `json:"detail,omitempty"`
}

// Throughput of one target.
type Throughput struct {
	Target              string  `json:"target"`
	Engine              string  `json:"engine"`
	ExecsPerSec         float64 `json:"execs_per_sec"`
	PreviousExecsPerSec float64 `json:"previous_execs_per_sec,omitempty"`
	DropPercent         float64 `json:"drop_percent,omitempty"`
}

// RSSSample is one memory reading.
type RSSSample struct {
	Seconds  float64 `json:"seconds"`
	Calls    int64   `json:"calls"`
	RSSBytes int64   `json:"rss_bytes"`
}

// RSSSeries is memory over time of one engine under stress.
type RSSSeries struct {
	Engine                    string      `json:"engine"`
	Samples                   []RSSSample `json:"samples"`
	SlopeBytesPerMillionCalls float64     `json:"slope_bytes_per_million_calls"`
}
