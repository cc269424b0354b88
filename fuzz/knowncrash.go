package fuzz

// Known crashes in a go test -fuzz worker (issue 16). go test -fuzz stops at the first failure,
// so a shallow bug that nobody has fixed yet used to cost a restart of the whole fuzzer (new
// coordinator, new workers, the baseline run of the corpus) every few hundred inputs, on every
// target that reaches it: the night fell from ~7,000 to ~220 execs/s.
//
// The worker now keeps going past a crash it has been told is known, the way libFuzzer's
// -fork=N -ignore_crashes=1 keeps a campaign going, but without a process per input: the
// sanitized engines are built with -fsanitize-recover=address, and a worker started with
// KnownCrashEnv runs with halt_on_error=0 and a report callback (__asan_set_error_report_callback).
// After each input the worker signs every report the input produced with the same parser the
// rest of seam uses (internal/report):
//
//   - only known signatures: the input is dropped (it passes, and its report is cut from the
//     worker log), the count per signature is kept for the night's report;
//   - any other signature: the input fails with that report, exactly as a halting run would
//     have failed it, and goes through the usual confirmation.
//
// Why this never hides a new bug: every report is signed, none is suppressed by program counter
// (suppress_equal_pcs=0: an interceptor such as strlen reports every caller from one pc), and
// only a report whose signature is already in the corpus is absorbed. A run that continues past
// a memory error can go on to misbehave; whatever it does next is reported and, being new,
// fails the input, whose isolated replay (halting, as always) then shows the known crash first
// and signs it as known. What the worker cannot continue past - UBSan (kept fatal), a guard-page
// SIGSEGV, a Rust panic that aborts - still ends the fuzzer as before; the supervisor counts
// those restarts per signature, which is how the report names the targets a known bug still
// blocks.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// The reports of the current input, concatenated (the first 256 KiB: enough for several).
#define KC_CAP (256 << 10)
static char kc_buf[KC_CAP];
static size_t kc_len;
static int kc_reports;

// Called by ASan at the end of every report, on the thread that made the bad access, with the
// report lock held: copy only, never call back into Go.
static void kc_callback(const char *report) {
	__atomic_add_fetch(&kc_reports, 1, __ATOMIC_SEQ_CST);
	size_t n = strlen(report);
	if (kc_len + n + 1 > KC_CAP) n = kc_len + 1 < KC_CAP ? KC_CAP - kc_len - 1 : 0;
	memcpy(kc_buf + kc_len, report, n);
	kc_len += n;
	kc_buf[kc_len] = 0;
}

typedef void (*kc_set_fn)(void (*)(const char *));

static int kc_install(void) {
	kc_set_fn set = (kc_set_fn)dlsym(RTLD_DEFAULT, "__asan_set_error_report_callback");
	if (set == NULL) return 0;
	set(kc_callback);
	return 1;
}

static int kc_count(void) { return __atomic_load_n(&kc_reports, __ATOMIC_SEQ_CST); }
static const char *kc_text(void) { return kc_buf; }
static size_t kc_size(void) { return kc_len; }
static void kc_reset(void) { kc_len = 0; kc_buf[0] = 0; __atomic_store_n(&kc_reports, 0, __ATOMIC_SEQ_CST); }
*/
import "C"

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/report"
	"github.com/seamfuzz/seam/supervisor"
)

// EnvKnownFile names the file of known crash signatures (one per line) a supervised worker
// keeps fuzzing past; KnownCrashEnv sets it together with the ASan options that allow it.
const EnvKnownFile = supervisor.EnvKnownFile

// KnownCrashOptions are added to ASAN_OPTIONS of a worker that absorbs known crashes: continue
// after a report (the engine must be built with -fsanitize-recover=address), report every
// occurrence (ASan's per-pc deduplication would hide other callers of the same pc), and no
// colour probing of stderr (an ioctl per printed line: half a report's cost here).
const KnownCrashOptions = "halt_on_error=0:suppress_equal_pcs=0:color=never"

// KnownCrashEnv is the environment that makes go test -fuzz workers keep fuzzing past the
// crashes listed in knownFile. base is the environment the workers would otherwise get (the
// ASan options already set there are kept).
func KnownCrashEnv(knownFile string, base []string) []string {
	opts := sanrt.ASanOptions
	for _, kv := range base {
		if v, ok := strings.CutPrefix(kv, "ASAN_OPTIONS="); ok {
			opts = v
		}
	}
	return []string{EnvKnownFile + "=" + knownFile, "ASAN_OPTIONS=" + opts + ":" + KnownCrashOptions}
}

// knownCrashes is this process's absorber; nil when it does not absorb (no known file, no ASan
// runtime, or ASan halts on error).
var knownCrashes = newAbsorber()

