package watchdog

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sh(script string) *exec.Cmd { return exec.Command("/bin/sh", "-c", script) }

func TestRunKeepsOutputAndExitStatus(t *testing.T) {
	var lines []string
	ex, err := Run(context.Background(), sh("echo one; echo two >&2; printf three; exit 3"), Config{Lines: func(l string) { lines = append(lines, l) }})
	require.NoError(t, err)
	assert.Equal(t, 3, ex.Code)
	assert.False(t, ex.Clean())
	assert.False(t, ex.Hung)
	assert.Equal(t, "one\ntwo\nthree", string(ex.Output))
	assert.Equal(t, []string{"one", "two", "three"}, lines, "the last line without a newline is handed on too")

	ex, err = Run(context.Background(), sh("true"), Config{})
	require.NoError(t, err)
	assert.True(t, ex.Clean())

	_, err = Run(context.Background(), exec.Command("/nonexistent/child"), Config{})
	require.ErrorContains(t, err, "start /nonexistent/child")
}

// A child without progress gets OnHang, then SIGABRT; one that ignores SIGABRT is killed.
func TestRunEndsAHungChild(t *testing.T) {
	notes := 0
	cfg := Config{Progress: func() int64 { return 7 }, HangAfter: 200 * time.Millisecond, Poll: 20 * time.Millisecond,
		Grace: 300 * time.Millisecond, OnHang: func(pid int) string { notes++; return "stack of " + strconv.Itoa(pid) }}
	ex, err := Run(context.Background(), sh("exec sleep 30"), cfg)
	require.NoError(t, err)
	assert.True(t, ex.Hung)
	assert.Equal(t, syscall.SIGABRT, ex.Signal)
	assert.Equal(t, 1, notes)
	assert.Contains(t, ex.HangNote, "stack of ")
	assert.Less(t, ex.Elapsed, 5*time.Second)

	ex, err = Run(context.Background(), sh("trap '' ABRT; sleep 30; sleep 30"), cfg)
	require.NoError(t, err)
	assert.True(t, ex.Hung)
	assert.Equal(t, syscall.SIGKILL, ex.Signal, "SIGKILL after the grace period")
	assert.Less(t, ex.Elapsed, 5*time.Second)
}

func TestRunLetsAChildThatProgressesLive(t *testing.T) {
	var n atomic.Int64
	// It runs twice as long as HangAfter, so only its progress keeps it alive; the gaps leave
	// room for a loaded machine.
	ex, err := Run(context.Background(), sh("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo $i; sleep 0.25; done"),
		Config{Progress: n.Load, HangAfter: 1500 * time.Millisecond, Poll: 20 * time.Millisecond, Lines: func(string) { n.Add(1) }})
	require.NoError(t, err)
	assert.True(t, ex.Clean(), "%+v", ex)
	assert.EqualValues(t, 12, n.Load())
}

// Cancelling stops the whole process group: a grandchild does not outlive it.
func TestRunCancelKillsTheGroup(t *testing.T) {
	pidFile := t.TempDir() + "/grandchild"
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ex, err := Run(ctx, sh("sleep 30 & echo $! > "+pidFile+"; wait"), Config{})
	require.NoError(t, err)
	assert.True(t, ex.Canceled)
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return syscall.Kill(pid, 0) != nil }, 3*time.Second, 20*time.Millisecond, "grandchild %d still alive", pid)
}

func TestOutputKeepsHeadAndTail(t *testing.T) {
	o := NewOutput(20)
	o.Write([]byte("0123456789"))
	o.Write(bytes.Repeat([]byte("x"), 100))
	o.Write([]byte("abcdefghij"))
	assert.Equal(t, "0123456789\n... [output cut] ...\nabcdefghij", string(o.Bytes()))
}
