package fuzz

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seamfuzz/seam/internal/covbridge"
	"github.com/seamfuzz/seam/wal"
)

// EnvWorkerLogDir names the directory where go test -fuzz workers keep their output.
const EnvWorkerLogDir = "SEAM_FUZZ_LOGDIR"

// CaptureWorkerOutput points this process's stdout and stderr at <logdir>/worker-<pid>.log when
// it is a go test -fuzz worker and SEAM_FUZZ_LOGDIR is set. The supervisor reads the file of the
// worker that died to get the sanitizer report for the crasher Go saved.
func CaptureWorkerOutput() {
	dir := os.Getenv(EnvWorkerLogDir)
	if dir == "" || !isFuzzWorker() {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("worker-%d.log", os.Getpid())), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	syscall.Dup2(int(f.Fd()), 1)
	syscall.Dup2(int(f.Fd()), 2)
	// Go sometimes loses an input whose worker dies (a crash during its baseline run, or in a
	// minimizing worker); the write-ahead slot keeps it regardless.
	if w, err := wal.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.wal", os.Getpid())), 1, 1<<20+64<<10); err == nil {
		inflight = w.Slot(0)
	}
}

// bridged: the cov variant's native edges are fed to Go's coverage after every input.
var bridged = Variant() == "cov"

// inflight is this worker's write-ahead slot (nil outside supervised fuzz workers).
var inflight *wal.Slot

// EnvSkipFile names a file of inputs (one Go-quoted string per line) that a supervised run
// already handed over as crashers: the fuzz body skips them, or Go's replay of its seed and
// cache corpus would re-crash on every restart.
const EnvSkipFile = "SEAM_FUZZ_SKIP"

var skip = loadSkip()

func loadSkip() map[string]bool {
	b, err := os.ReadFile(os.Getenv(EnvSkipFile))
	if err != nil {
		return nil
	}
	m := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if s, err := strconv.Unquote(line); err == nil {
			m[s] = true
		}
	}
	return m
}

// guard runs one fuzz input with its bytes recorded before the call. (Leaks are not checked
// here: LeakSanitizer's stop-the-world tracer crashes inside a multi-threaded go test -fuzz
// worker, "Tracer caught signal 11"; seam fuzz sweeps the generated corpus for leaks in an
// isolated child instead.) In a supervised worker of the bridged (cov) variant, an input that
// reached native code this worker had not seen also gets the comparison-patching stage.
func guard(data []byte, run func([]byte) error) error {
	if inflight != nil && skip[string(data)] {
		return nil
	}
	if err := execOne(data, run); err != nil || !bridged || inflight == nil || covbridge.Fresh() == 0 {
		return err
	}
	return solveCompares(data, run)
}

// execOne runs one input: its bytes in the write-ahead slot first, its native coverage fed to
// Go's counters after. An input that fails stays in the slot, where the supervisor finds it
// when it is not the input Go saved (a patch from solveCompares).
func execOne(data []byte, run func([]byte) error) error {
	if bridged {
		covbridge.Reset()
		defer covbridge.Feed()
	}
	var logAt int64 = -1
	if knownCrashes != nil {
		logAt = logOffset()
	}
	if inflight == nil {
		return knownCrashes.after(run(data), logAt)
	}
	inflight.Begin(0, data)
	err := knownCrashes.after(run(data), logAt)
	if err == nil {
		inflight.End()
	}
	return err
}

// Bounds of the comparison-patching stage for one new-coverage input: about a tenth of a
// second on the rules target.
const (
	solveBudget   = 256 // runs in all
	solvePerInput = 64  // patches tried per input
	solveDepth    = 16  // patches of patches
	// solveTime bounds a stage on targets whose runs are slow (a lifecycle input makes many
	// calls): without it, the stages of a fresh worker ate a whole nightly share.
	solveTime = 200 * time.Millisecond
)

// solveCompares is seam's cmplog stage (Redqueen's input-to-state correspondence; go test -fuzz
// has no comparison feedback of its own): re-run the input recording the native comparisons
// whose operands differed, run each patch that puts the other operand where the observed one
// sits in the input, and go depth first into every patch that reaches native code the worker
// had not seen. A byte by byte compare (the 8-byte magic) falls in one stage instead of
// waiting for the random mutator to guess each byte. The patches' coverage counts for this
// input, so Go keeps it; a patch that fails is reported through the write-ahead slot (Go saves
// the unpatched input, which does not fail without this stage).
func solveCompares(data []byte, run func([]byte) error) error {
	runs := 0
	deadline := time.Now().Add(solveTime)
	var solve func(in []byte, depth int) error
	solve = func(in []byte, depth int) error {
		covbridge.RecordCompares(true)
		err := execOne(in, run)
		covbridge.RecordCompares(false)
		runs++
		if err != nil {
			return err
		}
		for _, p := range covbridge.Patches(in, covbridge.Compares(), solvePerInput) {
			if runs >= solveBudget || time.Now().After(deadline) {
				return nil
			}
			if skip[string(p)] {
				continue // handed over already: a restarted worker re-derives the same patch
			}
			runs++
			if err := execOne(p, run); err != nil {
				// In front: a violation's text must end with its reason (ParseViolation).
				return fmt.Errorf("on comparison patch %q of the input: %w", clip(string(p)), err)
			}
			if covbridge.Fresh() > 0 && depth < solveDepth {
				if err := solve(p, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return solve(data, 0)
}

func isFuzzWorker() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}

// clip shortens s for a finding's one-line message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
