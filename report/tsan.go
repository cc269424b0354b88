package report

import (
	"regexp"
	"strings"
)

// ThreadSanitizer: "WARNING: ThreadSanitizer: data race (pid=N)" then "Write of size 8 at ...
// by thread T1:" and its stack; the first access's stack is the signature's. A signal in a
// TSan build is "==PID==ERROR: ThreadSanitizer: SEGV on unknown address".
type tsanParser struct{}

var (
	tsanStartRe  = regexp.MustCompile(`WARNING: ThreadSanitizer: ([a-z-]+(?: [a-z-]+)*)`)
	tsanAccessRe = regexp.MustCompile(`^(?:Atomic )?(Read|Write) of size (\d+) at`)
)

func (tsanParser) find(lines []string) (int, bool) {
	sig, sigOK := findSanError(lines, "ThreadSanitizer")
	for i, l := range lines {
		if sigOK && i >= sig {
			break
		}
		if tsanStartRe.MatchString(l) {
			return i, true
		}
	}
	return sig, sigOK
}

func (tsanParser) parse(lines []string, start int) *Report {
	if sanErrorRe.MatchString(lines[start]) {
		return parseSanError(lines, start, "tsan")
	}
	what := tsanStartRe.FindStringSubmatch(lines[start])[1]
	kind := strings.ReplaceAll(strings.TrimSpace(what), " ", "-")
	if kind == "heap-use-after-free" {
		kind = "tsan-heap-use-after-free"
	}
	r := &Report{Source: "tsan", Type: kind}
	for j := start + 1; j < len(lines) && j < start+4; j++ {
		if m := tsanAccessRe.FindStringSubmatch(strings.TrimSpace(lines[j])); m != nil {
			r.head = kind + " " + strings.ToUpper(m[1]) + " " + m[2]
			break
		}
	}
	s := sanStack(lines, start+1)
	r.AllFrames, r.damage, r.damageAt = s.frames, s.damage, s.at
	if len(s.frames) == 0 {
		r.Corrupted = "no stack frames in the report"
	}
	return r
}
