package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddGetListRoundTrip(t *testing.T) {
	s := Open(t.TempDir())
	id, added, err := s.Add("quote", []byte("abc"), Meta{Signature: "sig-1", Source: SourceFuzz, Engines: []string{"cpp"}, Variant: "asan"})
	require.NoError(t, err)
	assert.True(t, added)
	assert.Equal(t, ID([]byte("abc")), id)
	e, data, err := s.Get("quote", id)
	require.NoError(t, err)
	assert.Equal(t, []byte("abc"), data)
	assert.Equal(t, "sig-1", e.Signature)
	assert.Equal(t, SourceFuzz, e.Source)
	assert.False(t, e.FirstSeen.IsZero())
	all, err := s.List("")
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, 3, all[0].Size)
	probs, err := s.Check()
	require.NoError(t, err)
	assert.Empty(t, probs)
}

func TestAddTwiceIsNoOp(t *testing.T) {
	s := Open(t.TempDir())
	id, _, err := s.Add("rules", []byte("x"), Meta{Signature: "first", Source: SourceFuzz})
	require.NoError(t, err)
	_, added, err := s.Add("rules", []byte("x"), Meta{Signature: "second", Source: SourceHand})
	require.NoError(t, err)
	assert.False(t, added)
	e, _, err := s.Get("rules", id)
	require.NoError(t, err)
	assert.Equal(t, "first", e.Signature, "the existing sidecar is kept")
}

func TestAddNeverClobbers(t *testing.T) {
	root := t.TempDir()
	s := Open(root)
	id := ID([]byte("real"))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "t"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "t", id), []byte("damaged"), 0o644))
	_, _, err := s.Add("t", []byte("real"), Meta{})
	require.Error(t, err)
	got, _ := os.ReadFile(filepath.Join(root, "t", id))
	assert.Equal(t, []byte("damaged"), got, "nothing saved is overwritten")
}

func TestConcurrentAddsOfTheSameBytes(t *testing.T) {
	s := Open(t.TempDir())
	var wg sync.WaitGroup
	var mu sync.Mutex
	addedCount := 0
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, added, err := s.Add("t", []byte("same"), Meta{Source: SourceStress})
			assert.NoError(t, err)
			if added {
				mu.Lock()
				addedCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, addedCount)
	probs, err := s.Check()
	require.NoError(t, err)
	assert.Empty(t, probs)
}

func TestCheckReportsDamageAndDeletesNothing(t *testing.T) {
	root := t.TempDir()
	s := Open(root)
	id, _, err := s.Add("t", []byte("good"), Meta{Source: SourceHand})
	require.NoError(t, err)
	dir := filepath.Join(root, "t")
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write(".tmp-123", "partial")                   // interrupted write
	write(ID([]byte("seed")), "seed")              // data without sidecar: fine as a seed
	write("0123456789abcdef", "wrong")             // hash mismatch
	write("0123456789abcdef.json", "{not json")    // corrupt sidecar
	write("fedcba9876543210.json", `{"schema":1}`) // sidecar without data
	write("notes.txt", "hello")                    // foreign
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".hidden"), 0o755))
	probs, err := s.Check()
	require.NoError(t, err)
	reasons := map[string]string{}
	for _, p := range probs {
		reasons[filepath.Base(p.Path)] = p.Reason
	}
	assert.Contains(t, reasons[".tmp-123"], "interrupted")
	assert.Contains(t, reasons[ID([]byte("seed"))], "no sidecar")
	assert.Contains(t, reasons["0123456789abcdef"], "content hash")
	assert.Contains(t, reasons["0123456789abcdef.json"], "bad sidecar")
	assert.Contains(t, reasons["fedcba9876543210.json"], "without its data")
	assert.Contains(t, reasons["notes.txt"], "foreign")
	assert.Contains(t, reasons[".hidden"], "bad name")
	for _, name := range []string{".tmp-123", "notes.txt", "0123456789abcdef.json", id} {
		_, err := os.Stat(filepath.Join(dir, name))
		assert.NoError(t, err, "%s must not be deleted", name)
	}
	// List still works and skips what it cannot use.
	_, err = s.List("t")
	assert.Error(t, err, "a corrupt sidecar of a real id is an error naming it")
}

