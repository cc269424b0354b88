// Package finding turns the outcome of an isolated run into a signed finding: a crash, hang or
// leak through the report parser, and a non-crash finding (a mismatch, a contract breach)
// through the boundary's own error parser. Every command that finds things uses it, so a bug
// has the same signature whoever found it.
package finding

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/report"
)

// Finding is one signed problem, from the run that finds it to the nightly report: the
// classifier fills what the report says, the campaign that found it where and how to get it
// back. Its JSON form is a finding of report.json (seam.report/v1).
type Finding struct {
	Kind      string `json:"-"` // crash, hang, leak, violation
	Signature string `json:"signature"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Engine    string `json:"engine"` // the engine specs it was found on, comma-separated
	Variant   string `json:"variant"`
	Target    string `json:"target"`
	CorpusID  string `json:"corpus_id,omitempty"`
	Reproduce string `json:"reproduce"` // the exact command that reproduces it
	Excerpt   string `json:"report_excerpt,omitempty"`
	Location  string `json:"location,omitempty"`
	// Frames are written as report.json's frames (func, file, line).
	Frames    []report.Frame `json:"-"`
	FirstSeen time.Time      `json:"first_seen"`
	Source    string         `json:"source"` // fuzz | stress | threads | replay | abi

	// Input is the input that triggers it, when there is one to store.
	Input []byte `json:"-"`
	// New: this run added it to the corpus (no entry had its signature).
	New bool `json:"-"`
	// Note qualifies it, e.g. that it did not reproduce in isolation.
	Note string `json:"-"`
	// FoundAfter is the time from the start of its target's fuzzing to the finding.
	FoundAfter time.Duration `json:"-"`
}

// jsonFrame is a frame as report.json has it (report.Frame has no JSON form of its own).
type jsonFrame struct {
	Func string `json:"func"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// plain is Finding without its JSON methods.
type plain Finding

// MarshalJSON writes the finding as report.json has it.
func (f Finding) MarshalJSON() ([]byte, error) {
	w := struct {
		plain
		Frames []jsonFrame `json:"frames,omitempty"`
	}{plain: plain(f)}
	for _, fr := range f.Frames {
		w.Frames = append(w.Frames, jsonFrame{Func: fr.Func, File: fr.File, Line: fr.Line})
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a finding of report.json strictly, like the rest of the report.
func (f *Finding) UnmarshalJSON(b []byte) error {
	var r struct {
		plain
		Frames []jsonFrame `json:"frames,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return err
	}
	*f = Finding(r.plain)
	for _, fr := range r.Frames {
		f.Frames = append(f.Frames, report.Frame{Func: fr.Func, File: fr.File, Line: fr.Line})
	}
	return nil
}

// Violation signs a non-crash finding from its message; the caller supplies it
// (fuzz.SignViolation for every contract's targets).
type Violation func(msg string) (signature, typ string, ok bool)

// FromResult classifies one isolated input; ok is false for a clean pass.
func FromResult(r isolate.Result, violation Violation) (Finding, bool) {
	switch r.Outcome {
	case isolate.Passed, isolate.NotRun:
		return Finding{}, false
	case isolate.Finding:
		f := Finding{Kind: "violation", Title: r.Message, Excerpt: r.Message}
		if violation != nil {
			if sig, typ, ok := violation(r.Message); ok {
				f.Signature, f.Type = sig, typ
			}
		}
		if f.Signature == "" {
			f.Type = "finding"
			f.Signature = "finding | " + firstLine(r.Message)
		}
		return f, true
	}
	if r.Outcome == isolate.Hung && r.InLeakCheck {
		// A leak check that drowned in leaks is a leak, not a hang of the engine (issue 16).
		return Finding{Kind: "leak", Type: "leak-check-timeout", Signature: "leak-check-timeout",
			Title: "the input ran to its end but leaked too much for LeakSanitizer to report in time", Excerpt: string(r.Output)}, true
	}
	return FromOutput(r.Output, r.Outcome == isolate.Hung, r.ExitCode), true
}

// FromOutput signs a crash from the output of the process that died.
func FromOutput(out []byte, hung bool, exitCode int) Finding {
	f := Finding{Kind: "crash"}
	if hung {
		f.Kind = "hang"
	}
	rep, ok := report.Parse(out)
	if !ok {
		// Died without a report we know: still a finding, signed by how it died.
		f.Type = "unknown-crash"
		if hung {
			f.Type = "hang"
		}
		f.Signature = f.Type
		f.Title = f.Type + ": the process died without a recognised report"
		f.Excerpt = Tail(string(out), 30)
		return f
	}
	if rep.Source == "lsan" { // "leak", or "indirect-leak" when the log has no direct one
		f.Kind = "leak"
	}
	f.Signature, f.Type, f.Title, f.Location, f.Excerpt, f.Frames = rep.Signature, rep.Type, rep.Title, rep.Location, rep.Excerpt, rep.Frames
	return f
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Head returns the first n lines of s.
func Head(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
