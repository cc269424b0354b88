package report

import (
	"regexp"
	"strings"
)

// LeakSanitizer: "ERROR: LeakSanitizer: detected memory leaks", then "Direct leak of N
// byte(s) in M object(s) allocated from:" blocks. The signature comes from the allocation stack
// of the first direct leak (indirect leaks follow from it).
type lsanParser struct{}

var lsanStartRe = regexp.MustCompile(`ERROR: LeakSanitizer: detected memory leaks`)

func (lsanParser) find(lines []string) (int, bool) {
	for i, l := range lines {
		if lsanStartRe.MatchString(l) {
			return i, true
		}
	}
	return 0, false
}

func (lsanParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "lsan", Type: "leak"}
	first := -1
	for j := start + 1; j < len(lines); j++ {
		if strings.HasPrefix(lines[j], "Direct leak of") {
			first = j
			break
		}
		if first < 0 && strings.HasPrefix(lines[j], "Indirect leak of") {
			first = j
		}
		if strings.HasPrefix(lines[j], "SUMMARY:") {
			break
		}
	}
	if first < 0 {
		return r
	}
	r.AllFrames, _ = sanStack(lines, first+1)
	r.Title = "leak: " + strings.TrimSuffix(strings.TrimSpace(lines[first]), " allocated from:")
	return r
}
