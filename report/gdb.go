package report

import (
	"regexp"
	"strings"
)

// gdb: "Program received signal SIGSEGV, Segmentation fault." (or "Thread 2 "x" received
// signal ...") and the "bt" that follows, "#0  0x... in func (args) at file:line". A libFuzzer
// summary printed after it ("==N== ERROR: libFuzzer: deadly signal") shows only the fuzzer's
// signal handler; the gdb stack is the crash.
type gdbParser struct{}

var (
	gdbSignalRe = regexp.MustCompile(`^(?:Program|Thread \d+ .*) received signal (SIG[A-Z]+)`)
	gdbFrameRe  = regexp.MustCompile(`^#(\d+)\s+(?:0x[0-9a-f]+ in )?((?:\(anonymous namespace\)::)?[^ (]+) \(.*?\)(?: at (\S+?):(\d+))?(?: from (\S+))?\s*$`)
)

func (gdbParser) find(lines []string) (int, bool) { return firstMatch(lines, gdbSignalRe) }

func (gdbParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "gdb", Type: "fatal-signal " + gdbSignalRe.FindStringSubmatch(lines[start])[1]}
	seen := false
	for _, l := range lines[start+1:] {
		m := gdbFrameRe.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			if seen {
				break
			}
			continue
		}
		if m[1] == "0" && seen {
			break // the next thread's stack
		}
		seen = true
		r.AllFrames = append(r.AllFrames, Frame{Func: m[2], File: m[3], Line: atoi(m[4]), Module: m[5]})
	}
	if len(r.AllFrames) == 0 {
		r.Corrupted = "no backtrace after the signal"
	}
	return r
}
