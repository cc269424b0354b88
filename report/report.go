// Package report finds crash reports in arbitrary output (a child's stderr, a CI log, a
// production service's log, a report pasted into a bug tracker) and gives each a stable
// signature: its type plus the top three frames that are not sanitizer, libc, allocator,
// logging, fuzzer, Rust panic, cgo or Go runtime frames (the ClusterFuzz crash-state rule, with
// ClusterFuzz's frame-skip table in frames.go), so the same bug found twice is one finding.
//
// One parser per source (asan.go, ubsan.go, lsan.go, tsan.go, rust.go, gopanic.go, gdb.go,
// hang.go) behind the small interface below; Parse picks the report that starts first. A
// report that is cut or garbled where its signature frames would be is marked Corrupted
// (syzkaller's term) instead of being signed with a guess.
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
	Signature string  // Type, Detail and the signature frames' functions: the dedup key
	Detail    string  // a state line that is part of the signature, e.g. "Bad-cast to T from U"
	Corrupted string  // why the report cannot be signed reliably (cut, garbled); "" if intact
	Excerpt   string  // the report's first lines
	Location  string  // file:line of the first signature frame that has one
	Start     int     // line index where the report starts in the input

	// head is the title's first part when it says more than Type (the access size:
	// "heap-buffer-overflow READ 4"); the title adds " in <first frame>".
	head string
	// damage and damageAt: the parser's note that frames from AllFrames[damageAt] on are
	// unreliable (the input ends inside the stack, a frame line is wrapped).
	damage   string
	damageAt int
	// fallback is a state line for a report none of whose frames is left (a panic in
	// main.main): ClusterFuzz's message line, so such panics are not all one signature.
	fallback string
}

