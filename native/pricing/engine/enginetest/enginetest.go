// Package enginetest opens engines for tests: the variant comes from SEAM_VARIANT (default
// asan, the variant the regression corpus is replayed in), and the test binary re-executes
// itself with that variant's sanitizer runtime.
package enginetest

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/native/pricing/engine"
)

// Variant is the build variant tests load.
func Variant() string { return checkout.TestVariant() }

// Main is a TestMain for packages that load engines.
func Main(m *testing.M) {
	if err := sanrt.Ensure(sanrt.For(Variant())); err != nil {
		fmt.Fprintln(os.Stderr, "seam tests:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

var (
	mu     sync.Mutex
	opened = map[string]*engine.Engine{}
)

// Open loads an engine spec (cpp, rust, mutant:NAME, path) in the test variant, once per process.
func Open(t testing.TB, spec string) *engine.Engine {
	t.Helper()
	return OpenVariant(t, spec, Variant())
}

// OpenVariant loads spec in a given variant (which must fit the process's runtime).
func OpenVariant(t testing.TB, spec, variant string) *engine.Engine {
	t.Helper()
	path, err := engine.Resolve(spec, variant)
	if err != nil {
		t.Fatalf("%v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if e, ok := opened[path]; ok {
		return e
	}
	e, err := engine.Open(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	opened[path] = e
	return e
}

// Both returns the C++ and the Rust engine.
func Both(t testing.TB) []*engine.Engine {
	t.Helper()
	return []*engine.Engine{Open(t, "cpp"), Open(t, "rust")}
}
