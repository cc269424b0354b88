// Package watchdog runs seam's child processes — isolated replays, stress loops, go test -fuzz
// and libFuzzer — and ends them the one way seam ends a child: the child runs in its own process
// group; a child that makes no progress for a while is hung, gets its native stacks taken
// (OnHang, e.g. GDBStack) and SIGABRT (Go and the sanitizers print their stacks on it), then
// SIGKILL for its whole group after a grace period; a cancelled context stops the group the
// same way. Its output is kept in one bounded buffer (the beginning and the end), and each line
// can be watched as it comes.
package watchdog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// HangMarker starts the text a hung child's output is prefixed with, so a report parser can
// tell a hang from a crash.
const HangMarker = "==seam== HANG:"

// Config says how to watch one child. The zero Config runs the child to its end, keeping 1 MiB
// of its output.
type Config struct {
	// Progress returns a value that changes while the child works (a file's size, a call
	// count). When it has not changed for HangAfter, the child is hung. Nil: no hang detection.
	Progress  func() int64
	HangAfter time.Duration
	// OnHang runs before the hung child is signalled; what it returns is kept in Exit.HangNote.
	OnHang func(pid int) string
	// OnPoll runs every Poll while the child lives (status lines, memory samples).
	OnPoll func(pid int)
	Poll   time.Duration // default 100 ms
	// Lines gets every line of the child's output as it comes (without the newline), on one
	// goroutine, before Run returns.
	Lines func(line string)
	// MaxOutput bounds the output kept: its first and last halves (default 1 MiB).
	MaxOutput int
	// Stop is what the group gets when the context ends: SIGKILL by default; SIGINT for a
	// child that writes its state on the way out (libFuzzer's final stats).
	Stop syscall.Signal
	// Grace is how long a signalled child may take to die before its group gets SIGKILL
	// (default 3 s).
	Grace time.Duration
}

// Exit is how a child ended.
type Exit struct {
	Err      error          // what cmd.Wait returned
	Code     int            // exit status; -1 when a signal ended it
	Signal   syscall.Signal // the signal that ended it, 0 if none
	Hung     bool           // it made no progress for HangAfter and was killed
	HangNote string         // what OnHang returned
	Canceled bool           // the context ended before the child did
	Output   []byte         // stdout and stderr, interleaved, bounded by MaxOutput
	Elapsed  time.Duration
}

// ShellCode is the exit status as a shell reports it: 128 + the signal for a killed child.
func (e Exit) ShellCode() int {
	if e.Signal != 0 {
		return 128 + int(e.Signal)
	}
	return e.Code
}

// HangHeader is the first line of a hung child's report: how long it made no progress and
// what it was doing.
func HangHeader(after time.Duration, doing string) string {
	return fmt.Sprintf("%s no progress for %s in %s\n", HangMarker, after, doing)
}

// Clean reports whether the child ended by itself with status 0.
func (e Exit) Clean() bool { return e.Err == nil && !e.Hung && !e.Canceled }

