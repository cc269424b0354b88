package wal

import (
	"fmt"
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

// Pool mode: inputs written once, a call recorded by its entry index; Read returns the entry's
// exact bytes as the in-flight record.
func TestPoolEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w")
	f, err := CreatePool(path, 3, 16, 4)
	require.NoError(t, err)
	s0, s1, s2 := f.Slot(0), f.Slot(1), f.Slot(2)
	assert.Equal(t, 4, s0.PoolSize())
	for i := 0; i < 4; i++ {
		s0.SetEntry(i, uint32(10+i), []byte{byte(i), 1, 2})
		s1.SetEntry(i, uint32(20+i), []byte("slot one"))
	}
	s0.BeginEntry(1)
	s0.End()
	s0.BeginEntry(3)
	s1.BeginEntry(0)
	s1.End()
	s2.SetEntry(2, 5, make([]byte, 40)) // larger than the data size
	s2.BeginEntry(2)
	s2.Begin(1, []byte("x")) // a direct record replaces the pool one
	s2.BeginEntry(2)
	require.NoError(t, f.Close())

	recs, err := Read(path)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.True(t, recs[0].InFlight)
	assert.Equal(t, 3, recs[0].Entry)
	assert.Equal(t, uint32(13), recs[0].Tag)
	assert.Equal(t, []byte{3, 1, 2}, recs[0].Data)
	assert.Equal(t, uint64(2), recs[0].Seq)
	assert.False(t, recs[1].InFlight)
	assert.True(t, recs[2].InFlight)
	assert.True(t, recs[2].Truncated)
	assert.Len(t, recs[2].Data, 16)
	assert.Equal(t, uint32(5), recs[2].Tag)
}

// A pool-mode record survives the writer being killed mid-call too.
func TestPoolSurvivesProcessDeath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w")
	if p := os.Getenv("SEAM_WAL_POOL_CHILD"); p != "" {
		f, _ := CreatePool(p, 2, 64, 8)
		s := f.Slot(1)
		for i := 0; i < 8; i++ {
			s.SetEntry(i, uint32(i), []byte(fmt.Sprintf("input %d", i)))
		}
		s.BeginEntry(6)
		var p0 *int
		*p0 = 1
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPoolSurvivesProcessDeath$")
	cmd.Env = append(os.Environ(), "SEAM_WAL_POOL_CHILD="+path)
	require.Error(t, cmd.Run())
	recs, err := Read(path)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.False(t, recs[0].InFlight)
	assert.True(t, recs[1].InFlight)
	assert.Equal(t, uint32(6), recs[1].Tag)
	assert.Equal(t, "input 6", string(recs[1].Data))
}
