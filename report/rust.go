package report

import (
	"regexp"
	"strings"
)

// Rust panics: "thread 'x' panicked at src/lib.rs:104:9:" with the message on the next line
// (older: "panicked at 'msg', src/lib.rs:104:9"), an optional RUST_BACKTRACE stack, and, when
// the panic reached an extern "C" function, "panic in a function that cannot unwind" and an
// abort. The first panic is the bug; the second only says it crossed the boundary.
type rustParser struct{}

var (
	rustPanicRe    = regexp.MustCompile(`^thread '.*?'(?: \(\d+\))? panicked at (.+?):(\d+):(\d+):?$`)
	rustPanicOldRe = regexp.MustCompile(`^thread '.*?' panicked at '(.*)', (.+?):(\d+)(?::(\d+))?$`)
	// The old format's message may span lines ("assertion failed: `(left == right)`\n  left:").
	rustPanicOldStartRe = regexp.MustCompile(`^thread '.*?' panicked at '(.*)$`)
	rustPanicOldEndRe   = regexp.MustCompile(`^(.*)', (.+?):(\d+)(?::(\d+))?$`)
	rustFrameRe         = regexp.MustCompile(`^\s*\d+:\s+(?:0x[0-9a-f]+ - )?(.+)$`)
	rustAtRe            = regexp.MustCompile(`^\s+at (.+?):(\d+)(?::\d+)?$`)
)

func (rustParser) find(lines []string) (int, bool) {
	return firstMatch(lines, rustPanicRe, rustPanicOldRe, rustPanicOldStartRe)
}

func (rustParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "rust", Type: "rust-panic"}
	var file, msg string
	var line int
	if m := rustPanicOldRe.FindStringSubmatch(lines[start]); m != nil {
		msg, file, line = m[1], m[2], atoi(m[3])
	} else if m := rustPanicRe.FindStringSubmatch(lines[start]); m != nil && !rustPanicOldStartRe.MatchString(lines[start]) {
		file, line = m[1], atoi(m[2])
		if start+1 < len(lines) {
			msg = strings.TrimSpace(lines[start+1])
		}
	} else {
		msg = rustPanicOldStartRe.FindStringSubmatch(lines[start])[1]
		for j := start + 1; j < len(lines) && j < start+20; j++ {
			if m := rustPanicOldEndRe.FindStringSubmatch(lines[j]); m != nil {
				file, line = m[2], atoi(m[3])
				break
			}
		}
	}
	for _, l := range lines[start+1:] {
		if strings.Contains(l, "panic in a function that cannot unwind") || strings.Contains(l, "panic in a destructor during cleanup") {
			r.Type = "rust-panic-cannot-unwind"
			break
		}
	}
	// The backtrace of the first panic, if RUST_BACKTRACE was set.
	for j := start + 1; j < len(lines); j++ {
		if rustPanicRe.MatchString(lines[j]) {
			break // the next panic's backtrace is not ours
		}
		if strings.TrimSpace(lines[j]) != "stack backtrace:" {
			continue
		}
		k := j + 1
		for ; k < len(lines); k++ {
			m := rustFrameRe.FindStringSubmatch(lines[k])
			if m == nil {
				if rustAtRe.MatchString(lines[k]) {
					continue // more "at" lines: frames inlined into this one
				}
				break
			}
			f := Frame{Func: m[1]}
			if k+1 < len(lines) {
				if at := rustAtRe.FindStringSubmatch(lines[k+1]); at != nil {
					f.File, f.Line = at[1], atoi(at[2])
					k++
				}
			}
			r.AllFrames = append(r.AllFrames, f)
		}
		if restBlank(lines, k) && len(r.AllFrames) > 0 {
			r.damage, r.damageAt = "the report is cut inside the backtrace", len(r.AllFrames)-1
		}
		break
	}
	if len(r.AllFrames) == 0 || allSkipped(r.AllFrames, "rust") {
		// No RUST_BACKTRACE: a sanitizer or libFuzzer that caught the abort printed the stack.
		for j := start + 1; j < len(lines); j++ {
			if sanErrorRe.MatchString(lines[j]) || strings.Contains(lines[j], "ERROR: libFuzzer: deadly signal") {
				s := sanStack(lines, j+1)
				if !allSkipped(s.frames, "rust") {
					r.AllFrames, r.damage, r.damageAt = s.frames, s.damage, s.at
				}
				break
			}
		}
	}
	if len(r.AllFrames) == 0 || allSkipped(r.AllFrames, "rust") {
		// No stack at all: the panic location is the one frame there is.
		r.AllFrames = append(r.AllFrames, Frame{File: file, Line: line})
		r.damage = ""
	}
	r.Title = r.Type
	if fn := firstFunc(r.AllFrames, "rust"); fn != "" {
		r.Title += " in " + fn
	}
	r.Title += ": " + msg
	return r
}

// restBlank reports whether lines[i:] holds nothing: the input ended there.
func restBlank(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return false
		}
	}
	return true
}
