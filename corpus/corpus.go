// Package corpus is the shared regression corpus: <root>/<target>/<id> holds an input's raw
// bytes and <root>/<target>/<id>.json its sidecar (signature, engines, variant, source, first
// seen, report excerpt). The id is the first 16 hex digits of the bytes' SHA-256, so the same
// input is stored once. Writes are atomic (temp file, fsync, rename), the data file before the
// sidecar, and nothing already saved is ever overwritten by different content.
package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/seamfuzz/seam/internal/atomicfile"
)

// Schema is the sidecar format version.
const Schema = 1

// Sources of an entry.
const (
	SourceFuzz       = "fuzz"
	SourceStress     = "stress"
	SourceProduction = "production"
	SourceHand       = "hand"
)

var validSources = map[string]bool{SourceFuzz: true, SourceStress: true, SourceProduction: true, SourceHand: true}

// Meta is the sidecar of one entry.
type Meta struct {
	Schema        int       `json:"schema"`
	Target        string    `json:"target"`
	ID            string    `json:"id"`
	Signature     string    `json:"signature,omitempty"`
	Type          string    `json:"type,omitempty"`
	Engines       []string  `json:"engines,omitempty"`
	Variant       string    `json:"variant,omitempty"`
	Source        string    `json:"source"`
	FirstSeen     time.Time `json:"first_seen"`
	RequestID     string    `json:"request_id,omitempty"`
	Report        string    `json:"report,omitempty"`
	Location      string    `json:"location,omitempty"`
	MinimizedFrom string    `json:"minimized_from,omitempty"`
	MinimizedTo   []string  `json:"minimized_to,omitempty"`
	Note          string    `json:"note,omitempty"`
}

// Entry is one stored input.
type Entry struct {
	Meta
	Path string // the data file
	Size int
}

// Store is a corpus rooted at a directory.
type Store struct{ Root string }

// Open returns the store at root (created on first Add).
func Open(root string) *Store { return &Store{Root: root} }

// ID is the content id of data.
func ID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

var (
	targetRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	idRe     = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// ValidTarget reports whether name can be a target directory.
func ValidTarget(name string) error {
	if !targetRe.MatchString(name) {
		return fmt.Errorf("bad target name %q: use letters, digits, '_', '.', '-' (no path separators, no leading dot)", name)
	}
	return nil
}

// Add stores data for target with its sidecar. Adding bytes that are already stored is a
// no-op (added=false); the existing sidecar is kept.
func (s *Store) Add(target string, data []byte, m Meta) (id string, added bool, err error) {
	if err := ValidTarget(target); err != nil {
		return "", false, err
	}
	if m.Source == "" {
		m.Source = SourceHand
	}
	if !validSources[m.Source] {
		return "", false, fmt.Errorf("bad source %q: use fuzz, stress, production or hand", m.Source)
	}
	id = ID(data)
	dir := filepath.Join(s.Root, target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	dataPath := filepath.Join(dir, id)
	sidePath := dataPath + ".json"
	if existing, err := os.ReadFile(dataPath); err == nil {
		if !bytes.Equal(existing, data) {
			return "", false, fmt.Errorf("%s exists with different content (a hash collision or a damaged file): run `seam corpus check`", dataPath)
		}
		if _, err := os.Stat(sidePath); err == nil {
			return id, false, nil
		}
		// Data without sidecar (an interrupted add, or a hand-placed seed): complete it.
	} else if err := atomicfile.Write(dataPath, data); err != nil {
		return "", false, err
	}
	m.Schema, m.Target, m.ID = Schema, target, id
	if m.FirstSeen.IsZero() {
		m.FirstSeen = time.Now().UTC().Truncate(time.Second)
	}
	side, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", false, err
	}
	if err := atomicfile.WriteNew(sidePath, append(side, '\n')); err != nil {
		if errors.Is(err, os.ErrExist) {
			return id, false, nil // a concurrent Add of the same bytes won
		}
		return "", false, err
	}
	return id, true, nil
}

// Update rewrites an entry's sidecar atomically.
func (s *Store) Update(target, id string, fn func(*Meta)) error {
	e, _, err := s.Get(target, id)
	if err != nil {
		return err
	}
	m := e.Meta
	fn(&m)
	m.Schema, m.Target, m.ID = Schema, target, id
	side, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.Root, target, id+".json"), append(side, '\n'))
}

