// Package isolate runs inputs in a child process, so a native crash or hang kills the child and
// not seam, and is pinned to the input that caused it.
//
// The child writes "S <i>" to a progress file before each input and "O <i>" or "F <i> <msg>"
// after it ("L <i>" in between when a leak check follows the input), with plain write syscalls, so the kernel has the mark even if the next instruction
// kills the process. When the child dies, the last started-but-unfinished input is the culprit;
// the parent records the child's output (the sanitizer report) and starts a new child for the
// inputs that remain.
//
// The child is the same binary: the parent re-executes it with SEAM_ISOLATE_JOB set, and the
// binary's entry point (seam's main, a package's TestMain) calls ServeIfChild first.
package isolate

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seamfuzz/seam/internal/watchdog"

	"github.com/seamfuzz/seam/internal/lsan"
)

// Handler runs one input in the child. A returned error is a finding that is not a crash (a
// mismatch, a contract breach); a crash simply kills the process.
type Handler func(input []byte) error

// Setup builds a handler in the child from the job's arguments (open libraries, etc.).
type Setup func(args map[string]string) (Handler, error)

var (
	regMu    sync.Mutex
	registry = map[string]Setup{}
)

// Register makes a kind of job runnable in children. Call it from init.
func Register(kind string, s Setup) {
	regMu.Lock()
	defer regMu.Unlock()
	registry[kind] = s
}