type absorber struct {
	known   map[string]bool
	hitsLog string // supervisor.HitsFile, "" outside a supervised worker
	// signed caches signatures by reportKey: report.Parse costs ~0.5 ms a report, a quarter of
	// an absorbed hit, and a known bug's reports differ only in addresses.
	signed map[string]string

	mu        sync.Mutex
	hits      map[string]int64
	lastWrite time.Time
}

func newAbsorber() *absorber {
	b, err := os.ReadFile(os.Getenv(EnvKnownFile))
	if err != nil || !strings.Contains(os.Getenv("ASAN_OPTIONS"), "halt_on_error=0") {
		return nil
	}
	known := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			known[l] = true
		}
	}
	if len(known) == 0 || C.kc_install() == 0 {
		return nil
	}
	a := &absorber{known: known, hits: map[string]int64{}, signed: map[string]string{}}
	if dir := os.Getenv(EnvWorkerLogDir); dir != "" && isFuzzWorker() {
		a.hitsLog = supervisor.HitsFile(dir, os.Getpid())
	}
	return a
}

// logOffset is where the worker log ends before an input (-1 when stderr is not a file).
func logOffset() int64 {
	off, err := syscall.Seek(2, 0, io.SeekEnd)
	if err != nil {
		return -1
	}
	return off
}

// after is the outcome of an input that returned runErr, given the reports it produced: runErr
// when there were none; nil when all are known (the input is dropped and its reports are cut
// from the log at logAt); else a failure carrying the report. A nil absorber returns runErr.
func (a *absorber) after(runErr error, logAt int64) error {
	if a == nil || C.kc_count() == 0 {
		return runErr
	}
	text := C.GoStringN(C.kc_text(), C.int(C.kc_size()))
	C.kc_reset()
	sigs, unknown := a.sign(text)
	if unknown != "" {
		// Halting ASan would have ended the worker here; fail the input with the report instead
		// (it is in the worker log as well), and the supervisor confirms it in isolation.
		return fmt.Errorf("native memory error (the worker continued past it): %s\n%s", unknown, text)
	}
	if runErr != nil {
		// A known crash then a failure: most likely the known bug's aftermath, but that is for
		// the isolated replay to say, not for the worker to hide.
		return runErr
	}
	if logAt >= 0 {
		syscall.Ftruncate(2, logAt)
	}
	a.count(sigs)
	return nil
}

// sign splits text into its reports and signs each. unknown is the first signature that is not
// known ("unsigned report" when a report does not parse: never absorbed).
func (a *absorber) sign(text string) (sigs []string, unknown string) {
	for _, part := range splitReports(text) {
		key := reportKey(part)
		sig, ok := a.signed[key]
		if !ok {
			r, parsed := report.Parse([]byte(part))
			if !parsed {
				return sigs, "unsigned report"
			}
			sig = r.Signature
			if len(a.signed) >= 4096 {
				clear(a.signed) // stacks without end (a recursion reached many ways): bound it
			}
			if key != "" {
				a.signed[key] = sig
			}
		}
		if !a.known[sig] {
			return sigs, sig
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return nil, "unsigned report"
	}
	return sigs, ""
}

var (
	hexRe    = regexp.MustCompile(`0x[0-9a-f]+`)
	pidRe    = regexp.MustCompile(`==\d+==`)
	threadRe = regexp.MustCompile(`\bT\d+\b`)
)

// reportKey is what report.Parse reads of an ASan report to sign it - the ERROR line, the
// access line and the first stack - without what changes from one hit to the next (addresses,
// pid, thread). "" when the report does not have that shape (it is then always parsed).
func reportKey(part string) string {
	lines := strings.Split(part, "\n")
	start := -1
	for i, l := range lines {
		if strings.Contains(l, "ERROR: AddressSanitizer:") {
			start = i
			break
		}
	}
	if start < 0 {
		return ""
	}
	var b strings.Builder
	frames := false
	for _, l := range lines[start:] {
		t := strings.TrimSpace(l)
		if t == "" && frames {
			return b.String()
		}
		frames = frames || strings.HasPrefix(t, "#")
		b.WriteString(threadRe.ReplaceAllString(pidRe.ReplaceAllString(hexRe.ReplaceAllString(l, ""), ""), ""))
		b.WriteByte('\n')
	}
	return "" // the first stack did not end: the report is cut, parse it whole
}

// splitReports cuts concatenated ASan reports at their "=====" opening line.
func splitReports(text string) []string {
	const open = "================================================================="
	var out []string
	for _, p := range strings.Split(text, open) {
		if strings.TrimSpace(p) != "" {
			out = append(out, open+p)
		}
	}
	return out
}

func (a *absorber) count(sigs []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range sigs {
		a.hits[s]++
	}
	if a.hitsLog == "" || time.Since(a.lastWrite) < time.Second {
		return
	}
	a.lastWrite = time.Now()
	supervisor.WriteHits(a.hitsLog, a.hits)
}
