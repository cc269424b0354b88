// Package atomicfile writes files so that a reader sees the old content or the new, never a
// part: through a temporary file in the same directory, synced, then renamed (Write) or linked
// (WriteNew, which never replaces what is there).
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data atomically.
func Write(path string, data []byte) error {
	return write(path, data, os.Rename)
}

// WriteNew writes data to path, which must not exist; an existing file is left as it is and
// the error wraps os.ErrExist.
func WriteNew(path string, data []byte) error {
	err := write(path, data, os.Link)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists: give another name, or remove it first: %w", path, os.ErrExist)
	}
	return err
}

func write(path string, data []byte, place func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return place(tmp.Name(), path)
}
