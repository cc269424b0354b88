package report

import (
	"regexp"
	"strings"
)

// AddressSanitizer: "==PID==ERROR: AddressSanitizer: <kind> on address ..." then the access
// ("READ of size 1 at ...") and the stack of the bad access; for a signal (SEGV, BUS, FPE,
// ILL, ABRT, TRAP) "<SIG> on unknown address" and the stack where it arrived.
type asanParser struct{}

// sanErrorRe is the error line every sanitizer prints; the tool decides the source.
var sanErrorRe = regexp.MustCompile(`==\d+==\s?ERROR: (AddressSanitizer|HWAddressSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|MemorySanitizer): (.+)$`)

var (
	asanAccessRe = regexp.MustCompile(`^(READ|WRITE) of size (\d+) at`)
	asanSegvRe   = regexp.MustCompile(`The signal is caused by a (READ|WRITE) memory access`)
)

func findSanError(lines []string, tools ...string) (int, bool) {
	for i, l := range lines {
		if m := sanErrorRe.FindStringSubmatch(l); m != nil {
			for _, t := range tools {
				if m[1] == t {
					return i, true
				}
			}
		}
	}
	return 0, false
}

func (asanParser) find(lines []string) (int, bool) {
	return findSanError(lines, "AddressSanitizer", "HWAddressSanitizer")
}

func (asanParser) parse(lines []string, start int) *Report {
	return parseSanError(lines, start, "asan")
}

// parseSanError parses a sanitizer ERROR report: its kind, the access (kept in the title, not
// in the type: the same bug read with another length is the same bug, as ClusterFuzz groups
// it) and the first stack.
func parseSanError(lines []string, start int, source string) *Report {
	what := sanErrorRe.FindStringSubmatch(lines[start])[2]
	typ := sanKind(what)
	head := typ
	for j := start + 1; j < len(lines) && j < start+8; j++ {
		if m := asanAccessRe.FindStringSubmatch(strings.TrimSpace(lines[j])); m != nil {
			typ += " " + m[1]
			head = typ + " " + m[2]
			break
		}
		if m := asanSegvRe.FindStringSubmatch(lines[j]); m != nil {
			typ += " " + m[1]
			head = typ
			break
		}
		if _, _, ok := parseSanFrame(lines[j]); ok {
			break
		}
	}
	s := sanStack(lines, start+1)
	r := &Report{Source: source, Type: typ, AllFrames: s.frames, head: head, damage: s.damage, damageAt: s.at}
	if len(s.frames) == 0 {
		r.Corrupted = "no stack frames in the report"
	}
	return r
}

// sanKind maps the error line to a stable type.
func sanKind(what string) string {
	switch {
	case strings.HasPrefix(what, "attempting double-free"):
		return "double-free"
	case strings.HasPrefix(what, "attempting free on address which was not malloc"):
		return "bad-free"
	case strings.HasPrefix(what, "stack-overflow"):
		return "stack-overflow"
	case strings.HasPrefix(what, "alloc-dealloc-mismatch"):
		return "alloc-dealloc-mismatch"
	case strings.HasPrefix(what, "new-delete-type-mismatch"):
		return "new-delete-type-mismatch"
	case strings.HasPrefix(what, "access-violation"):
		return "SEGV"
	}
	// "heap-buffer-overflow on address 0x...", "SEGV on unknown address ...", "ILL on ...",
	// "BUS on unknown address (pc ...)".
	if i := strings.Index(what, " on "); i > 0 {
		what = what[:i]
	}
	if i := strings.IndexAny(what, ":("); i > 0 {
		what = what[:i]
	}
	if what = strings.TrimSpace(what); what == "" {
		return "sanitizer-error"
	}
	return what
}
