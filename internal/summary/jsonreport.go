package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes report.json.
func WriteJSON(w io.Writer, r Run) error {
	r.Schema = Schema
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads report.json strictly.
func ReadJSON(b []byte) (Run, error) {
	var r Run
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("report.json: %w", err)
	}
	if r.Schema != Schema {
		return r, fmt.Errorf("report.json: schema %q, want %q", r.Schema, Schema)
	}
	return r, nil
}
