// Package report finds crash reports in arbitrary output (a child's stderr, a CI log, a
// production service's log) and gives each a stable signature: its type plus the top three
// frames that are not sanitizer, libc, Rust panic machinery, cgo or Go runtime frames (the
// ClusterFuzz crash-state rule), so the same bug found twice is one finding.
//
// One parser per source (asan.go, ubsan.go, lsan.go, tsan.go, rust.go, gopanic.go, hang.go)
// behind the small interface below; Parse picks the report that starts first.
package report

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Frame is one stack frame.
type Frame struct {
	Func   string
	File   string
	Line   int
	Module string
}

func (f Frame) String() string {
	s := f.Func
	if s == "" {
		s = "??"
	}
	if f.File != "" {
		s += " " + f.File
		if f.Line > 0 {
			s += ":" + strconv.Itoa(f.Line)
		}
	} else if f.Module != "" {
		s += " (" + f.Module + ")"
	}
	return s
}

// Report is one parsed crash report.
type Report struct {
	Source    string  // asan, ubsan, lsan, tsan, rust, go, hang
	Type      string  // stable crash type, e.g. "heap-buffer-overflow READ 1"
	Title     string  // one human line
	Frames    []Frame // signature frames (at most three)
	AllFrames []Frame // the primary stack as parsed
	Signature string  // Type + the signature frames' functions: the dedup key
	Excerpt   string  // the report's first lines
	Location  string  // file:line of the first signature frame that has one
	Start     int     // line index where the report starts in the input
}

// Lines is what `seam triage` prints and the golden files hold.
func (r *Report) Lines() []string {
	out := []string{"TYPE: " + r.Type, "TITLE: " + r.Title, "SIGNATURE: " + r.Signature}
	for _, f := range r.Frames {
		out = append(out, "FRAME: "+f.String())
	}
	return out
}

// parser finds and parses one kind of report.
type parser interface {
	// find returns the index of the first line where a report of this kind starts.
	find(lines []string) (int, bool)
	// parse parses the report starting at lines[start].
	parse(lines []string, start int) *Report
}

// parsers in priority order for reports starting on the same line.
var parsers = []parser{asanParser{}, lsanParser{}, tsanParser{}, ubsanParser{}, rustParser{}, hangParser{}, goParser{}}

// Parse finds the first report in log. The report that starts earliest wins: the one that
// killed the process is printed first, and what follows (a Go "signal arrived during cgo
// execution" dump after an ASan report, say) is its aftermath.
func Parse(log []byte) (*Report, bool) {
	lines := splitLines(string(log))
	best, bestAt := parser(nil), len(lines)
	for _, p := range parsers {
		if at, ok := p.find(lines); ok && at < bestAt {
			best, bestAt = p, at
		}
	}
	if best == nil {
		return nil, false
	}
	r := best.parse(lines, bestAt)
	if r == nil {
		return nil, false
	}
	r.Start = bestAt
	finish(r, lines, bestAt)
	return r, true
}

// CI systems prefix each line with a timestamp; strip the common forms.
var prefixRe = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z? |\[\d\d:\d\d:\d\d(\.\d+)?\] |\d\d:\d\d:\d\d(\.\d+)? )`)

func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefixRe.ReplaceAllString(l, "")
	}
	return lines
}

// finish computes signature frames, signature, title, location and excerpt.
func finish(r *Report, lines []string, start int) {
	for i := range r.AllFrames {
		r.AllFrames[i].Func = normalizeFunc(r.AllFrames[i].Func)
		r.AllFrames[i].File = normalizeFile(r.AllFrames[i].File)
	}
	r.Frames = nil
	for _, f := range r.AllFrames {
		if skipFrame(f) {
			continue
		}
		if n := len(r.Frames); n > 0 && r.Frames[n-1].Func == f.Func && f.Func != "" {
			continue // inlined duplicates
		}
		r.Frames = append(r.Frames, f)
		if len(r.Frames) == 3 {
			break
		}
	}
	names := []string{r.Type}
	for _, f := range r.Frames {
		n := f.Func
		if n == "" {
			n = path.Base(f.File)
		}
		names = append(names, n)
	}
	r.Signature = strings.Join(names, " | ")
	for _, f := range r.Frames {
		if f.File != "" && f.Line > 0 {
			r.Location = fmt.Sprintf("%s:%d", f.File, f.Line)
			break
		}
	}
	if r.Title == "" {
		r.Title = r.Type
		if len(r.Frames) > 0 && r.Frames[0].Func != "" {
			r.Title += " in " + r.Frames[0].Func
		}
	}
	end := min(len(lines), start+30)
	r.Excerpt = strings.TrimRight(strings.Join(lines[start:end], "\n"), "\n")
}

// Frame lines of the sanitizers: "#3 0x7f.. in func file:line:col" or "... in func (module+0x..)".
var sanFrameRe = regexp.MustCompile(`^\s*#(\d+)\s+0x[0-9a-f]+\s+(?:in\s+(.+?)\s+)?(\S+?)(?::(\d+))?(?::\d+)?\s*$`)
var sanFrameModRe = regexp.MustCompile(`^\s*#(\d+)\s+0x[0-9a-f]+\s+(?:in\s+(.+?)\s+)?\((.+?)\+0x[0-9a-f]+\)\s*$`)

