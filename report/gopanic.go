package report

import (
	"regexp"
	"strings"
)

// Go runtime panics and fatal signals: "panic: ...", "fatal error: ...", "SIGSEGV:
// segmentation violation" (a guard-page fault in native code arrives this way, with "signal
// arrived during cgo execution"), then goroutine stacks as "pkg.Func(args)" / "file:line"
// pairs. Logs that went through another tool indent the pairs with spaces or not at all, so
// indentation is not relied on. Frames above the runtime's "panic(...)" frame are deferred
// functions that ran during the panic (a recover that re-panics); the bug is below it.
type goParser struct{}

var (
	goPanicRe  = regexp.MustCompile(`^panic: (.+?)(?: \[recovered\])?$`)
	goFatalRe  = regexp.MustCompile(`^fatal error: (.+)$`)
	goSignalRe = regexp.MustCompile(`^(SIG[A-Z]+): (.+)$`)
	// A frame's function line ends in its argument list, which holds no parentheses.
	goFuncRe  = regexp.MustCompile(`^([\w.\-~/*()\[\]]*?[\w\]~)-])\(([^()]*)\)$`)
	goFileRe  = regexp.MustCompile(`^(\S+\.(?:go|s|c)):(\d+)(?: \+0x[0-9a-f]+)?(?: .*)?$`)
	goStackRe = regexp.MustCompile(`^goroutine \d+ .*\[.*\]:$`)
)

// goRuntimeErrors maps a runtime error to a type (ClusterFuzz's GOLANG_CRASH_TYPES_MAP).
var goRuntimeErrors = []struct{ prefix, kind string }{
	{"runtime error: integer divide by zero", "go-divide-by-zero"},
	{"runtime error: index out of range", "go-index-out-of-range"},
	{"runtime error: invalid memory address", "go-nil-dereference"},
	{"runtime error: makeslice: len out of range", "go-makeslice-out-of-range"},
	{"runtime error: slice bounds out of range", "go-slice-bounds-out-of-range"},
}

func (goParser) find(lines []string) (int, bool) {
	return firstMatch(lines, goPanicRe, goFatalRe, goSignalRe)
}

func (goParser) parse(lines []string, start int) *Report {
	r := &Report{Source: "go"}
	sig := ""
	cgo := false
	for j := start; j < len(lines) && j < start+8; j++ {
		if m := goSignalRe.FindStringSubmatch(lines[j]); m != nil && sig == "" {
			sig = m[1]
		}
		if strings.Contains(lines[j], "signal arrived during cgo execution") {
			cgo = true
		}
	}
	switch {
	case goPanicRe.MatchString(lines[start]):
		msg := goPanicRe.FindStringSubmatch(lines[start])[1]
		r.Type = "go-panic"
		for _, e := range goRuntimeErrors {
			if strings.HasPrefix(msg, e.prefix) {
				r.Type = e.kind
			}
		}
		r.Title = r.Type + ": " + msg
		if r.Type == "go-panic" {
			r.fallback = msg
		}
	case goFatalRe.MatchString(lines[start]):
		msg := goFatalRe.FindStringSubmatch(lines[start])[1]
		if msg == "stack overflow" {
			r.Type = "go-stack-overflow"
		} else {
			// The message of a fatal error is the runtime's, not the input's: part of the state.
			r.Type, r.Detail = "go-fatal-error", msg
		}
		r.Title = r.Type + ": " + msg
	default:
		r.Type = "fatal-signal " + sig
	}
	// The first goroutine block is the one that failed.
	for j := start; j < len(lines); j++ {
		if !goStackRe.MatchString(strings.TrimSpace(lines[j])) {
			continue
		}
		r.AllFrames, r.damage, r.damageAt = goStack(lines, j+1)
		break
	}
	if len(r.AllFrames) == 0 && r.damage == "" {
		r.Corrupted = "no goroutine stack in the report"
	}
	if cgo && r.Title == "" {
		r.Title = r.Type + " in native code (signal arrived during cgo execution)"
		if fn := firstFunc(r.AllFrames, "go"); fn != "" {
			r.Title += " called from " + fn
		}
	}
	if r.Detail != "" {
		r.Title = ""
		r.head = r.Type
	}
	return r
}

// goStack reads "func(args)" / "file:line" pairs from lines[i] to the end of the goroutine.
func goStack(lines []string, i int) (frames []Frame, damage string, at int) {
	for k := i; k < len(lines); k++ {
		l := strings.TrimSpace(lines[k])
		if l == "" || goStackRe.MatchString(l) {
			break
		}
		if strings.HasPrefix(l, "created by ") || strings.HasPrefix(l, "...") {
			k++ // the creator's file line
			continue
		}
		m := goFuncRe.FindStringSubmatch(l)
		if m == nil {
			if len(frames) > 0 && !goFileRe.MatchString(l) {
				break // the goroutine ended: a sanitizer's or the fuzzer's output follows
			}
			continue
		}
		if k+1 >= len(lines) {
			return frames, "the report is cut inside the goroutine stack", len(frames)
		}
		fl := goFileRe.FindStringSubmatch(strings.TrimSpace(lines[k+1]))
		if fl == nil {
			if restBlank(lines, k+1) {
				return frames, "the report is cut inside the goroutine stack", len(frames)
			}
			if len(frames) > 0 {
				break
			}
			continue
		}
		frames = append(frames, Frame{Func: m[1], File: fl[1], Line: atoi(fl[2])})
		k++
	}
	// Deferred calls that ran during the panic sit above the runtime's panic frame.
	for n := len(frames) - 1; n >= 0; n-- {
		if frames[n].Func == "panic" || frames[n].Func == "runtime.gopanic" {
			frames = frames[n+1:]
			break
		}
	}
	return frames, "", 0
}
