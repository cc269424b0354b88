package cheader

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"modernc.org/cc/v4"
)

// A snapshot is what parsing a header takes from the machine it is parsed on, written down
// where a C compiler is, for where none is: the runner of a distributed fuzzing service has
// the header but neither a C compiler (which cc.NewConfig execs for its predefined macros and
// include paths) nor the system headers the header includes. Its directory holds
// snapshotManifest and, under snapshotFiles/, every system header the translation opened, at
// its path on the machine that wrote it (usr/include/stdint.h).
const (
	snapshotManifest = "manifest.json"
	snapshotFiles    = "files"
)

// ErrSnapshot starts the error of a snapshot that cannot stand in for the host's C
// configuration: incomplete, changed since it was written, of another platform, or without a
// system header the header now includes. Writing it again with Snapshot is the fix, which the
// caller names (errors.Is) in its own terms.
var ErrSnapshot = errors.New("C configuration snapshot")

// manifest is the snapshot's record of the host configuration.
type manifest struct {
	GOOS            string         `json:"goos"`
	GOARCH          string         `json:"goarch"`
	Compiler        string         `json:"compiler"` // what cc.NewConfig ran, for the reader
	Predefined      string         `json:"predefined"`
	IncludePaths    []string       `json:"include_paths"`
	SysIncludePaths []string       `json:"sys_include_paths"`
	Files           []snapshotFile `json:"files"`
}

type snapshotFile struct {
	Path   string `json:"path"` // absolute, slash-separated, on the machine that wrote it
	SHA256 string `json:"sha256"`
}

// FromSnapshot makes Parse take the C configuration from the snapshot in dir (written by
// Snapshot for the same header) instead of the system C compiler and system headers; the
// header's own directory and IncludeDir's are still read from disk.
func FromSnapshot(dir string) Option {
	return func(o *options) { o.snapshot = dir }
}

// Snapshot parses the header at path as Parse does with the same options, on this machine's C
// compiler, and writes into dir (created; an older snapshot there replaced) what Parse with
// FromSnapshot(dir) then needs in place of that compiler and the system headers.
func Snapshot(path, dir string, opts ...Option) error {
	o := newOptions(opts)
	if o.snapshot != "" {
		return fmt.Errorf("snapshot of %s: the header is to be parsed on this machine's C compiler, not from the snapshot %s", path, o.snapshot)
	}
	host, err := hostConfig()
	if err != nil {
		return fmt.Errorf("cannot configure the C parser from the system C compiler: %w", err)
	}
	rec := &recordingFS{own: ownDirs(path, o)}
	if _, err := parse(path, o, host, rec); err != nil {
		return err
	}
	m := manifest{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Compiler: host.CC, Predefined: host.Predefined,
		IncludePaths: host.IncludePaths, SysIncludePaths: host.SysIncludePaths}
	if err := os.RemoveAll(filepath.Join(dir, snapshotFiles)); err != nil {
		return err
	}
	for _, name := range rec.opened() {
		b, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, snapshotFiles, filepath.FromSlash(strings.TrimPrefix(name, "/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		m.Files = append(m.Files, snapshotFile{Path: name, SHA256: digest(b)})
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, snapshotManifest), append(b, '\n'), 0o644)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ownDirs are the directories whose files are the header's own rather than the system's: its
// own and the IncludeDir's. They are read from disk where the header is, never snapshotted.
func ownDirs(path string, o options) []string {
	dirs := []string{filepath.Dir(path)}
	dirs = append(dirs, o.includes...)
	for i, d := range dirs {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		dirs[i] = filepath.ToSlash(filepath.Clean(d))
	}
	return dirs
}

func isOwn(dirs []string, name string) bool {
	for _, d := range dirs {
		if name == d || strings.HasPrefix(name, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// recordingFS is the host file system, noting every system file cc opens.
type recordingFS struct {
	own  []string
	mu   sync.Mutex
	seen map[string]bool
}

func (r *recordingFS) Open(name string) (fs.File, error) {
	f, err := os.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && !isOwn(r.own, name) {
		r.mu.Lock()
		if r.seen == nil {
			r.seen = map[string]bool{}
		}
		r.seen[name] = true
		r.mu.Unlock()
	}
	return f, nil
}

func (r *recordingFS) opened() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name := range r.seen {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// snapshotFS serves the system files from a snapshot and the header's own from disk; any other
// path does not exist, as on a machine without system headers.
type snapshotFS struct {
	dir   string
	own   []string
	files map[string]bool
}

func (s *snapshotFS) Open(name string) (fs.File, error) {
	switch {
	case isOwn(s.own, name):
		return os.Open(filepath.FromSlash(name))
	case s.files[name]:
		return os.Open(filepath.Join(s.dir, snapshotFiles, filepath.FromSlash(strings.TrimPrefix(name, "/"))))
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// loadSnapshot reads the snapshot in dir into the configuration Parse starts from and the file
// system it reads through, after checking that every file it lists is there unchanged.
func loadSnapshot(dir string, own []string) (*cc.Config, *snapshotFS, error) {
	b, err := os.ReadFile(filepath.Join(dir, snapshotManifest))
	if err != nil {
		return nil, nil, fmt.Errorf("%w %s: %s is missing", ErrSnapshot, dir, snapshotManifest)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("%w %s: %s: %v", ErrSnapshot, dir, snapshotManifest, err)
	}
	if m.GOOS != runtime.GOOS || m.GOARCH != runtime.GOARCH {
		return nil, nil, fmt.Errorf("%w %s: it was written on %s/%s, this is %s/%s", ErrSnapshot, dir, m.GOOS, m.GOARCH, runtime.GOOS, runtime.GOARCH)
	}
	sfs := &snapshotFS{dir: dir, own: own, files: map[string]bool{}}
	for _, f := range m.Files {
		rel := filepath.Join(snapshotFiles, filepath.FromSlash(strings.TrimPrefix(f.Path, "/")))
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			return nil, nil, fmt.Errorf("%w %s: %s (%s) is missing", ErrSnapshot, dir, rel, f.Path)
		}
		if digest(b) != f.SHA256 {
			return nil, nil, fmt.Errorf("%w %s: %s (%s) changed since the snapshot was written", ErrSnapshot, dir, rel, f.Path)
		}
		sfs.files[f.Path] = true
	}
	abi, err := cc.NewABI(m.GOOS, m.GOARCH)
	if err != nil {
		return nil, nil, err
	}
	cfg := &cc.Config{ABI: abi, CC: m.Compiler, Predefined: m.Predefined,
		IncludePaths: m.IncludePaths, SysIncludePaths: m.SysIncludePaths, FS: sfs, FSOnly: true}
	// Sets the keywords, which follow the C standard Predefined names, as NewConfig does.
	if err := cfg.ApplyOptions(); err != nil {
		return nil, nil, err
	}
	return cfg, sfs, nil
}