// ThreadSanitizer frames carry no address: "#0 func file:line (module+0x..)".
var tsanFrameRe = regexp.MustCompile(`^\s*#(\d+)\s+(.+?)\s+(\S+?):(\d+)(?::\d+)?\s+\((.+?)\+0x[0-9a-f]+\)\s*$`)
var tsanFrameNoFileRe = regexp.MustCompile(`^\s*#(\d+)\s+(.+?)\s+(?:<null>\s+)?\((.+?)\+0x[0-9a-f]+\)\s*$`)

// sanStack parses the sanitizer-format stack starting at or after lines[i], up to the first
// line that is not a frame. It returns the frames and the index after the stack.
func sanStack(lines []string, i int) ([]Frame, int) {
	for i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
		i++
		if i < len(lines) && strings.TrimSpace(lines[i]) == "" && i+1 < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "#") {
			return nil, i
		}
	}
	var frames []Frame
	for ; i < len(lines); i++ {
		l := lines[i]
		if m := sanFrameModRe.FindStringSubmatch(l); m != nil {
			frames = append(frames, Frame{Func: m[2], Module: m[3]})
			continue
		}
		if m := sanFrameRe.FindStringSubmatch(l); m != nil && strings.Contains(l, " 0x") {
			line, _ := strconv.Atoi(m[4])
			frames = append(frames, Frame{Func: m[2], File: m[3], Line: line})
			continue
		}
		if m := tsanFrameRe.FindStringSubmatch(l); m != nil {
			line, _ := strconv.Atoi(m[4])
			frames = append(frames, Frame{Func: m[2], File: m[3], Line: line, Module: m[5]})
			continue
		}
		if m := tsanFrameNoFileRe.FindStringSubmatch(l); m != nil {
			frames = append(frames, Frame{Func: m[2], Module: m[3]})
			continue
		}
		break
	}
	return frames, i
}

// normalizeFunc strips what changes between builds: argument lists, template arguments,
// Rust hash suffixes and crate disambiguators.
var (
	rustHashRe  = regexp.MustCompile(`::h[0-9a-f]{16}$`)
	rustCrateRe = regexp.MustCompile(`\[[0-9a-f]{16}\]`)
	goArgsRe    = regexp.MustCompile(`\(0x[0-9a-f, .{}?]*\)$|\(\.\.\.\)$|\(\{.*\}.*\)$`)
)

// Rust's legacy mangling escapes, as gcc's symbolizer leaves them.
var rustEscapes = strings.NewReplacer("$u7b$", "{", "$u7d$", "}", "$LT$", "<", "$GT$", ">", "$u20$", " ",
	"$C$", ",", "$RF$", "&", "$BP$", "*", "$u27$", "'", "$u5b$", "[", "$u5d$", "]", "$u3b$", ";", "..", "::")

