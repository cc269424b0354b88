package fuzz

import (
	"os"
	"path/filepath"

	"github.com/seamfuzz/seam/corpus"
	"github.com/seamfuzz/seam/internal/checkout"
)

// CorpusDir is the shared regression corpus (corpus/ at the repository root, or SEAM_CORPUS).
func CorpusDir() (string, error) {
	if d := os.Getenv("SEAM_CORPUS"); d != "" {
		return d, nil
	}
	root, err := checkout.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "corpus"), nil
}

// Seed is one saved input of a target.
type Seed struct {
	Entry corpus.Entry
	Data  []byte
}

// CorpusInputs loads every saved input of a target.
func CorpusInputs(target string) ([]Seed, error) {
	dir, err := CorpusDir()
	if err != nil {
		return nil, err
	}
	st := corpus.Open(dir)
	entries, err := st.List(target)
	if err != nil {
		return nil, err
	}
	var out []Seed
	for _, e := range entries {
		_, data, err := st.Get(target, e.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Seed{Entry: e, Data: data})
	}
	return out, nil
}
