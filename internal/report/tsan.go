package report

import (
	"regexp"
	"strings"
)

// ThreadSanitizer: "WARNING: ThreadSanitizer: data race (pid=N)" then "Write of size 8 at ...
// by thread T1:" and its stack; the first access's stack is the signature's.
type tsanParser struct{}

var tsanStartRe = regexp.MustCompile(`WARNING: ThreadSanitizer: ([a-z-]+(?: [a-z-]+)*)`)

func (tsanParser) find(lines []string) (int, bool) {
	for i, l := range lines {
		if tsanStartRe.MatchString(l) {
			return i, true
		}
	}
	return 0, false
}

func (tsanParser) parse(lines []string, start int) *Report {
	what := tsanStartRe.FindStringSubmatch(lines[start])[1]
	kind := strings.ReplaceAll(strings.TrimSpace(what), " ", "-")
	if kind == "heap-use-after-free" {
		kind = "tsan-heap-use-after-free"
	}
	frames, _ := sanStack(lines, start+1)
	return &Report{Source: "tsan", Type: kind, AllFrames: frames}
}