// Kinds lists the registered job kinds.
func Kinds() []string {
	regMu.Lock()
	defer regMu.Unlock()
	var out []string
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Job is what one child runs.
type Job struct {
	Kind   string            `json:"kind"`
	Args   map[string]string `json:"args,omitempty"`
	Inputs []string          `json:"inputs"` // files holding the raw input bytes
	// LeakCheck runs a LeakSanitizer check after every input (when the runtime is loaded); an
	// input that leaks is reported like a crash, with the leak report as its output.
	LeakCheck bool `json:"leak_check,omitempty"`
}

// Outcome of one input.
type Outcome string

const (
	Passed  Outcome = "ok"
	Finding Outcome = "finding" // the handler returned an error
	Crashed Outcome = "crash"   // the child died while running it
	Hung    Outcome = "hang"    // no progress within the timeout
	NotRun  Outcome = "not-run" // the run was cancelled first
)

// Result is the outcome of one input.
type Result struct {
	Input    string
	Outcome  Outcome
	Message  string // the finding's error text
	Output   []byte // the child's output up to its death (crash, hang)
	ExitCode int
	Duration time.Duration
	// InLeakCheck: the input had run to its end and the child hung in the LeakSanitizer check
	// after it (Outcome is Hung): too many leaks to report in time, not a hang of the code.
	InLeakCheck bool
}

// Options control a run.
type Options struct {
	Command []string      // child command line; default: this executable with no arguments
	Env     []string      // extra environment for the child
	Timeout time.Duration // per input; 0 = 10s
	// OnHang is called with the child's pid before it is killed, to capture a native stack
	// (see GDBStack); its text goes into the hang report.
	OnHang func(pid int) string
}

const (
	envJob      = "SEAM_ISOLATE_JOB"
	envProgress = "SEAM_ISOLATE_PROGRESS"
	maxOutput   = 1 << 20
)

// ExitLeak is the status of a child that stopped because an input leaked.
const ExitLeak = 23

// Run executes every input of job, one child at a time, restarting after each crash or hang.
func Run(ctx context.Context, job Job, opts Options) ([]Result, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if len(opts.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		opts.Command = []string{exe}
	}
	dir, err := os.MkdirTemp("", "seam-isolate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	results := make([]Result, len(job.Inputs))
	for i, in := range job.Inputs {
		results[i] = Result{Input: in, Outcome: NotRun}
	}
	next := 0
	for round := 0; next < len(job.Inputs); round++ {
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		sub := job
		sub.Inputs = job.Inputs[next:]
		done, err := runChild(ctx, dir, round, sub, opts, results[next:])
		if err != nil {
			return results, err
		}
		next += done
	}
	return results, nil
}

// runChild runs one child over inputs and fills res; it returns how many inputs are settled.
func runChild(ctx context.Context, dir string, round int, job Job, opts Options, res []Result) (int, error) {
	jobPath := filepath.Join(dir, fmt.Sprintf("job-%d.json", round))
	progPath := filepath.Join(dir, fmt.Sprintf("progress-%d", round))
	b, err := json.Marshal(job)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(jobPath, b, 0o600); err != nil {
		return 0, err
	}
	if err := os.WriteFile(progPath, nil, 0o600); err != nil {
		return 0, err
	}
	cmd := exec.Command(opts.Command[0], opts.Command[1:]...)
	cmd.Env = append(append(os.Environ(), opts.Env...), envJob+"="+jobPath, envProgress+"="+progPath)
	// Progress is the progress file growing: a mark per input begun and ended.
	progress := func() int64 {
		if st, err := os.Stat(progPath); err == nil {
			return st.Size()
		}
		return -1
	}
	ex, err := watchdog.Run(ctx, cmd, watchdog.Config{Progress: progress, HangAfter: opts.Timeout,
		Poll: 50 * time.Millisecond, OnHang: opts.OnHang, MaxOutput: maxOutput})
	if err != nil {
		return 0, fmt.Errorf("start child %s: %w", opts.Command[0], err)
	}
	if ex.Canceled {
		return len(res), nil
	}
	marks, err := readProgress(progPath)
	if err != nil {
		return 0, err
	}
	settled := 0
	inFlight := -1
	for i := range res {
		m, ok := marks[i]
		switch {
		case !ok:
		case m.done:
			res[i].Outcome = Passed
			if m.finding != "" {
				res[i].Outcome, res[i].Message = Finding, m.finding
			}
			res[i].Duration = m.dur
			settled = i + 1
		default:
			inFlight = i
		}
	}
	code := ex.ShellCode()
	if len(res) == 1 && settled == 1 {
		res[0].Output = ex.Output // a lone input's output is what it printed
	}
	if inFlight >= 0 {
		r := &res[inFlight]
		r.Outcome, r.Output, r.ExitCode, r.Duration = Crashed, ex.Output, code, ex.Elapsed
		if ex.Hung {
			r.Outcome = Hung
			hdr := watchdog.HangHeader(opts.Timeout, job.Kind+" input "+filepath.Base(r.Input))
			if marks[inFlight].leakCheck {
				r.InLeakCheck = true
				hdr = fmt.Sprintf("seam: the LeakSanitizer check after %s input %s did not finish within %s (the input itself ran to its end)\n",
					job.Kind, filepath.Base(r.Input), opts.Timeout)
			}
			r.Output = append([]byte(hdr+ex.HangNote), r.Output...)
		}
		return inFlight + 1, nil
	}
	if settled < len(res) || code != 0 {
		// The child died outside any input (setup failed, or at exit: a leak report).
		if settled == len(res) && code != 0 {
			return settled, &ChildError{Code: code, Output: ex.Output, AfterAll: true}
		}
		return settled, &ChildError{Code: code, Output: ex.Output}
	}
	return settled, nil
}

// ChildError is a child that failed outside any input: setup failed (a library that does not
// load), or it died after finishing every input (LeakSanitizer's at-exit report).
type ChildError struct {
	Code     int
	Output   []byte
	AfterAll bool
}

func (e *ChildError) Error() string {
	lines := strings.Split(strings.TrimSpace(string(e.Output)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	when := "before finishing its inputs"
	if e.AfterAll {
		when = "after its last input"
	}
	return fmt.Sprintf("child exited with status %d %s: %s", e.Code, when, strings.Join(lines, " | "))
}

type mark struct {
	done      bool
	finding   string
	dur       time.Duration
	leakCheck bool // in the leak check after the input ("L")
}

func readProgress(path string) (map[int]mark, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	marks := map[int]mark{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 4)
		if len(fields) < 2 {
			continue
		}
		i, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		switch fields[0] {
		case "S":
			marks[i] = mark{}
		case "L":
			marks[i] = mark{leakCheck: true}
		case "O", "F":
			m := mark{done: true}
			if len(fields) >= 3 {
				ns, _ := strconv.ParseInt(fields[2], 10, 64)
				m.dur = time.Duration(ns)
			}
			if fields[0] == "F" && len(fields) == 4 {
				msg, err := strconv.Unquote(fields[3])
				if err != nil {
					msg = fields[3]
				}
				m.finding = msg
			}
			marks[i] = m
		}
	}
	return marks, sc.Err()
}

func init() {
	// A child's main goroutine stays on the main thread for the whole job (init runs there;
	// locking here keeps it there through main). ThreadSanitizer cannot see Go's scheduler:
	// after a migration, the engine state one thread set up and the next thread uses (a
	// handle, a malloc'ed block) look unordered to it, which is a false data race, seen on
	// loaded CI machines as a race between C.malloc on the main thread and C.free on another.
	if IsChild() {
		runtime.LockOSThread()
	}
}

// IsChild reports whether this process was started to run a job.
func IsChild() bool { return os.Getenv(envJob) != "" }

// ServeIfChild runs the job this process was started for, if any, and exits; otherwise it
// returns at once. Call it first thing in main or TestMain.
func ServeIfChild() {
	jobPath := os.Getenv(envJob)
	if jobPath == "" {
		return
	}
	os.Exit(serve(jobPath, os.Getenv(envProgress)))
}

func serve(jobPath, progPath string) int {
	// The child's own children (tools, nested runs) must not think they are children.
	os.Unsetenv(envJob)
	os.Unsetenv(envProgress)
	b, err := os.ReadFile(jobPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seam child:", err)
		return 2
	}
	var job Job
	if err := json.Unmarshal(b, &job); err != nil {
		fmt.Fprintln(os.Stderr, "seam child: bad job:", err)
		return 2
	}
	regMu.Lock()
	setup, ok := registry[job.Kind]
	regMu.Unlock()
	if !ok {
		fmt.Fprintf(os.Stderr, "seam child: unknown job kind %q (known: %s)\n", job.Kind, strings.Join(Kinds(), ", "))
		return 2
	}
	handler, err := setup(job.Args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seam child:", err)
		return 2
	}
	prog, err := os.OpenFile(progPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seam child:", err)
		return 2
	}
	for i, in := range job.Inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			fmt.Fprintln(os.Stderr, "seam child:", err)
			return 2
		}
		fmt.Fprintf(prog, "S %d\n", i)
		start := time.Now()
		ferr := handler(data)
		d := time.Since(start).Nanoseconds()
		if job.LeakCheck && lsan.Available() {
			// The input is done; what follows is LeakSanitizer's time, not the input's: the mark
			// restarts the parent's hang clock and says, if the check never ends, where it hung.
			fmt.Fprintf(prog, "L %d\n", i)
		}
		if job.LeakCheck && lsan.Check() {
			// Leave input i in flight: to the parent it is the input that "crashed".
			return ExitLeak
		}
		if ferr != nil {
			fmt.Fprintf(prog, "F %d %d %s\n", i, d, strconv.Quote(ferr.Error()))
		} else {
			fmt.Fprintf(prog, "O %d %d\n", i, d)
		}
	}
	prog.Close()
	return 0
}
