package report

import (
	"regexp"
	"strings"
)

// AddressSanitizer: "==PID==ERROR: AddressSanitizer: <kind> on address ..." then the access
// ("READ of size 1 at ...") and the stack of the bad access.
type asanParser struct{}

var (
	asanStartRe  = regexp.MustCompile(`==\d+==ERROR: AddressSanitizer: (.+)$`)
	asanAccessRe = regexp.MustCompile(`^(READ|WRITE) of size (\d+) at`)
	asanSegvRe   = regexp.MustCompile(`The signal is caused by a (READ|WRITE) memory access`)
)

func (asanParser) find(lines []string) (int, bool) {
	for i, l := range lines {
		if m := asanStartRe.FindStringSubmatch(l); m != nil && !strings.HasPrefix(m[1], "LeakSanitizer") {
			return i, true
		}
	}
	return 0, false
}

func (asanParser) parse(lines []string, start int) *Report {
	what := asanStartRe.FindStringSubmatch(lines[start])[1]
	typ := asanKind(what)
	for j := start + 1; j < len(lines) && j < start+6; j++ {
		if m := asanAccessRe.FindStringSubmatch(lines[j]); m != nil {
			// ClusterFuzz keeps natural access sizes; an odd size (a string function reading
			// to a missing NUL) depends on the input, so it is not part of the type.
			size := m[2]
			switch size {
			case "1", "2", "4", "8", "16":
			default:
				size = "{*}"
			}
			typ += " " + m[1] + " " + size
			break
		}
		if m := asanSegvRe.FindStringSubmatch(lines[j]); m != nil {
			typ += " " + m[1]
			break
		}
	}
	frames, _ := sanStack(lines, start+1)
	return &Report{Source: "asan", Type: typ, AllFrames: frames}
}

// asanKind maps the error line to a stable type.
func asanKind(what string) string {
	switch {
	case strings.HasPrefix(what, "attempting double-free"):
		return "double-free"
	case strings.HasPrefix(what, "attempting free on address which was not malloc"):
		return "bad-free"
	case strings.HasPrefix(what, "SEGV on unknown address"):
		return "SEGV"
	case strings.HasPrefix(what, "stack-overflow"):
		return "stack-overflow"
	case strings.HasPrefix(what, "alloc-dealloc-mismatch"):
		return "alloc-dealloc-mismatch"
	case strings.HasPrefix(what, "new-delete-type-mismatch"):
		return "new-delete-type-mismatch"
	}
	// "heap-buffer-overflow on address 0x...", "heap-use-after-free on address ...", ...
	if i := strings.Index(what, " on "); i > 0 {
		what = what[:i]
	}
	if i := strings.Index(what, ":"); i > 0 {
		what = what[:i]
	}
	if what = strings.TrimSpace(what); what == "" {
		return "asan-error"
	}
	return what
}
