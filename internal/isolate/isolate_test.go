package isolate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func init() {
	Register("test", func(args map[string]string) (Handler, error) {
		if args["fail-setup"] != "" {
			return nil, errors.New("setup refused")
		}
		return func(in []byte) error {
			switch string(in) {
			case "find":
				return fmt.Errorf("mismatch: field x: 1 vs 2")
			case "crash":
				fmt.Fprintln(os.Stderr, "==1==ERROR: AddressSanitizer: fake report")
				syscall.Kill(os.Getpid(), syscall.SIGSEGV)
				time.Sleep(time.Second)
			case "hang":
				select {}
			}
			return nil
		}, nil
	})
}

func TestMain(m *testing.M) {
	ServeIfChild()
	os.Exit(m.Run())
}

func inputs(t *testing.T, names ...string) []string {
	dir := t.TempDir()
	var out []string
	for i, n := range names {
		p := filepath.Join(dir, fmt.Sprint(i))
		require.NoError(t, os.WriteFile(p, []byte(n), 0o644))
		out = append(out, p)
	}
	return out
}

func TestRunPinsCrashesAndContinues(t *testing.T) {
	job := Job{Kind: "test", Inputs: inputs(t, "ok", "crash", "ok", "find", "crash", "ok")}
	res, err := Run(context.Background(), job, Options{})
	require.NoError(t, err)
	got := []Outcome{}
	for _, r := range res {
		got = append(got, r.Outcome)
	}
	assert.Equal(t, []Outcome{Passed, Crashed, Passed, Finding, Crashed, Passed}, got)
	assert.Contains(t, string(res[1].Output), "AddressSanitizer: fake report")
	assert.NotZero(t, res[1].ExitCode, "Go turns a fatal signal into exit status 2")
	assert.Equal(t, "mismatch: field x: 1 vs 2", res[3].Message)
}

func TestRunDetectsHang(t *testing.T) {
	job := Job{Kind: "test", Inputs: inputs(t, "ok", "hang", "ok")}
	res, err := Run(context.Background(), job, Options{Timeout: 500 * time.Millisecond, OnHang: func(pid int) string { return "stack of " + fmt.Sprint(pid) + "\n" }})
	require.NoError(t, err)
	assert.Equal(t, Passed, res[0].Outcome)
	assert.Equal(t, Hung, res[1].Outcome)
	assert.Contains(t, string(res[1].Output), watchdog.HangMarker)
	assert.Contains(t, string(res[1].Output), "stack of ")
	assert.Equal(t, Passed, res[2].Outcome, "the run goes on after a hang")
}

func TestSetupFailureIsAnError(t *testing.T) {
	job := Job{Kind: "test", Args: map[string]string{"fail-setup": "1"}, Inputs: inputs(t, "ok")}
	_, err := Run(context.Background(), job, Options{})
	var ce *ChildError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "setup refused")
}

// issue 16: "L <i>" marks the leak check after input i; a child that never gets past it hung
// in LeakSanitizer, not in the input.
func TestProgressMarksTheLeakCheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "progress")
	require.NoError(t, os.WriteFile(p, []byte("S 0\nL 0\nO 0 5\nS 1\nL 1\n"), 0o644))
	marks, err := readProgress(p)
	require.NoError(t, err)
	assert.True(t, marks[0].done, "a leak check that ended leaves the input done")
	assert.False(t, marks[1].done)
	assert.True(t, marks[1].leakCheck, "input 1 is in its leak check")
}