// Lines is what `seam triage` prints and the golden files hold.
func (r *Report) Lines() []string {
	out := []string{"TYPE: " + r.Type, "TITLE: " + r.Title, "SIGNATURE: " + r.Signature}
	if r.Detail != "" {
		out = append(out, "DETAIL: "+r.Detail)
	}
	for _, f := range r.Frames {
		out = append(out, "FRAME: "+f.String())
	}
	if r.Corrupted != "" {
		out = append(out, "CORRUPTED: "+r.Corrupted)
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
var parsers = []parser{asanParser{}, lsanParser{}, tsanParser{}, ubsanParser{}, rustParser{}, hangParser{}, gdbParser{}, goParser{}}

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

// firstMatch is the index of the first line any of res matches.
func firstMatch(lines []string, res ...*regexp.Regexp) (int, bool) {
	for i, l := range lines {
		for _, re := range res {
			if re.MatchString(l) {
				return i, true
			}
		}
	}
	return 0, false
}

// Logs that went through another tool carry a prefix on every line; strip the common ones
// (in this order, each at most once): a container runtime's "<RFC3339> stderr F ", a CI
// timestamp, Go's log package's "2006/01/02 15:04:05 ", docker compose's "service-1  | ", and
// the " | " of a report copied out of OSS-Fuzz's web page.
var prefixRes = []*regexp.Regexp{
	regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)? (stdout|stderr) [FP] `),
	regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z? |\[\d\d:\d\d:\d\d(\.\d+)?\] |\d\d:\d\d:\d\d(\.\d+)? )`),
	regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? `),
	regexp.MustCompile(`^[A-Za-z0-9][\w.-]*\s+\| ?`),
	regexp.MustCompile(`^\s*\| ?`),
}

func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		for _, re := range prefixRes {
			l = re.ReplaceAllString(l, "")
		}
		lines[i] = l
	}
	return lines
}

// maxState is ClusterFuzz's MAX_CRASH_STATE_FRAMES: the state lines (Detail and frames) of a
// signature.
const maxState = 3

// finish names the frames, picks the signature frames and builds signature, title, location
// and excerpt.
func finish(r *Report, lines []string, start int) {
	raw := make([]string, len(r.AllFrames))
	for i := range r.AllFrames {
		raw[i] = r.AllFrames[i].Func
	}
	for i := range r.AllFrames {
		next := ""
		if i+1 < len(raw) {
			next = raw[i+1]
		}
		r.AllFrames[i].Func = frameName(raw[i], next, r.Source)
		r.AllFrames[i].File = normalizeFile(r.AllFrames[i].File)
	}
	want := maxState
	if r.Detail != "" {
		want--
	}
	r.Frames = nil
	cycle := false
	if r.Type == "stack-overflow" { // ASan's; ClusterFuzz does not look for cycles in Go's
		r.Frames = recursionCycle(r, raw, want)
		cycle = r.Frames != nil
	}
	for i, f := range r.AllFrames {
		if cycle {
			break
		}
		if r.damage != "" && i >= r.damageAt {
			break
		}
		if f.Func == "LLVMFuzzerTestOneInput" && f.File != "" {
			f.Func, raw[i] = "", "" // ClusterFuzz names the fuzz target's frame by its file
		}
		if skipped(f, raw[i], r.Source) {
			continue
		}
		if n := len(r.Frames); n > 0 && r.Frames[n-1].Func == f.Func && f.Func != "" {
			continue // an inlined frame and its caller of the same name
		}
		r.Frames = append(r.Frames, f)
		if len(r.Frames) == want {
			break
		}
	}
	if r.damage != "" && len(r.Frames) < want && r.Corrupted == "" {
		r.Corrupted = r.damage
	}
	if len(r.Frames) == 0 && r.Detail == "" && r.fallback != "" {
		r.Detail = numbersRe.ReplaceAllString(addressRe.ReplaceAllString(r.fallback, "ADDRESS"), "NUMBER")
	}
	if len(r.Frames) == 0 && r.Corrupted == "" {
		for _, f := range r.AllFrames {
			if skipReason(f) == unsymbolized {
				r.Corrupted = "the stack is not symbolized"
				break
			}
		}
	}
	names := []string{r.Type}
	if r.Detail != "" {
		names = append(names, r.Detail)
	}
	for _, f := range r.Frames {
		names = append(names, f.name())
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
		if r.head != "" {
			r.Title = r.head
		}
		if r.Detail != "" {
			r.Title += ": " + r.Detail
		}
		if len(r.Frames) > 0 {
			r.Title += " in " + r.Frames[0].name()
		}
	}
	end := min(len(lines), start+30)
	r.Excerpt = strings.TrimRight(strings.Join(lines[start:end], "\n"), "\n")
}

// recursionCycle: a stack overflow's first frames depend on where the stack ran out, so
// ClusterFuzz signs the recursion instead: the first run of frames (up to 10 long) that
// repeats three times in a row. nil when there is none.
func recursionCycle(r *Report, raw []string, want int) []Frame {
	var fs []Frame
	for i, f := range r.AllFrames {
		if r.damage != "" && i >= r.damageAt {
			break
		}
		if !skipped(f, raw[i], r.Source) {
			fs = append(fs, f)
		}
	}
	same := func(a, b []Frame) bool {
		for k := range a {
			if a[k].Func != b[k].Func {
				return false
			}
		}
		return true
	}
	for i := range fs {
		for n := 1; n <= 10 && i+3*n <= len(fs); n++ {
			if same(fs[i:i+n], fs[i+n:i+2*n]) && same(fs[i:i+n], fs[i+2*n:i+3*n]) {
				cycle := fs[i : i+n]
				for len(cycle) < want && len(cycle) < 3*n {
					cycle = fs[i : i+len(cycle)+1]
				}
				return append([]Frame(nil), cycle[:min(want, len(cycle))]...)
			}
		}
	}
	return nil
}

// name is the frame's part of a signature: its function, else its file, else its module.
func (f Frame) name() string {
	switch {
	case f.Func != "":
		return f.Func
	case f.File != "":
		return path.Base(f.File)
	}
	return path.Base(f.Module)
}

// frameName normalizes a function name to what stays the same between builds: no argument
// lists, template arguments, return types, Rust hashes or crate disambiguators, Go module
// paths or generic shapes. A C++ lambda is named after the function it is defined in (what
// ClusterFuzz's state shows): "ns::f(int)::$_0::operator()() const" and
// "ns::f(int)::{lambda(int)#1}::operator()(int) const" become "ns::f"; gcc's own symbolizer
// prints only "operator()", and then the caller's template argument names the lambda's type
// ("guard<ns::f(int)::<lambda()> >").
func frameName(f, next, source string) string {
	f = strings.TrimSpace(f)
	if f == "" || f == "??" || f == "<unknown>" || f == "<null>" {
		return f
	}
	if source == "go" || isGoName(f) {
		return goName(f)
	}
	f = rustName(f)
	if enc := lambdaSelf(f); enc != "" {
		f = enc
	} else if isBareCall(f) {
		if m := lambdaRe.FindStringSubmatch(strings.ReplaceAll(next, "(anonymous namespace)::", "")); m != nil {
			f = m[1]
		}
	}
	return cxxName(f)
}

// lambdaSelf is the enclosing function of a frame that is itself a lambda's body:
// "X(args)::$_0::operator()", "X(args)::{lambda(int)#1}::operator()", "X(args)::<lambda()>",
// with the lambda marker outside any template argument list; "" for other frames.
func lambdaSelf(f string) string {
	f = strings.ReplaceAll(f, "(anonymous namespace)::", "")
	depth, paren := 0, 0
	for i := 0; i < len(f); i++ {
		top := depth == 0 && paren == 0
		switch f[i] {
		case '<':
			if top && strings.HasPrefix(f[i:], "<lambda(") && strings.HasSuffix(f[:i], "::") {
				return f[:i-2]
			}
			if !strings.HasSuffix(f[:i], "operator") && !strings.HasSuffix(f[:i], "operator<") {
				depth++
			}
		case '>':
			if depth > 0 && !strings.HasSuffix(f[:i], "operator") && !strings.HasSuffix(f[:i], "operator-") {
				depth--
			}
		case '(':
			paren++
		case ')':
			if paren > 0 {
				paren--
			}
		case ':':
			if top && (strings.HasPrefix(f[i:], "::$_") || strings.HasPrefix(f[i:], "::{lambda(")) {
				return f[:i]
			}
		}
	}
	return ""
}

// ClusterFuzz's filter_addresses_and_numbers, for a message in a state line.
var (
	addressRe = regexp.MustCompile(`0x[a-fA-F0-9]{4,}`)
	numbersRe = regexp.MustCompile(`\b\d{4,}\b`)
)

var (
	rustHashRe  = regexp.MustCompile(`::h[0-9a-f]{16}$`)
	rustCrateRe = regexp.MustCompile(`\[[0-9a-f]{16}\]`)
	llvmSuffix  = regexp.MustCompile(` \(\.llvm\.\d+\)| \[clone [^\]]*\]|\.(cold|isra|part|constprop)\.\d+`)
	goArgsRe    = regexp.MustCompile(`\([^()]*\)$`)
	goShapeRe   = regexp.MustCompile(`\[\.\.\.\]|\[go\.shape\.[^\]]*\]`)
	// lambdaRe finds a lambda's enclosing function: "X(args)::$_0", "X::{lambda(..)#1}",
	// "X(args)::<lambda(..)>".
	lambdaRe = regexp.MustCompile(`((?:[A-Za-z_~][\w~]*::)*[A-Za-z_~][\w~]*)(?:\((?:[^()]|\([^()]*\))*\))?(?: const)?::(?:\$_\d+|\{lambda\(|<lambda\()`)
)

// Rust's legacy mangling escapes, as gcc's symbolizer leaves them.
var rustEscapes = strings.NewReplacer("$u7b$", "{", "$u7d$", "}", "$LT$", "<", "$GT$", ">", "$u20$", " ",
	"$C$", ",", "$RF$", "&", "$BP$", "*", "$u27$", "'", "$u5b$", "[", "$u5d$", "]", "$u3b$", ";", "..", "::")

func rustName(f string) string {
	f = llvmSuffix.ReplaceAllString(f, "")
	f = rustHashRe.ReplaceAllString(f, "")
	f = rustCrateRe.ReplaceAllString(f, "")
	if strings.Contains(f, "$u") || strings.Contains(f, "$LT$") || (strings.Contains(f, "..") && !strings.Contains(f, "...")) {
		f = rustEscapes.Replace(f)
	}
	f = strings.ReplaceAll(f, "::_{{closure}}", "::{{closure}}") // legacy mangling keeps a '_'
	return strings.ReplaceAll(f, "::{{closure}}", "::{closure}")
}

// isBareCall: gcc's symbolizer names a lambda's body just "operator()".
func isBareCall(f string) bool {
	return f == "operator()" || strings.HasPrefix(f, "operator()<") || strings.HasPrefix(f, "operator()(")
}

// isGoName: "pkg.Func", "pkg.(*T).Method", "example.com/m/pkg.Func".
func isGoName(f string) bool {
	if strings.Contains(f, "::") || strings.Contains(f, " ") {
		return false
	}
	return strings.Contains(f, ".(") || strings.Contains(f, "/") || strings.Contains(f, "[...]")
}

// goName keeps the package and receiver, drops the module path, argument list and generic
// shape: "example.com/shop/pricing.(*Cart[...]).At(0x1?)" is "pricing.(*Cart).At".
func goName(f string) string {
	f = goArgsRe.ReplaceAllString(f, "")
	f = goShapeRe.ReplaceAllString(f, "")
	head := f
	if i := strings.Index(f, ".("); i >= 0 {
		head = f[:i]
	}
	return f[strings.LastIndex(head, "/")+1:]
}

// cxxName drops what a C++ name carries besides its qualified name: anonymous namespaces,
// thunks, template arguments, the parameter list, the return type.
func cxxName(f string) string {
	for _, s := range []string{"(anonymous namespace)::", "`anonymous namespace'::", "non-virtual thunk to ", "virtual thunk to "} {
		f = strings.ReplaceAll(f, s, "")
	}
	if strings.HasPrefix(f, "<") {
		j := closingAngle(f)
		if j < 0 || strings.Contains(f[:j], " as ") {
			return f // "<unknown module>", Rust's "<T as Trait>::f" keep their shape
		}
		f = f[1:j] + f[j+1:] // Rust's "<core::result::Result<T, E>>::unwrap"
	}
	f = stripTemplates(f)
	if i := paramStart(f); i > 0 {
		f = f[:i]
	}
	f = strings.TrimSuffix(strings.TrimSpace(f), " const")
	if i := strings.LastIndexByte(f, ' '); i >= 0 && !strings.HasSuffix(f[:i], "operator") {
		f = f[i+1:]
	}
	return strings.TrimSpace(f)
}

// closingAngle is the index of the '>' that closes f[0] == '<'.
func closingAngle(f string) int {
	depth := 0
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '<':
			depth++
		case '>':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// paramStart is the index of the parameter list's '(' ("operator()" is a name, not a list).
func paramStart(f string) int {
	for i := 0; i < len(f); i++ {
		if f[i] != '(' {
			continue
		}
		if strings.HasSuffix(f[:i], "operator") && strings.HasPrefix(f[i:], "()") {
			i++
			continue
		}
		return i
	}
	return -1
}

func stripTemplates(f string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		op := strings.HasSuffix(f[:i], "operator") || strings.HasSuffix(f[:i], "operator<") || strings.HasSuffix(f[:i], "operator-")
		switch {
		case op && (c == '<' || c == '>'):
			if depth == 0 {
				b.WriteByte(c)
			}
		case c == '<':
			depth++
		case c == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
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

// skipped checks a named frame, and for Go also the name with its package path
// ("internal/runtime/maps.fatal" is named "maps.fatal").
func skipped(f Frame, raw, source string) bool {
	if skipFrame(f) {
		return true
	}
	if source == "go" || isGoName(raw) {
		return skipFrame(Frame{Func: raw, File: f.File, Module: f.Module})
	}
	return false
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// firstFunc is the first frame a signature would use.
func firstFunc(fs []Frame, source string) string {
	for i, f := range fs {
		next := ""
		if i+1 < len(fs) {
			next = fs[i+1].Func
		}
		g := f
		g.Func, g.File = frameName(f.Func, next, source), normalizeFile(f.File)
		if !skipped(g, f.Func, source) && g.Func != "" {
			return g.Func
		}
	}
	return ""
}

func allSkipped(fs []Frame, source string) bool {
	for _, f := range fs {
		g := f
		g.Func, g.File = frameName(f.Func, "", source), normalizeFile(f.File)
		if !skipped(g, f.Func, source) {
			return false
		}
	}
	return true
}
