// Package summary writes a run's reports: summary.md (a person reads it in a minute),
// report.json (versioned), junit.xml, results.sarif (SARIF 2.1.0) and an SVG plot of memory
// over time, plus the nightly state file that makes "new since last night" possible. The
// findings are finding.Finding, as the campaign found them. Generic: it knows nothing about the
// boundary under test.
package summary

import (
	"fmt"
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
	Boundaries []Boundary        `json:"boundaries,omitempty"`
	Steps      []Step            `json:"steps"`
	New        []finding.Finding `json:"new_findings"`
	Known      []finding.Finding `json:"known_findings"`
	Throughput []Throughput      `json:"throughput"`
	RSS        []RSSSeries       `json:"rss,omitempty"`
	// KnownCrashes are the known crashes fuzz targets kept reaching (issue 16), blocking or not.
	KnownCrashes []KnownCrash `json:"known_crashes,omitempty"`
	Notes        []string     `json:"notes,omitempty"`
}

// Boundary is one boundary the run covered.
type Boundary struct {
	Name     string   `json:"name"`
	Contract string   `json:"contract"`
	Engines  []string `json:"engines"`
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

// KnownCrash is a known, unfixed crash that a fuzz target kept reaching during the run.
type KnownCrash struct {
	Target    string `json:"target"`
	Signature string `json:"signature"`
	Reproduce string `json:"reproduce,omitempty"`
	// Restarts counts the go test -fuzz restarts it cost: the worker could not continue past it
	// (UBSan, a guard-page fault, a Rust abort), so every hit re-ran the fuzzer's baseline.
	Restarts int `json:"restarts"`
	// Absorbed counts the inputs workers dropped and kept fuzzing past (ASan reports).
	Absorbed int64 `json:"absorbed"`
	// StoppedEarly: the target gave up its budget on it (only known crashes, many in a row).
	StoppedEarly bool `json:"stopped_early,omitempty"`
}

// Blocks says whether the crash still costs the target fuzzing time: it ended the fuzzer at
// least once (a restart re-runs the whole baseline) or made the target stop early.
func (k KnownCrash) Blocks() bool { return k.Restarts > 0 || k.StoppedEarly }

// KnownTally collects one fuzz target's KnownCrash rows while it runs.
type KnownTally struct {
	Target string
	rows   map[string]*KnownCrash
	order  []string
}

func (t *KnownTally) row(sig string) *KnownCrash {
	if t.rows == nil {
		t.rows = map[string]*KnownCrash{}
	}
	k := t.rows[sig]
	if k == nil {
		k = &KnownCrash{Target: t.Target, Signature: sig}
		t.rows[sig] = k
		t.order = append(t.order, sig)
	}
	return k
}

// Reproduce records the command that reproduces sig (the first one given is kept).
func (t *KnownTally) Reproduce(sig, cmd string) {
	if k := t.row(sig); k.Reproduce == "" {
		k.Reproduce = cmd
	}
}

// Restart counts a go test -fuzz restart spent on the known crash sig.
func (t *KnownTally) Restart(sig string) { t.row(sig).Restarts++ }

// Stopped marks the target as having stopped early on sig.
func (t *KnownTally) Stopped(sig string) { t.row(sig).StoppedEarly = true }

// Absorb adds the inputs workers fuzzed past, per signature.
func (t *KnownTally) Absorb(hits map[string]int64) {
	for sig, n := range hits {
		t.row(sig).Absorbed += n
	}
}

// Rows are the known crashes in the order first seen: blocking ones are marked by Blocks.
func (t *KnownTally) Rows() []KnownCrash {
	out := make([]KnownCrash, 0, len(t.order))
	for _, s := range t.order {
		if k := t.rows[s]; k.Restarts > 0 || k.Absorbed > 0 || k.StoppedEarly {
			out = append(out, *k)
		}
	}
	return out
}

// KnownCrashLine is the one-line form of k for a terminal.
func KnownCrashLine(k KnownCrash) string {
	if k.Blocks() {
		s := fmt.Sprintf("[%s] BLOCKED by known crash %s: %d restart(s), %d input(s) fuzzed past", k.Target, k.Signature, k.Restarts, k.Absorbed)
		if k.StoppedEarly {
			s += ", stopped early"
		}
		if k.Reproduce != "" {
			s += "\n    fix it: " + k.Reproduce
		}
		return s
	}
	return fmt.Sprintf("[%s] fuzzed past known crash %s: %d input(s) dropped, no restart", k.Target, k.Signature, k.Absorbed)
}