// Get reads one entry and its bytes.
func (s *Store) Get(target, id string) (Entry, []byte, error) {
	if err := ValidTarget(target); err != nil {
		return Entry{}, nil, err
	}
	if !idRe.MatchString(id) {
		return Entry{}, nil, fmt.Errorf("bad corpus id %q: want 16 hex digits", id)
	}
	dataPath := filepath.Join(s.Root, target, id)
	data, err := os.ReadFile(dataPath)
	if err != nil {
		return Entry{}, nil, err
	}
	e := Entry{Path: dataPath, Size: len(data), Meta: Meta{Target: target, ID: id, Source: SourceHand}}
	if side, err := os.ReadFile(dataPath + ".json"); err == nil {
		m, err := decodeMeta(side)
		if err != nil {
			return Entry{}, nil, fmt.Errorf("%s.json: %w", dataPath, err)
		}
		e.Meta = m
	} else if !errors.Is(err, os.ErrNotExist) {
		return Entry{}, nil, err
	}
	return e, data, nil
}

// Find looks an id up in every target.
func (s *Store) Find(id string) (Entry, []byte, error) {
	targets, err := s.Targets()
	if err != nil {
		return Entry{}, nil, err
	}
	for _, t := range targets {
		if _, err := os.Stat(filepath.Join(s.Root, t, id)); err == nil {
			return s.Get(t, id)
		}
	}
	return Entry{}, nil, fmt.Errorf("no corpus entry %s under %s", id, s.Root)
}

