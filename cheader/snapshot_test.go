package cheader_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/internal/refheader"
)

// The child process of TestSnapshotStandsInForTheCompiler reads these.
const (
	envChildHeader   = "SEAM_CHEADER_SNAPSHOT_HEADER"
	envChildSnapshot = "SEAM_CHEADER_SNAPSHOT_DIR"
	dumpStart        = "--- header model ---\n"
	dumpEnd          = "--- end of the header model ---\n"
)

// A reference header parsed from its snapshot, moved elsewhere as a fuzzing service's runner
// gets it and in a process that has no C compiler on PATH and no CC, gives the model the host
// compiler gives: every function, struct layout, enum, constant and typedef, field by field.
func TestSnapshotStandsInForTheCompiler(t *testing.T) {
	for _, rel := range []string{"native/pricing/include/seam_pricing.h", "native/tally/include/tally.h"} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			path, err := refheader.Path(rel)
			require.NoError(t, err)
			host, err := cheader.Parse(path)
			require.NoError(t, err)
			require.NotEmpty(t, host.Structs)

			shipped := t.TempDir()
			snap := filepath.Join(shipped, "cc")
			require.NoError(t, cheader.Snapshot(path, snap))
			var m struct {
				Files []struct{ Path string }
			}
			b, err := os.ReadFile(filepath.Join(snap, "manifest.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &m))
			var names []string
			for _, f := range m.Files {
				names = append(names, filepath.Base(f.Path))
			}
			assert.Contains(t, names, "stdint.h", "the system headers the translation opened")
			assert.Contains(t, names, "stddef.h")

			moved := filepath.Join(shipped, "include", filepath.Base(path))
			require.NoError(t, os.MkdirAll(filepath.Dir(moved), 0o755))
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(moved, src, 0o644))

			child := exec.Command(os.Args[0], "-test.run=^TestSnapshotChild$", "-test.count=1")
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "CC=") {
					env = append(env, kv)
				}
			}
			child.Env = append(env, "PATH="+t.TempDir(), envChildHeader+"="+moved, envChildSnapshot+"="+snap)
			out, err := child.CombinedOutput()
			require.NoError(t, err, "%s", out)
			_, got, ok := strings.Cut(string(out), dumpStart)
			require.True(t, ok, "the child printed no model:\n%s", out)
			got, _, _ = strings.Cut(got, dumpEnd)
			assert.Equal(t, dump(host), strings.ReplaceAll(got, moved, path))
		})
	}
}

// TestSnapshotChild is the compiler-less process of TestSnapshotStandsInForTheCompiler.
func TestSnapshotChild(t *testing.T) {
	header := os.Getenv(envChildHeader)
	if header == "" {
		t.Skip("run by TestSnapshotStandsInForTheCompiler")
	}
	_, err := exec.LookPath("cc")
	require.Error(t, err, "a C compiler is reachable")
	h, err := cheader.Parse(header, cheader.FromSnapshot(os.Getenv(envChildSnapshot)))
	require.NoError(t, err)
	fmt.Print(dumpStart + dump(h) + dumpEnd)
}

// A snapshot that cannot stand in for the compiler is one line that names what is wrong.
func TestSnapshotThatDoesNotFit(t *testing.T) {
	dir := t.TempDir()
	header := filepath.Join(dir, "w.h")
	require.NoError(t, os.WriteFile(header, []byte("#include <stdint.h>\ntypedef struct { uint32_t n; } w;\n"), 0o644))
	snapshot := func(t *testing.T) string {
		snap := filepath.Join(t.TempDir(), "cc")
		require.NoError(t, cheader.Snapshot(header, snap))
		_, err := cheader.Parse(header, cheader.FromSnapshot(snap))
		require.NoError(t, err)
		return snap
	}
	refused := func(t *testing.T, snap string, want ...string) {
		t.Helper()
		_, err := cheader.Parse(header, cheader.FromSnapshot(snap))
		require.Error(t, err)
		assert.True(t, errors.Is(err, cheader.ErrSnapshot), "%v", err)
		assert.NotContains(t, err.Error(), "\n")
		for _, w := range want {
			assert.Contains(t, err.Error(), w)
		}
	}
	t.Run("file missing", func(t *testing.T) {
		snap := snapshot(t)
		var stdint string
		require.NoError(t, filepath.Walk(snap, func(p string, _ os.FileInfo, err error) error {
			if filepath.Base(p) == "stdint.h" && stdint == "" {
				stdint = p
			}
			return err
		}))
		require.NotEmpty(t, stdint)
		require.NoError(t, os.Remove(stdint))
		refused(t, snap, snap, "stdint.h", "missing")
	})
	t.Run("file changed", func(t *testing.T) {
		snap := snapshot(t)
		var any string
		require.NoError(t, filepath.Walk(filepath.Join(snap, "files"), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				any = p
			}
			return err
		}))
		require.NoError(t, os.WriteFile(any, []byte("#error changed\n"), 0o644))
		refused(t, snap, filepath.Base(any), "changed")
	})
	t.Run("no manifest", func(t *testing.T) {
		refused(t, t.TempDir(), "manifest.json")
	})
	t.Run("header includes more since", func(t *testing.T) {
		snap := snapshot(t)
		require.NoError(t, os.WriteFile(header, []byte("#include <stdint.h>\n#include <string.h>\ntypedef struct { uint32_t n; } w;\n"), 0o644))
		_, err := cheader.Parse(header)
		require.NoError(t, err, "the host has it")
		refused(t, snap, snap, "<string.h>")
	})
}

// dump spells out every field of the model, following pointers (a cycle, an enum constant's
// Enum, is cut where it closes), so two models compare across processes.
func dump(h *cheader.Header) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(h), "", map[uintptr]bool{})
	return b.String()
}

func dumpValue(b *strings.Builder, v reflect.Value, indent string, open map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil\n")
			return
		}
		if open[v.Pointer()] {
			b.WriteString("<cycle>\n")
			return
		}
		open[v.Pointer()] = true
		defer delete(open, v.Pointer())
		dumpValue(b, v.Elem(), indent, open)
	case reflect.Struct:
		b.WriteString(v.Type().Name() + " {\n")
		for i := 0; i < v.NumField(); i++ {
			fmt.Fprintf(b, "%s  %s: ", indent, v.Type().Field(i).Name)
			dumpValue(b, v.Field(i), indent+"  ", open)
		}
		b.WriteString(indent + "}\n")
	case reflect.Slice:
		fmt.Fprintf(b, "[%d]\n", v.Len())
		for i := 0; i < v.Len(); i++ {
			fmt.Fprintf(b, "%s  %d: ", indent, i)
			dumpValue(b, v.Index(i), indent+"  ", open)
		}
	default:
		fmt.Fprintf(b, "%#v\n", v.Interface())
	}
}
