package report

import (
	"regexp"
	"strings"
)

// Go runtime panics and fatal signals: "panic: ...", "fatal error: ...", "SIGSEGV:
// segmentation violation" (a guard-page fault in native code arrives this way, with "signal
// arrived during cgo execution"), then goroutine stacks as "pkg.Func(args)" / "\tfile:line".
type goParser struct{}

var (
	goPanicRe  = regexp.MustCompile(`^panic: (.+)$`)
	goFatalRe  = regexp.MustCompile(`^fatal error: (.+)$`)
	goSignalRe = regexp.MustCompile(`^(SIG[A-Z]+): (.+)$`)
	goFuncRe   = regexp.MustCompile(`^([\w./*()\[\]-]+(?:\.[\w*()\[\]-]+)*)\(.*\)$`)
	goFileRe   = regexp.MustCompile(`^\t(.+?):(\d+)(?: \+0x[0-9a-f]+)?`)
)

func (goParser) find(lines []string) (int, bool) {
	for i, l := range lines {
		if goPanicRe.MatchString(l) || goFatalRe.MatchString(l) || goSignalRe.MatchString(l) {
			return i, true
		}
	}
	return 0, false
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
	case sig != "":
		r.Type = "fatal-signal " + sig
	case goFatalRe.MatchString(lines[start]):
		r.Type = "go-fatal-error"
		r.Title = "go-fatal-error: " + goFatalRe.FindStringSubmatch(lines[start])[1]
	default:
		r.Type = "go-panic"
		r.Title = "go-panic: " + goPanicRe.FindStringSubmatch(lines[start])[1]
	}
	// The first goroutine block is the one that failed.
	for j := start; j < len(lines); j++ {
		if !strings.HasPrefix(lines[j], "goroutine ") {
			continue
		}
		for k := j + 1; k+1 < len(lines); k++ {
			if strings.TrimSpace(lines[k]) == "" {
				break
			}
			m := goFuncRe.FindStringSubmatch(lines[k])
			fl := goFileRe.FindStringSubmatch(lines[k+1])
			if m == nil || fl == nil {
				continue
			}
			r.AllFrames = append(r.AllFrames, Frame{Func: m[1], File: fl[1], Line: atoi(fl[2])})
			k++
		}
		break
	}
	if cgo && r.Title == "" {
		r.Title = r.Type + " in native code (signal arrived during cgo execution)"
		if fn := firstFunc(r.AllFrames); fn != "" {
			r.Title += " called from " + fn
		}
	}
	return r
}
