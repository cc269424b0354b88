package libfuzzer

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/report"
)

// Status is what one libFuzzer status line says. In -fork mode the parent prints
//
//	#16448: cov: 457 ft: 912 corp: 148 exec/s: 1791 oom/timeout/crash: 0/0/2 time: 18s job: 3 dft_time: 0
//
// and a single process prints
//
//	#4096	pulse  cov: 302 ft: 488 corp: 30/92b lim: 4 exec/s: 2048 rss: 45Mb
type Status struct {
	Execs       int64   // total inputs run so far (#N)
	Cov         int     // covered edges (counters)
	Features    int     // libFuzzer's features
	Corpus      int     // corpus entries
	ExecsPerSec float64 // as libFuzzer reports it (per job in -fork mode)
	Event       string  // INITED, NEW, REDUCE, pulse, DONE, ... ("" in -fork mode)
	Crashes     int     // crashes so far (-fork mode)
	Timeouts    int
	OOMs        int
	Seconds     int // time: Ns (-fork mode)
	Job         int // job: N (-fork mode)
}

var (
	statusRe = regexp.MustCompile(`^#(\d+)(?::|\s+([A-Za-z_]+))\s+cov: (\d+) ft: (\d+) corp: (\d+)`)
	execsRe  = regexp.MustCompile(`\bexec/s: (\d+)`)
	forkRe   = regexp.MustCompile(`\boom/timeout/crash: (\d+)/(\d+)/(\d+) time: (\d+)s job: (\d+)`)
	// "artifact_prefix='x/'; Test unit written to x/crash-<sha1>"
	artifactRe = regexp.MustCompile(`Test unit written to (\S+)`)
	// "==123== ERROR: libFuzzer: deadly signal", "==123==ERROR: AddressSanitizer: ...".
	errorRe = regexp.MustCompile(`^==\d+==\s?ERROR: (.+)$`)
	// libFuzzer's own error kinds.
	libfuzzerErrRe = regexp.MustCompile(`ERROR: libFuzzer: (deadly signal|timeout|out-of-memory|fuzz target exited|fuzz target overwrites its const input|malloc limit|.+?)(?: after| \(|$)`)
	frameRe        = regexp.MustCompile(`^\s*#\d+\s+0x[0-9a-f]+\s+in\s+(.+?)\s+(?:\S+|\(.+\))\s*$`)
)

// ParseStatus reads one status line; ok is false for any other line.
func ParseStatus(line string) (Status, bool) {
	m := statusRe.FindStringSubmatch(line)
	if m == nil {
		return Status{}, false
	}
	var s Status
	s.Execs, _ = strconv.ParseInt(m[1], 10, 64)
	s.Event = m[2]
	s.Cov, _ = strconv.Atoi(m[3])
	s.Features, _ = strconv.Atoi(m[4])
	s.Corpus, _ = strconv.Atoi(m[5])
	if e := execsRe.FindStringSubmatch(line); e != nil {
		s.ExecsPerSec, _ = strconv.ParseFloat(e[1], 64)
	}
	if f := forkRe.FindStringSubmatch(line); f != nil {
		s.OOMs, _ = strconv.Atoi(f[1])
		s.Timeouts, _ = strconv.Atoi(f[2])
		s.Crashes, _ = strconv.Atoi(f[3])
		s.Seconds, _ = strconv.Atoi(f[4])
		s.Job, _ = strconv.Atoi(f[5])
	}
	return s, true
}

// ParseArtifact returns the file of a "Test unit written to FILE" line.
func ParseArtifact(line string) (string, bool) {
	m := artifactRe.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// ParseError returns the text after "==PID== ERROR: " (the first line of every sanitizer and
// libFuzzer report), for the status display.
func ParseError(line string) (string, bool) {
	m := errorRe.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// ArtifactKind is the kind of a libFuzzer artifact from its file name (crash-, leak-, timeout-,
// oom-<sha1>); ok is false for anything else (slow-unit-, minimized-from-, temp files).
func ArtifactKind(name string) (string, bool) {
	for _, k := range []string{"crash", "leak", "timeout", "oom"} {
		if rest, ok := strings.CutPrefix(name, k+"-"); ok && len(rest) == 40 && isHex(rest) {
			return k, true
		}
	}
	return "", false
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// FindingPrefix starts the line the harness prints for a finding that is not a crash (a
// mismatch, a contract breach) before it aborts: "seam finding: <the error go test prints>".
const FindingPrefix = "seam finding: "

// FindingMessage returns the message of the harness's "seam finding: " line in log, if any.
func FindingMessage(log []byte) (string, bool) {
	for _, l := range strings.Split(string(log), "\n") {
		if i := strings.Index(l, FindingPrefix); i >= 0 {
			return strings.TrimSpace(l[i+len(FindingPrefix):]), true
		}
	}
	return "", false
}

// QuickKey is a cheap signature of a crash from the libFuzzer binary's own output, so a bug
// that crashes every fork job is confirmed once, not once per artifact: the harness's finding
// signed by violation, else seam's report parser, else libFuzzer's error kind plus the top
// three frames that are not sanitizer, libFuzzer or runtime machinery.
func QuickKey(kind string, log []byte, violation finding.Violation) string {
	if msg, ok := FindingMessage(log); ok {
		if violation != nil {
			if sig, _, ok := violation(msg); ok {
				return sig
			}
		}
		return "finding | " + msg
	}
	if r, ok := report.Parse(log); ok && r.Type != "" && len(r.Frames) > 0 {
		return r.Signature
	}
	typ := kind
	lines := strings.Split(string(log), "\n")
	start := 0
	for i, l := range lines {
		if m := libfuzzerErrRe.FindStringSubmatch(l); m != nil {
			typ, start = "libfuzzer-"+strings.ReplaceAll(m[1], " ", "-"), i
			break
		}
	}
	names := []string{typ}
	for _, l := range lines[start:] {
		m := frameRe.FindStringSubmatch(l)
		if m == nil || skipFrame(m[1]) {
			continue
		}
		names = append(names, m[1])
		if len(names) == 4 {
			break
		}
	}
	return strings.Join(names, " | ")
}

var skipPrefixes = []string{"__sanitizer", "__asan", "__ubsan", "__interceptor", "___interceptor", "fuzzer::", "LLVMFuzzer",
	"__libc", "__GI_", "raise", "abort", "pthread_", "start_thread", "clone", "_start", "main", "seam_abort", "_cgo", "crosscall",
	"runtime.", "x_cgo", "_cgoexp", "std::", "gsignal", "__pthread", "libc.so", "??"}

func skipFrame(fn string) bool {
	for _, p := range skipPrefixes {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}