func TestBadTargetsAndSources(t *testing.T) {
	s := Open(t.TempDir())
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		_, _, err := s.Add(bad, []byte("x"), Meta{})
		assert.Error(t, err, bad)
	}
	_, _, err := s.Add("t", []byte("x"), Meta{Source: "elsewhere"})
	assert.ErrorContains(t, err, "bad source")
}

func TestUpdateAndKnownSignatures(t *testing.T) {
	s := Open(t.TempDir())
	a, _, _ := s.Add("t", []byte("aaaa"), Meta{Signature: "S", Source: SourceFuzz})
	b, _, _ := s.Add("t", []byte("a"), Meta{Signature: "S", Source: SourceFuzz, MinimizedFrom: a})
	require.NoError(t, s.Update("t", a, func(m *Meta) { m.MinimizedTo = append(m.MinimizedTo, b) }))
	e, _, err := s.Get("t", a)
	require.NoError(t, err)
	assert.Equal(t, []string{b}, e.MinimizedTo)
	known, err := s.KnownSignatures([]string{"cpp"})
	require.NoError(t, err)
	assert.Len(t, known["S"], 2)

	// A bug found only in a seeded-bug mutant is known to runs on that mutant, not to runs on
	// the real engines (the same bug appearing there is new).
	_, _, err = s.Add("t", []byte("m"), Meta{Signature: "M", Source: SourceFuzz, Engines: []string{"mutant:cpp-overread"}})
	require.NoError(t, err)
	_, _, err = s.Add("t", []byte("p"), Meta{Signature: "P", Source: SourceFuzz, Engines: []string{"mutant:rust-overflow", "cpp"}})
	require.NoError(t, err)
	known, err = s.KnownSignatures([]string{"cpp", "rust"})
	require.NoError(t, err)
	assert.NotContains(t, known, "M")
	assert.NotContains(t, known, "P", "a mismatch against a mutant says nothing about the real engines")
	known, err = s.KnownSignatures([]string{"mutant:cpp-overread"})
	require.NoError(t, err)
	assert.Contains(t, known, "M")
	assert.Contains(t, known, "S", "entries without mutants are known to every run")
	var buf bytes.Buffer
	all, _ := s.List("")
	FormatTable(&buf, all)
	assert.Contains(t, buf.String(), "TARGET")
	assert.Contains(t, buf.String(), a)
}

// Migrate rewrites only the sidecars whose signature the resigner changes, and says which.
func TestMigrateRewritesChangedSignatures(t *testing.T) {
	s := Open(t.TempDir())
	old, _, err := s.Add("quote", []byte("a"), Meta{Signature: "heap-buffer-overflow READ 4 | operator() | guard | f", Type: "heap-buffer-overflow READ 4", Source: SourceFuzz, Note: "keep me"})
	require.NoError(t, err)
	same, _, err := s.Add("quote", []byte("b"), Meta{Signature: "leak | f", Type: "leak", Source: SourceFuzz})
	require.NoError(t, err)
	other, _, err := s.Add("quote", []byte("c"), Meta{Signature: "mismatch-x | f", Source: SourceFuzz})
	require.NoError(t, err)
	resign := func(m Meta) (string, string, bool) {
		switch m.ID {
		case old:
			return "heap-buffer-overflow READ | f | guard | f", "heap-buffer-overflow READ", true
		case same:
			return m.Signature, m.Type, true
		}
		return "", "", false
	}
	migs, err := s.Migrate(resign)
	require.NoError(t, err)
	require.Len(t, migs, 1)
	assert.Equal(t, "heap-buffer-overflow READ 4 | operator() | guard | f", migs[0].Old)
	assert.Equal(t, "heap-buffer-overflow READ | f | guard | f", migs[0].New)
	assert.True(t, strings.HasSuffix(migs[0].Path, old+".json"), migs[0].Path)
	e, _, err := s.Get("quote", old)
	require.NoError(t, err)
	assert.Equal(t, "heap-buffer-overflow READ | f | guard | f", e.Signature)
	assert.Equal(t, "heap-buffer-overflow READ", e.Type)
	assert.Equal(t, "keep me", e.Note, "nothing else in the sidecar changes")
	e, _, err = s.Get("quote", other)
	require.NoError(t, err)
	assert.Equal(t, "mismatch-x | f", e.Signature)
	migs, err = s.Migrate(resign)
	require.NoError(t, err)
	assert.Empty(t, migs, "a second run has nothing to migrate")
}
