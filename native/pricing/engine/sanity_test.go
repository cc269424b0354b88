package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/native/pricing/engine"
	"github.com/seamfuzz/seam/native/pricing/engine/enginetest"
)

// The same test body runs against both engines only if they really are two libraries.
func TestEnginesAreDifferentLibraries(t *testing.T) {
	cpp, rust := enginetest.Open(t, "cpp"), enginetest.Open(t, "rust")
	assert.Equal(t, "cpp", cpp.Name())
	assert.Equal(t, "rust", rust.Name())
	assert.NotEqual(t, cpp.Path, rust.Path)
}

// nm must show the sanitizer hooks in sanitized builds (rustls-ffi checks its ASan build too).
func TestSanitizedBuildsAreInstrumented(t *testing.T) {
	root, err := checkout.Root()
	require.NoError(t, err)
	nightly := exec.Command("rustup", "run", "nightly", "rustc", "--version").Run() == nil
	for _, v := range []struct{ variant, hook string }{{"asan", "__asan_report_load"}, {"tsan", "__tsan_read"}} {
		for _, name := range engine.BuiltinEngines {
			t.Run(v.variant+"/"+name, func(t *testing.T) {
				if name == "rust" && !nightly {
					t.Skipf("rust %s: no nightly toolchain, the debug build stands in", v.variant)
				}
				lib := filepath.Join(root, "build", v.variant, "libseam_"+name+".so")
				out, err := exec.Command("nm", "-D", lib).CombinedOutput()
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), v.hook, "%s is not instrumented", lib)
				rt, err := sanrt.RuntimeOf(lib)
				require.NoError(t, err)
				assert.Equal(t, sanrt.For(v.variant), rt)
			})
		}
	}
	for _, name := range engine.BuiltinEngines {
		rt, err := sanrt.RuntimeOf(filepath.Join(root, "build", "release", "libseam_"+name+".so"))
		require.NoError(t, err)
		assert.Equal(t, sanrt.None, rt, "release builds carry no sanitizer")
	}
}

func TestHeaderCompilesCleanly(t *testing.T) {
	root, err := checkout.Root()
	require.NoError(t, err)
	src := filepath.Join(t.TempDir(), "h")
	// Every declaration is used, so a typo in any prototype fails to compile.
	prog := `#include "seam_pricing.h"
static pricing_request req;
static pricing_result res;
static seam_layout_info layout;
int main(void) {
  void (*fns[])(void) = {
    (void (*)(void))seam_abi_version, (void (*)(void))seam_engine_name, (void (*)(void))seam_layout,
    (void (*)(void))pricing_rules_new, (void (*)(void))pricing_rules_load, (void (*)(void))pricing_quote,
    (void (*)(void))pricing_rules_describe, (void (*)(void))pricing_rules_export,
    (void (*)(void))seam_bytes_free, (void (*)(void))pricing_rules_free, (void (*)(void))seam_last_error,
  };
  (void)fns; (void)req; (void)res; (void)layout;
  return SEAM_OK + SEAM_BAD_INPUT + SEAM_NO_RULE + SEAM_INTERNAL + SEAM_BUSY > 10;
}
`
	require.NoError(t, os.WriteFile(src, []byte(prog), 0o644))
	for _, cc := range [][]string{
		{"gcc", "-std=c11", "-x", "c"},
		{"g++", "-std=c++17", "-x", "c++"},
	} {
		args := append(cc[1:], "-c", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", filepath.Join(root, "native", "pricing", "include"), src, "-o", os.DevNull)
		cmd := exec.Command(cc[0], args...)
		cmd.Env = sanrt.CleanEnv(os.Environ())
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "%s: %s", cc[0], out)
	}
}

// A library that lacks one contract symbol is refused with an error naming it.
func TestOpenRefusesMissingSymbol(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "partial.c")
	require.NoError(t, os.WriteFile(src, []byte(`
#include <stdint.h>
#include <stddef.h>
uint32_t seam_abi_version(void) { return 1; }
const char *seam_engine_name(void) { return "partial"; }
void seam_layout(void *o) { (void)o; }
int32_t pricing_rules_new(void **o) { (void)o; return 1; }
int32_t pricing_rules_load(void *r, const uint8_t *t, size_t n) { (void)r; (void)t; (void)n; return 1; }
int32_t pricing_quote(const void *r, const void *q, void *o) { (void)r; (void)q; (void)o; return 1; }
int32_t pricing_rules_describe(const void *r, uint32_t g, uint8_t *b, size_t c, size_t *n) { (void)r; (void)g; (void)b; (void)c; (void)n; return 1; }
int32_t pricing_rules_export(const void *r, uint8_t **o, size_t *n) { (void)r; (void)o; (void)n; return 1; }
void seam_bytes_free(uint8_t *p, size_t n) { (void)p; (void)n; }
void pricing_rules_free(void *r) { (void)r; }
`), 0o644))
	lib := filepath.Join(dir, "libpartial.so")
	cmd := exec.Command("gcc", "-shared", "-fPIC", "-o", lib, src)
	cmd.Env = sanrt.CleanEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	_, err = engine.Open(lib)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing symbol seam_last_error")
}

func TestResolve(t *testing.T) {
	_, err := engine.Resolve("/no/such.so", "debug")
	assert.ErrorContains(t, err, "/no/such.so")
	_, err = engine.Resolve("cpp", "bogus")
	assert.ErrorContains(t, err, "unknown variant")
	p, err := engine.Resolve("native/pricing/mutants/cpp-overread.patch", "asan")
	if err == nil {
		assert.True(t, strings.HasSuffix(p, "build/asan/mutants/cpp-overread.so"), p)
	} else {
		assert.ErrorContains(t, err, "build/asan/mutants/cpp-overread.so")
	}
}