func normalizeFunc(f string) string {
	f = strings.TrimSpace(f)
	f = rustHashRe.ReplaceAllString(f, "")
	f = rustCrateRe.ReplaceAllString(f, "")
	f = goArgsRe.ReplaceAllString(f, "")
	if strings.Contains(f, "$u") || strings.Contains(f, "$LT$") || strings.Contains(f, "..") {
		f = rustEscapes.Replace(f)
	}
	f = strings.ReplaceAll(f, "::_{{closure}}", "::{{closure}}") // legacy mangling keeps a '_'
	f = strings.ReplaceAll(f, "::{{closure}}", "::{closure}")
	f = strings.TrimPrefix(f, "(anonymous namespace)::")
	if strings.HasPrefix(f, "operator") {
		return f
	}
	// Go: keep the method receiver, drop the module path: engine.(*Rules).Load.
	if strings.Contains(f, ".(") || (strings.Contains(f, "/") && !strings.Contains(f, " ")) {
		head := f
		if i := strings.Index(f, ".("); i >= 0 {
			head = f[:i]
		}
		return f[strings.LastIndex(head, "/")+1:]
	}
	// C++: drop the parameter list and template arguments.
	if i := strings.Index(f, "("); i > 0 && !strings.HasPrefix(f, "<") {
		f = f[:i]
	}
	f = stripTemplates(f)
	return strings.TrimSpace(f)
}

func stripTemplates(f string) string {
	var b strings.Builder
	depth := 0
	for _, r := range f {
		switch {
		case r == '<' && !strings.HasPrefix(f, "<"):
			depth++
		case r == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Build trees of seeded-bug mutants map back to the source they patch, so a finding's location
// is the line in native/ a person would open.
var mutantSrcRe = regexp.MustCompile(`^.*?build/mutant-src/[^/]+/[^/]+/`)

// Root, when set, is stripped from absolute paths so locations are repository-relative.
var Root string

func normalizeFile(f string) string {
	f = strings.TrimPrefix(f, "./")
	f = mutantSrcRe.ReplaceAllString(f, "")
	if Root != "" {
		f = strings.TrimPrefix(f, strings.TrimSuffix(Root, "/")+"/")
	}
	return f
}

// skipFrame: sanitizer, libc, C++ runtime, Rust panic machinery, cgo glue and Go runtime.
var skipFuncPrefixes = []string{
	"__asan", "__interceptor", "__sanitizer", "__ubsan", "__tsan", "__lsan", "__msan", "asan_", "___interceptor",
	"__libc", "__GI_", "__pthread", "pthread_", "start_thread", "clone", "__clone", "_start", "raise", "abort", "__assert",
	"malloc", "calloc", "realloc", "free", "operator new", "operator delete", "memcpy", "memmove", "memset",
	"memcmp", "strlen", "strcmp", "strncmp", "bcmp", "__memcpy", "__memmove", "__strlen", "__memcmp", "__nanosleep", "nanosleep", "__futex", "futex",
	"std::", "core::", "alloc::", "<std::", "<core::", "<alloc::", "__rust", "_rust_try", "rust_begin_unwind", "__rustc::", "rust_panic",
	"_cgo_", "crosscall2", "x_cgo_", "runtime.", "runtime/cgo", "_Cfunc_", "_rt0_", "gosave", "asmcgocall",
	"syscall.", "internal/", "??",
}

var skipFileSuffixes = []string{"engine/table.h", "cgo-gcc-prolog", "_cgo_export.c", "_cgo_gotypes.go"}

var skipModules = []string{"libasan", "libtsan", "libubsan", "liblsan", "libc.so", "libc-", "libstdc++", "libgcc_s", "ld-linux", "libpthread"}

func skipFrame(f Frame) bool {
	if f.Func == "<unknown>" || f.Func == "??" && f.File == "" {
		return true // an unwinder's placeholder says nothing about where the bug is
	}
	for _, p := range skipFuncPrefixes {
		if strings.HasPrefix(f.Func, p) {
			return true
		}
	}
	for _, s := range skipFileSuffixes {
		if strings.HasSuffix(f.File, s) {
			return true
		}
	}
	// Inlined C++ standard library code (std::map's node allocator in a leak stack) names the
	// container, not the bug: ClusterFuzz skips these frames too.
	if strings.Contains(f.File, "/include/c++/") {
		return true
	}
	if strings.Contains(f.File, "libsanitizer/") || strings.Contains(f.File, "compiler-rt/") || strings.HasPrefix(f.File, "/rustc/") || strings.Contains(f.File, "/go/src/runtime/") {
		return true
	}
	if f.Func == "" && f.File == "" {
		for _, m := range skipModules {
			if strings.Contains(path.Base(f.Module), m) {
				return true
			}
		}
		return f.Module == ""
	}
	return false
}
