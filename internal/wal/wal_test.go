package wal

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBeginEndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w")
	f, err := Create(path, 3, 16)
	require.NoError(t, err)
	f.Slot(0).Begin(7, []byte("hello"))
	s1 := f.Slot(1)
	s1.Begin(8, []byte("done"))
	s1.End()
	f.Slot(2).Begin(9, make([]byte, 10000)) // larger than the slot
	require.NoError(t, f.Close())

	recs, err := Read(path)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.True(t, recs[0].InFlight)
	assert.Equal(t, uint32(7), recs[0].Tag)
	assert.Equal(t, []byte("hello"), recs[0].Data)
	assert.False(t, recs[1].InFlight)
	assert.True(t, recs[2].Truncated)
	assert.Equal(t, uint64(1), recs[2].Seq)
}

// The record must survive the writer being killed mid-call.
func TestSurvivesProcessDeath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w")
	if p := os.Getenv("SEAM_WAL_CHILD"); p != "" {
		f, _ := Create(p, 1, 64)
		f.Slot(0).Begin(1, []byte("the input that killed me"))
		os.Stdout.Sync()
		var p0 *int
		*p0 = 1 // die in the middle of the "call"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesProcessDeath$")
	cmd.Env = append(os.Environ(), "SEAM_WAL_CHILD="+path)
	require.Error(t, cmd.Run())
	recs, err := Read(path)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.True(t, recs[0].InFlight)
	assert.Equal(t, "the input that killed me", string(recs[0].Data))
}

func TestReadRejectsForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	require.NoError(t, os.WriteFile(path, make([]byte, 8192), 0o644))
	_, err := Read(path)
	assert.ErrorContains(t, err, "not a slot file")
}
