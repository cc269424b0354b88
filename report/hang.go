package report

import (
	"regexp"
	"strings"
)

// Hangs: seam's own block "==seam== HANG: no progress for 10s in <kind> input <id>", followed
// by gdb's "thread apply all bt" (when gdb is installed) and the Go SIGABRT dump. The native
// frames come from the gdb thread that is inside a cgo call.
type hangParser struct{}

var hangStartRe = regexp.MustCompile(`==seam== HANG: (.+)$`)

func (hangParser) find(lines []string) (int, bool) { return firstMatch(lines, hangStartRe) }

func (hangParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "hang", Type: "hang", Title: "hang: " + hangStartRe.FindStringSubmatch(lines[start])[1]}
	var stacks [][]Frame
	var cur []Frame
	for _, l := range lines[start+1:] {
		if strings.HasPrefix(l, "Thread ") {
			if len(cur) > 0 {
				stacks = append(stacks, cur)
			}
			cur = nil
			continue
		}
		if m := gdbFrameRe.FindStringSubmatch(l); m != nil {
			cur = append(cur, Frame{Func: m[2], File: m[3], Line: atoi(m[4]), Module: m[5]})
		}
	}
	if len(cur) > 0 {
		stacks = append(stacks, cur)
	}
	for _, s := range stacks {
		for _, f := range s {
			if strings.Contains(f.Func, "_Cfunc_") || strings.HasPrefix(f.Func, "_cgo_") {
				r.AllFrames = s
				break
			}
		}
		if r.AllFrames != nil {
			break
		}
	}
	if r.AllFrames == nil {
		// No gdb: the Go dump's cgo-calling goroutine still names the operation.
		if at, ok := (goParser{}).find(lines[start+1:]); ok {
			if g := (goParser{}).parse(lines[start+1:], at); g != nil {
				r.AllFrames = g.AllFrames
			}
		}
	}
	return r
}
