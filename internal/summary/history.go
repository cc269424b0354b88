package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seamfuzz/seam/internal/finding"
)

// State is what the nightly job remembers between runs.
type State struct {
	Schema     string               `json:"schema"`
	Signatures map[string]time.Time `json:"signatures"` // signature -> first seen
	Throughput map[string]float64   `json:"throughput"` // target -> execs/s last run
}

const stateSchema = "seam.state/v1"

// LoadState reads the state file; a missing file is an empty state, a damaged one an error
// naming it (never silently reset: that would report every known bug as new).
func LoadState(path string) (State, error) {
	st := State{Schema: stateSchema, Signatures: map[string]time.Time{}, Throughput: map[string]float64{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil || st.Schema != stateSchema {
		return st, fmt.Errorf("nightly state %s is damaged (%v): fix or delete it to start over", path, err)
	}
	if st.Signatures == nil {
		st.Signatures = map[string]time.Time{}
	}
	if st.Throughput == nil {
		st.Throughput = map[string]float64{}
	}
	return st, nil
}

// SaveState writes the state atomically.
func SaveState(path string, st State) error {
	st.Schema = stateSchema
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Compare fills last night's throughput and drops, moves findings already in the state from
// New to Known, and records this run in the state.
func Compare(r *Run, st *State) {
	var fresh []finding.Finding
	for _, f := range r.New {
		if first, ok := st.Signatures[f.Signature]; ok {
			f.FirstSeen = first
			r.Known = append(r.Known, f)
			continue
		}
		fresh = append(fresh, f)
	}
	r.New = fresh
	for i := range r.Throughput {
		t := &r.Throughput[i]
		if prev, ok := st.Throughput[t.Target]; ok && prev > 0 {
			t.PreviousExecsPerSec = prev
			t.DropPercent = (prev - t.ExecsPerSec) / prev * 100
		}
	}
	for _, f := range append(append([]finding.Finding{}, r.New...), r.Known...) {
		if _, ok := st.Signatures[f.Signature]; !ok {
			first := f.FirstSeen
			if first.IsZero() {
				first = r.Started
			}
			st.Signatures[f.Signature] = first
		}
	}
	for _, t := range r.Throughput {
		if t.ExecsPerSec > 0 {
			st.Throughput[t.Target] = t.ExecsPerSec
		}
	}
}