// Run starts cmd (not yet started; Run sets its Stdout, Stderr and process group) and watches
// it until it ends. The error is only for a child that could not start.
func Run(ctx context.Context, cmd *exec.Cmd, cfg Config) (Exit, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.MaxOutput <= 0 {
		cfg.MaxOutput = 1 << 20
	}
	if cfg.Stop == 0 {
		cfg.Stop = syscall.SIGKILL
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 3 * time.Second
	}
	out := &Output{max: cfg.MaxOutput}
	var w io.Writer = out
	var lines *lineWriter
	if cfg.Lines != nil {
		lines = &lineWriter{out: out, fn: cfg.Lines}
		w = lines
	}
	cmd.Stdout, cmd.Stderr = w, w
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// A grandchild that inherited the output pipe must not keep Wait from returning.
	cmd.WaitDelay = cfg.Grace
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Exit{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var ex Exit
	var tick <-chan time.Time
	if cfg.Progress != nil || cfg.OnPoll != nil {
		t := time.NewTicker(cfg.Poll)
		defer t.Stop()
		tick = t.C
	}
	last, lastChange, started := int64(0), time.Now(), false
loop:
	for {
		select {
		case ex.Err = <-exited:
			break loop
		case <-ctx.Done():
			ex.Canceled = true
			ex.Err = end(pid, cfg.Stop, true, cfg.Grace, exited)
			break loop
		case <-tick:
			if cfg.OnPoll != nil {
				cfg.OnPoll(pid)
			}
			if cfg.Progress == nil || cfg.HangAfter <= 0 {
				continue
			}
			if v := cfg.Progress(); !started || v != last {
				last, lastChange, started = v, time.Now(), true
				continue
			}
			if time.Since(lastChange) > cfg.HangAfter {
				ex.Hung = true
				if cfg.OnHang != nil {
					ex.HangNote = cfg.OnHang(pid)
				}
				// SIGABRT to the child alone: it is the one whose stacks are wanted.
				ex.Err = end(pid, syscall.SIGABRT, false, cfg.Grace, exited)
				break loop
			}
		}
	}
	if lines != nil {
		lines.flush()
	}
	ex.Elapsed = time.Since(start)
	ex.Output = out.Bytes()
	var ee *exec.ExitError
	switch {
	case ex.Err == nil:
	case errors.As(ex.Err, &ee):
		ex.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ex.Signal = ws.Signal()
		}
	default: // it could not be waited for (exec.ErrWaitDelay): no status to report
		ex.Code = -1
	}
	return ex, nil
}

// end signals the child (or its group) and waits for it; after the grace period the whole
// group gets SIGKILL.
func end(pid int, sig syscall.Signal, group bool, grace time.Duration, exited <-chan error) error {
	target := pid
	if group {
		target = -pid
	}
	syscall.Kill(target, sig)
	if sig == syscall.SIGKILL {
		return <-exited
	}
	select {
	case err := <-exited:
		return err
	case <-time.After(grace):
		syscall.Kill(-pid, syscall.SIGKILL)
		return <-exited
	}
}

// Output keeps the first and the last part of a child's output: the beginning names the setup,
// the end holds the report of whatever killed it. It is safe for concurrent writes.
type Output struct {
	mu   sync.Mutex
	max  int
	head bytes.Buffer
	tail []byte
	cut  bool
}

// NewOutput returns a buffer that keeps at most max bytes.
func NewOutput(max int) *Output { return &Output{max: max} }

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	if room := o.max/2 - o.head.Len(); room > 0 {
		k := min(room, len(p))
		o.head.Write(p[:k])
		p = p[k:]
	}
	if len(p) > 0 {
		o.tail = append(o.tail, p...)
		if len(o.tail) > o.max/2 {
			o.tail = append([]byte(nil), o.tail[len(o.tail)-o.max/2:]...)
			o.cut = true
		}
	}
	return n, nil
}

// Bytes returns what was kept, with a marker where the middle was cut.
func (o *Output) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := append([]byte(nil), o.head.Bytes()...)
	if o.cut {
		out = append(out, "\n... [output cut] ...\n"...)
	}
	return append(out, o.tail...)
}

// maxLine bounds one line handed to Lines: a child printing megabytes without a newline must
// not grow seam's memory.
const maxLine = 1 << 20

// lineWriter hands complete lines to fn and everything to out.
type lineWriter struct {
	mu      sync.Mutex
	out     io.Writer
	fn      func(string)
	partial []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.out.Write(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	rest := l.partial
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		l.fn(string(bytes.TrimSuffix(rest[:i], []byte("\r"))))
		rest = rest[i+1:]
	}
	if len(rest) > maxLine {
		l.fn(string(rest))
		rest = nil
	}
	l.partial = append(l.partial[:0], rest...)
	return len(p), nil
}

func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.fn(string(l.partial))
		l.partial = nil
	}
}

// GDBStack returns every thread's native backtrace of pid using gdb, or "" when gdb is not
// installed. It is the OnHang of children that run native code: a Go SIGABRT dump shows no C
// frames.
func GDBStack(pid int) string {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, gdb, "-p", strconv.Itoa(pid), "-batch", "-nx",
		"-ex", "set pagination off", "-ex", "thread apply all bt").CombinedOutput()
	return string(out)
}
