package supervisor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeGoFuzz(t *testing.T) {
	b, err := DecodeGoFuzz([]byte("go test fuzz v1\n[]byte(\"a\\x00\\xff\")\n"))
	require.NoError(t, err)
	assert.Equal(t, []byte{'a', 0, 0xff}, b)
	_, err = DecodeGoFuzz([]byte("go test fuzz v1\nint(1)\n"))
	assert.Error(t, err)
	_, err = DecodeGoFuzz([]byte("garbage"))
	assert.Error(t, err)
}

// The supervisor must hand over both a crash (worker death, report captured from the worker's
// stderr) and a t.Fatal finding, and keep fuzzing after each.
func TestRunKeepsFuzzingAfterFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzes for a few seconds")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "toy.test")
	out, err := exec.Command("go", "test", "-c", "-fuzz=.", "-o", bin, "./testdata/toy").CombinedOutput()
	require.NoError(t, err, "%s", out)
	var mu sync.Mutex
	var crashers []Crasher
	var statuses int
	res, err := Run(context.Background(), Config{
		TestBinary: bin, FuzzFunc: "FuzzToy", Budget: 12 * time.Second,
		WorkDir: filepath.Join(dir, "work"), CacheDir: filepath.Join(dir, "cache"), LogDir: filepath.Join(dir, "logs"),
		Status: func(Status) { mu.Lock(); statuses++; mu.Unlock() },
		Crasher: func(_ context.Context, c Crasher) Stop {
			mu.Lock()
			crashers = append(crashers, c)
			mu.Unlock()
			return false
		},
	})
	require.NoError(t, err)
	var crash, finding bool
	for _, c := range crashers {
		switch c.Data[0] {
		case 'C':
			crash = true
			assert.True(t, c.Hung, "a dead worker is reported as hung or terminated")
			assert.Contains(t, string(c.WorkerLog), "toy crash report", "the worker's stderr is kept")
		case 'F':
			finding = true
			assert.Contains(t, c.GoFailure, "mismatch in toy")
		}
	}
	assert.True(t, crash, "the crash was handed over")
	assert.True(t, finding, "the t.Fatal finding was handed over")
	assert.GreaterOrEqual(t, res.Restarts, 1, "fuzzing restarted after the first failure")
	assert.Positive(t, statuses)
	assert.Positive(t, res.Execs)
	t.Logf("result: %+v, crashers: %d", res, len(crashers))
	for _, c := range crashers {
		if c.Data[0] == 'C' {
			assert.Contains(t, c.InFlight, c.Data, "the dead worker's write-ahead slot holds the crasher")
		}
	}
}

func TestKnownAndHitsFiles(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known.txt")
	require.NoError(t, writeKnown(known, []string{"b | f", "a | g", "bad\nline", ""}))
	b, err := os.ReadFile(known)
	require.NoError(t, err)
	assert.Equal(t, "a | g\nb | f\n", string(b), "sorted, one signature a line, nothing that would split")

	require.NoError(t, WriteHits(HitsFile(dir, 1), map[string]int64{"a | g": 3}))
	require.NoError(t, WriteHits(HitsFile(dir, 2), map[string]int64{"a | g": 2, "b | f": 1}))
	total := map[string]int64{"a | g": 10}
	readHits(dir, total)
	assert.Equal(t, map[string]int64{"a | g": 15, "b | f": 1}, total, "summed over workers and runs")
}
