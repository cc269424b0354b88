package fuzz

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/seamfuzz/seam/internal/covbridge"
	"github.com/seamfuzz/seam/internal/wal"
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
// isolated child instead.)
func guard(data []byte, run func() error) error {
	if bridged {
		covbridge.Reset()
		defer covbridge.Feed()
	}
	if inflight == nil {
		return run()
	}
	if skip[string(data)] {
		return nil
	}
	inflight.Begin(0, data)
	defer inflight.End()
	return run()
}

func isFuzzWorker() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}