// Targets lists the target directories.
func (s *Store) Targets() ([]string, error) {
	ents, err := os.ReadDir(s.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidTarget(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// List returns the entries of target ("" = every target), sorted by target then id. Files
// that are not entries are skipped here; Check reports them.
func (s *Store) List(target string) ([]Entry, error) {
	targets := []string{target}
	if target == "" {
		var err error
		if targets, err = s.Targets(); err != nil {
			return nil, err
		}
	}
	var out []Entry
	for _, t := range targets {
		ents, err := os.ReadDir(filepath.Join(s.Root, t))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, f := range ents {
			if f.IsDir() || !idRe.MatchString(f.Name()) {
				continue
			}
			e, _, err := s.Get(t, f.Name())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// KnownSignatures maps every signature in the corpus that counts as known for a run on
// engines to its entries. An entry found on a seeded-bug mutant is known only to runs on that
// mutant: a mutant is a patched copy of a real engine, so the same bug appearing
// in the real engine has the same signature and must be reported as new.
func (s *Store) KnownSignatures(engines []string) (map[string][]Entry, error) {
	all, err := s.List("")
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, e := range engines {
		running[e] = true
	}
	out := map[string][]Entry{}
	for _, e := range all {
		if e.Signature != "" && knownTo(e, running) {
			out[e.Signature] = append(out[e.Signature], e)
		}
	}
	return out, nil
}

func knownTo(e Entry, running map[string]bool) bool {
	for _, eng := range e.Engines {
		if strings.HasPrefix(eng, "mutant:") && !running[eng] {
			return false
		}
	}
	return true
}

// Resigner re-signs an entry from what its sidecar stored (its report excerpt): the signature
// and type the current rules give, or ok=false when it cannot tell (no report, a report of
// another kind, an excerpt that lost frames) and the entry is kept as it is.
type Resigner func(m Meta) (sig, typ string, ok bool)

// Migration is one entry whose signature changed because the signature rules did.
type Migration struct {
	Path     string // the sidecar
	Old, New string
}

// Migrate re-signs every entry and rewrites the sidecars whose signature changed (atomically,
// nothing else in them changes), so a corpus stays in step with the rules that sign new
// findings. It returns what it changed; the caller says so.
func (s *Store) Migrate(resign Resigner) ([]Migration, error) {
	entries, err := s.List("")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		if e.Signature == "" {
			continue
		}
		sig, typ, ok := resign(e.Meta)
		if !ok || sig == e.Signature {
			continue
		}
		if err := s.Update(e.Target, e.ID, func(m *Meta) { m.Signature, m.Type = sig, typ }); err != nil {
			return out, err
		}
		out = append(out, Migration{Path: e.Path + ".json", Old: e.Signature, New: sig})
	}
	return out, nil
}

// Problem is something wrong in the corpus directory. Nothing is ever deleted for it.
type Problem struct{ Path, Reason string }

// Check walks the corpus and reports damaged or foreign files.
func (s *Store) Check() ([]Problem, error) {
	var probs []Problem
	ents, err := os.ReadDir(s.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, d := range ents {
		p := filepath.Join(s.Root, d.Name())
		if !d.IsDir() {
			// The store's own Go source lives beside seam's corpus (package corpus is this
			// directory), and a README may explain a corpus.
			if d.Name() != "README.md" && !strings.HasSuffix(d.Name(), ".go") {
				probs = append(probs, Problem{p, "foreign file at the corpus root (want <target>/<id>)"})
			}
			continue
		}
		if ValidTarget(d.Name()) != nil {
			probs = append(probs, Problem{p, "target directory with a bad name"})
			continue
		}
		files, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		names := map[string]bool{}
		for _, f := range files {
			names[f.Name()] = true
		}
		for _, f := range files {
			fp := filepath.Join(p, f.Name())
			name := f.Name()
			switch {
			case f.IsDir():
				probs = append(probs, Problem{fp, "unexpected directory"})
			case strings.HasPrefix(name, ".tmp-"):
				probs = append(probs, Problem{fp, "temporary file left by an interrupted write"})
			case idRe.MatchString(name):
				data, err := os.ReadFile(fp)
				if err != nil {
					probs = append(probs, Problem{fp, err.Error()})
				} else if ID(data) != name {
					probs = append(probs, Problem{fp, fmt.Sprintf("content hash is %s, not its name", ID(data))})
				}
				if !names[name+".json"] {
					probs = append(probs, Problem{fp, "no sidecar (" + name + ".json): a plain seed; `seam corpus add` gives it one"})
				}
			case strings.HasSuffix(name, ".json") && idRe.MatchString(strings.TrimSuffix(name, ".json")):
				id := strings.TrimSuffix(name, ".json")
				if !names[id] {
					probs = append(probs, Problem{fp, "sidecar without its data file"})
					continue
				}
				b, err := os.ReadFile(fp)
				if err != nil {
					probs = append(probs, Problem{fp, err.Error()})
					continue
				}
				m, err := decodeMeta(b)
				if err != nil {
					probs = append(probs, Problem{fp, err.Error()})
				} else if m.ID != id || m.Target != d.Name() {
					probs = append(probs, Problem{fp, fmt.Sprintf("sidecar names %s/%s", m.Target, m.ID)})
				}
			default:
				probs = append(probs, Problem{fp, "foreign file (want <id> or <id>.json)"})
			}
		}
	}
	return probs, nil
}

func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Meta{}, fmt.Errorf("bad sidecar: %w", err)
	}
	if m.Schema != Schema {
		return Meta{}, fmt.Errorf("bad sidecar: schema %d, want %d", m.Schema, Schema)
	}
	if !validSources[m.Source] {
		return Meta{}, fmt.Errorf("bad sidecar: source %q", m.Source)
	}
	return m, nil
}
