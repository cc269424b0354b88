package report

import (
	"regexp"
	"strconv"
	"strings"
)

// Rust panics: "thread 'x' panicked at src/lib.rs:104:9:" with the message on the next line
// (older: "panicked at 'msg', src/lib.rs:104:9"), an optional RUST_BACKTRACE stack, and, when
// the panic reached an extern "C" function, "panic in a function that cannot unwind" and an
// abort. The first panic is the bug; the second only says it crossed the boundary.
type rustParser struct{}

var (
	rustPanicRe    = regexp.MustCompile(`^thread '.*?'(?: \(\d+\))? panicked at (.+?):(\d+):(\d+):?$`)
	rustPanicOldRe = regexp.MustCompile(`^thread '.*?' panicked at '(.*)', (.+?):(\d+):(\d+)$`)
	rustFrameRe    = regexp.MustCompile(`^\s*\d+:\s+(?:0x[0-9a-f]+ - )?(.+)$`)
	rustAtRe       = regexp.MustCompile(`^\s+at (.+?):(\d+)(?::\d+)?$`)
)

func (rustParser) find(lines []string) (int, bool) {
	for i, l := range lines {
		if rustPanicRe.MatchString(l) || rustPanicOldRe.MatchString(l) {
			return i, true
		}
	}
	return 0, false
}

func (rustParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "rust", Type: "rust-panic"}
	var file, msg string
	var line int
	if m := rustPanicRe.FindStringSubmatch(lines[start]); m != nil {
		file, line = m[1], atoi(m[2])
		if start+1 < len(lines) {
			msg = strings.TrimSpace(lines[start+1])
		}
	} else if m := rustPanicOldRe.FindStringSubmatch(lines[start]); m != nil {
		msg, file, line = m[1], m[2], atoi(m[3])
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
		for k := j + 1; k < len(lines); k++ {
			m := rustFrameRe.FindStringSubmatch(lines[k])
			if m == nil {
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
		break
	}
	if len(r.AllFrames) == 0 || allSkipped(r.AllFrames) {
		// No backtrace: the panic location is the one frame there is.
		r.AllFrames = append(r.AllFrames, Frame{File: file, Line: line})
	}
	r.Title = r.Type
	if fn := firstFunc(r.AllFrames); fn != "" {
		r.Title += " in " + fn
	}
	r.Title += ": " + msg
	return r
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func allSkipped(fs []Frame) bool {
	for _, f := range fs {
		g := f
		g.Func, g.File = normalizeFunc(g.Func), normalizeFile(g.File)
		if !skipFrame(g) {
			return false
		}
	}
	return true
}

func firstFunc(fs []Frame) string {
	for _, f := range fs {
		g := f
		g.Func, g.File = normalizeFunc(g.Func), normalizeFile(g.File)
		if !skipFrame(g) && g.Func != "" {
			return g.Func
		}
	}
	return ""
}
