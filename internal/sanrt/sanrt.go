// Package sanrt makes sure the process runs with the sanitizer runtime a native library needs.
//
// An ASan- or TSan-instrumented shared library can only be dlopen'ed into a process whose
// sanitizer runtime is loaded first. Instead of building one Go binary per runtime, seam
// re-executes itself with gcc's runtime in LD_PRELOAD (measured here to work for both ASan and
// TSan, with symbolized reports). The Go side stays uninstrumented, which is what keeps fuzzing
// fast: the 20x cost of `go test -asan` is Go-side instrumentation (../shared/RECIPES.md).
package sanrt

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/seamfuzz/seam/ffi"
)

// Runtime names a sanitizer runtime: "asan", "tsan", or "" for none.
type Runtime string

const (
	None Runtime = ""
	ASan Runtime = "asan"
	TSan Runtime = "tsan"
)

// For returns the runtime a build variant's libraries need.
func For(variant string) Runtime {
	switch variant {
	case "asan", "cov": // cov is asan plus edge coverage
		return ASan
	case "tsan":
		return TSan
	}
	return None
}

// Loaded reports which sanitizer runtime this process has.
func Loaded() Runtime {
	switch {
	case ffi.ProcessHas("__asan_init"):
		return ASan
	case ffi.ProcessHas("__tsan_init"):
		return TSan
	}
	return None
}

// reexecMarker stops a re-exec loop if LD_PRELOAD is ignored (static binary, secure mode).
const reexecMarker = "SEAM_SANRT_REEXEC"

// Ensure re-executes the current process with runtime rt preloaded when it is not loaded yet.
// It returns only when the process already has rt (or rt is None), or with an error; on
// success of the re-exec it does not return. LD_PRELOAD is removed from the environment once
// the runtime is in, so tools the process starts (gcc, nm, go) are not run under a sanitizer;
// a child that is this binary again re-executes itself the same way.
func Ensure(rt Runtime) error {
	have := Loaded()
	if have == rt {
		if rt != None {
			os.Unsetenv("LD_PRELOAD")
			os.Unsetenv(reexecMarker)
		}
		return nil
	}
	if rt == None {
		return nil // a sanitizer runtime is harmless for uninstrumented libraries
	}
	if have != None {
		return fmt.Errorf("this process already runs the %s runtime and cannot load %s: run %s variants in a separate process", have, rt, rt)
	}
	if os.Getenv(reexecMarker) != "" {
		return fmt.Errorf("the %s runtime did not load through LD_PRELOAD; check that %s exists", rt, os.Getenv(reexecMarker))
	}
	lib, err := Path(rt)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable to re-run under %s: %w", rt, err)
	}
	env := append(Env(rt, os.Environ()), "LD_PRELOAD="+lib, reexecMarker+"="+lib)
	return syscall.Exec(exe, os.Args, env)
}

// Path finds gcc's shared runtime for rt. SEAM_ASAN_RUNTIME / SEAM_TSAN_RUNTIME override it.
func Path(rt Runtime) (string, error) {
	envName := "SEAM_" + strings.ToUpper(string(rt)) + "_RUNTIME"
	if p := os.Getenv(envName); p != "" {
		return p, nil
	}
	name := "lib" + string(rt) + ".so"
	out, err := exec.Command("gcc", "-print-file-name="+name).Output()
	if err != nil {
		return "", fmt.Errorf("find %s: gcc -print-file-name failed (%v); install gcc or set %s", name, err, envName)
	}
	p := strings.TrimSpace(string(out))
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("gcc has no %s: install libgcc's sanitizer runtime (apt-get install libasan8 libtsan2) or set %s", name, envName)
	}
	return p, nil
}

// ASanOptions are seam's default ASAN_OPTIONS (see Env for intercept_tls_get_addr=0).
const ASanOptions = "abort_on_error=0:detect_leaks=1:allocator_may_return_null=1:handle_abort=1:intercept_tls_get_addr=0"

// Env returns env with seam's default sanitizer options added where the user has not set them.
// Reports must halt the process (so the child's death marks the input) and carry stacks.
func Env(rt Runtime, env []string) []string {
	defaults := map[string]string{
		"UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
	}
	switch rt {
	case ASan:
		// intercept_tls_get_addr=0: LeakSanitizer's tracking of dynamic TLS misreads the threads
		// Go creates and its stop-the-world tracer crashes ("Tracer caught signal 11", seen
		// here in every leak check after a few thousand calls). glibc's dynamic TLS blocks are
		// malloc'd and stay reachable from the static TLS LSan scans, so nothing is lost.
		defaults["ASAN_OPTIONS"] = ASanOptions
	case TSan:
		defaults["TSAN_OPTIONS"] = "halt_on_error=1:second_deadlock_stack=1"
	}
	out := append([]string(nil), env...)
	for k, v := range defaults {
		if !hasKey(env, k) {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func hasKey(env []string, k string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return true
		}
	}
	return false
}

// CleanEnv returns env without the sanitizer preload, for starting other tools.
func CleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "LD_PRELOAD=") || strings.HasPrefix(kv, reexecMarker+"=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
