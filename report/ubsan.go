package report

import (
	"regexp"
	"strings"
)

// UndefinedBehaviorSanitizer: "file:line:col: runtime error: <what>" and, with
// print_stacktrace=1, a sanitizer-format stack; or, for a signal in a UBSan-only build,
// "==PID==ERROR: UndefinedBehaviorSanitizer: ILL on unknown address" and its stack.
type ubsanParser struct{}

var ubsanStartRe = regexp.MustCompile(`^(\S+?):(\d+):(\d+): runtime error: (.+)$`)

func (ubsanParser) find(lines []string) (int, bool) {
	sig, sigOK := findSanError(lines, "UndefinedBehaviorSanitizer")
	for i, l := range lines {
		if sigOK && i >= sig {
			break
		}
		if ubsanStartRe.MatchString(strings.TrimSpace(l)) {
			return i, true
		}
	}
	return sig, sigOK
}

// ubsanKinds is ClusterFuzz's UBSAN_CRASH_TYPES_MAP (matched anywhere in the message, in
// this order) with seam's type names.
var ubsanKinds = []struct {
	re   *regexp.Regexp
	kind string
}{
	{regexp.MustCompile(`division by zero`), "division-by-zero"},
	{regexp.MustCompile(`outside the range of representable values`), "float-cast-overflow"},
	{regexp.MustCompile(`implicit conversion from type`), "implicit-conversion"},
	{regexp.MustCompile(`call to function \S+ through pointer to incorrect function type`), "function-type-mismatch"},
	{regexp.MustCompile(`out of bounds for type`), "index-out-of-bounds"},
	{regexp.MustCompile(`not a valid value for type '(bool|BOOL)'`), "invalid-bool-value"},
	{regexp.MustCompile(`, which is not a valid argument`), "invalid-builtin-use"},
	{regexp.MustCompile(`misaligned address`), "misaligned-access"},
	{regexp.MustCompile(`reached the end of a value-returning function`), "missing-return"},
	{regexp.MustCompile(`null pointer passed as .*, which is declared to never be null`), "nonnull-argument"},
	{regexp.MustCompile(`(load of|store to|binding to|access within|call on) null pointer`), "null-pointer-use"},
	{regexp.MustCompile(`address .* with insufficient space for an object of type`), "object-size"},
	{regexp.MustCompile(`(addition|subtraction) of unsigned offset |pointer index expression with base |applying (non-)?zero offset`), "pointer-overflow"},
	{regexp.MustCompile(`null pointer returned from function declared to never return null`), "nonnull-return"},
	{regexp.MustCompile(`shift`), "shift-out-of-bounds"},
	{regexp.MustCompile(`execution reached an unreachable program point`), "unreachable"},
	{regexp.MustCompile(`unsigned integer overflow`), "unsigned-integer-overflow"},
	{regexp.MustCompile(`variable length array bound evaluates to non-positive value`), "vla-bound"},
	{regexp.MustCompile(`not a valid value for type|load of value`), "invalid-value"},
	{regexp.MustCompile(`integer overflow|(negation|division) of .* cannot be represented in type`), "signed-integer-overflow"},
}

// Bad casts (-fsanitize=vptr): the target and the dynamic type are part of the state, as
// ClusterFuzz keeps them ("Bad-cast to T from U").
var (
	ubsanVptrRe      = regexp.MustCompile(`(?:member access within|member call on|downcast of) address 0x[0-9a-fA-F]+ which does not point to an object of type (.+)$`)
	ubsanVptrFromRe  = regexp.MustCompile(`note: object is of type (.+)$`)
	ubsanVptrBadRe   = regexp.MustCompile(`note: object has invalid vptr`)
	ubsanVptrOffsRe  = regexp.MustCompile(`at offset (\d+) within object of type`)
	ubsanNoteEndMark = 6 // a bad cast's notes follow within this many lines
)

func (ubsanParser) parse(lines []string, start int) *Report {
	if sanErrorRe.MatchString(lines[start]) {
		return parseSanError(lines, start, "ubsan")
	}
	m := ubsanStartRe.FindStringSubmatch(strings.TrimSpace(lines[start]))
	what := m[4]
	kind := "undefined-behavior"
	for _, k := range ubsanKinds {
		if k.re.MatchString(what) {
			kind = k.kind
			break
		}
	}
	r := &Report{Source: "ubsan", Title: kind + ": " + what}
	if vm := ubsanVptrRe.FindStringSubmatch(what); vm != nil {
		r.Type = "bad-cast"
		r.Detail = "Bad-cast to " + strings.Trim(vm[1], "'")
		for j := start + 1; j < len(lines) && j <= start+ubsanNoteEndMark; j++ {
			if fm := ubsanVptrFromRe.FindStringSubmatch(lines[j]); fm != nil {
				r.Detail += " from " + strings.Trim(strings.TrimSpace(fm[1]), "'")
				break
			}
			if ubsanVptrBadRe.MatchString(lines[j]) {
				r.Detail += " from invalid vptr"
				break
			}
			if om := ubsanVptrOffsRe.FindStringSubmatch(lines[j]); om != nil {
				r.Detail += " from base class subobject at offset " + om[1]
				break
			}
		}
		r.Title = "bad-cast: " + r.Detail
	} else {
		r.Type = kind
	}
	s := sanStack(lines, start+1)
	r.AllFrames, r.damage, r.damageAt = s.frames, s.damage, s.at
	if len(s.frames) == 0 {
		// Without print_stacktrace=1 the report's own location is the one frame there is.
		r.AllFrames = []Frame{{File: m[1], Line: atoi(m[2])}}
	}
	if r.Detail != "" {
		r.Title = "" // finish: "bad-cast: Bad-cast to T from U in f"
		r.head = r.Type
	}
	return r
}
