package report

import (
	"regexp"
	"strings"
)

// LeakSanitizer: "ERROR: LeakSanitizer: detected memory leaks", then "Direct leak of N
// byte(s) in M object(s) allocated from:" blocks. The signature comes from the allocation
// stack of the first direct leak anywhere in the log (a multi-process run prints one LSan
// report per process; an indirect leak only follows from a direct one). Only when there is no
// direct leak at all (a reference cycle) is the first indirect leak signed, as "indirect-leak".
type lsanParser struct{}

var (
	lsanStartRe    = regexp.MustCompile(`ERROR: LeakSanitizer: detected memory leaks`)
	lsanDirectRe   = regexp.MustCompile(`^\s*Direct leak of `)
	lsanIndirectRe = regexp.MustCompile(`^\s*Indirect leak of `)
)

func (lsanParser) find(lines []string) (int, bool) { return firstMatch(lines, lsanStartRe) }

func (lsanParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "lsan", Type: "leak"}
	direct, indirect := -1, -1
	for j := start + 1; j < len(lines) && direct < 0; j++ {
		switch {
		case lsanDirectRe.MatchString(lines[j]):
			direct = j
		case indirect < 0 && lsanIndirectRe.MatchString(lines[j]):
			indirect = j
		}
	}
	first := direct
	if first < 0 {
		first, r.Type = indirect, "indirect-leak"
	}
	if first < 0 {
		r.Corrupted = "no leak block in the report"
		return r
	}
	s := sanStack(lines, first+1)
	r.AllFrames, r.damage, r.damageAt = s.frames, s.damage, s.at
	r.Title = "leak: " + strings.TrimSuffix(strings.TrimSpace(lines[first]), " allocated from:")
	if r.Type == "indirect-leak" {
		r.Title = "indirect-" + r.Title
	}
	if len(s.frames) == 0 {
		r.Corrupted = "no allocation stack for the leak"
	}
	return r
}
