// Package finding turns the outcome of an isolated run into a signed finding: a crash, hang or
// leak through the report parser, and a non-crash finding (a mismatch, a contract breach)
// through the boundary's own error parser. Every command that finds things uses it, so a bug
// has the same signature whoever found it.
package finding

import (
	"strings"

	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/report"
)

// Finding is one signed problem.
type Finding struct {
	Kind      string // crash, hang, leak, violation
	Signature string
	Type      string
	Title     string
	Location  string
	Excerpt   string
	Frames    []report.Frame
}

// Violation signs a non-crash finding from its message; the boundary package supplies it
// (fuzz.ParseViolation for the pricing contract).
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
	if rep.Type == "leak" {
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
