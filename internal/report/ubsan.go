package report

import (
	"regexp"
	"strconv"
	"strings"
)

// UndefinedBehaviorSanitizer: "file:line:col: runtime error: <what>" and, with
// print_stacktrace=1, a sanitizer-format stack.
type ubsanParser struct{}

var ubsanStartRe = regexp.MustCompile(`^(\S+?):(\d+):(\d+): runtime error: (.+)$`)

func (ubsanParser) find(lines []string) (int, bool) {
	for i, l := range lines {
		if ubsanStartRe.MatchString(strings.TrimSpace(l)) {
			return i, true
		}
	}
	return 0, false
}

var ubsanKinds = []struct{ prefix, kind string }{
	{"signed integer overflow", "signed-integer-overflow"},
	{"unsigned integer overflow", "unsigned-integer-overflow"},
	{"negation of", "signed-integer-overflow"},
	{"division by zero", "division-by-zero"},
	{"shift exponent", "shift-out-of-bounds"},
	{"left shift of", "shift-out-of-bounds"},
	{"index ", "index-out-of-bounds"},
	{"load of misaligned", "misaligned-access"},
	{"store to misaligned", "misaligned-access"},
	{"member access within misaligned", "misaligned-access"},
	{"load of null pointer", "null-pointer-use"},
	{"store to null pointer", "null-pointer-use"},
	{"member access within null pointer", "null-pointer-use"},
	{"reference binding to null pointer", "null-pointer-use"},
	{"load of value", "invalid-value"},
	{"pointer index expression", "pointer-overflow"},
	{"applying non-zero offset", "pointer-overflow"},
	{"execution reached an unreachable", "unreachable"},
	{"null pointer passed as argument", "nonnull-argument"},
}

func (ubsanParser) parse(lines []string, start int) *Report {
	m := ubsanStartRe.FindStringSubmatch(strings.TrimSpace(lines[start]))
	what := m[4]
	kind := "undefined-behavior"
	for _, k := range ubsanKinds {
		if strings.HasPrefix(what, k.prefix) {
			kind = k.kind
			break
		}
	}
	frames, _ := sanStack(lines, start+1)
	if len(frames) == 0 {
		line, _ := strconv.Atoi(m[2])
		frames = []Frame{{File: m[1], Line: line}}
	}
	r := &Report{Source: "ubsan", Type: kind, AllFrames: frames}
	r.Title = kind + ": " + what
	return r
}
