//go:build libfuzzer

// Command libfuzzer is the libFuzzer entry point of seam's fuzz targets: the same Target.Run
// the go test mode calls, exported as LLVMFuzzerTestOneInput. seam builds it per target
// (internal/libfuzzer; `seam fuzz -mode libfuzzer` does all of this):
//
//	go build -buildmode=c-archive -tags=libfuzzer -gcflags=all=-d=libfuzzer \
//	    -ldflags=-X=main.targetName=quote -o quote.a ./fuzz/libfuzzer
//	clang-19 -fsanitize=fuzzer,address,undefined quote.a -o quote -lpthread -ldl
//	SEAM_ENGINES=cpp ./quote -dict=fuzz/rules.dict CORPUS_DIR
//
// Engines are SEAM_ENGINES (default cpp,rust) in the fuzzer build variant
// (build/fuzzer/, `scripts/build-native.sh fuzzer`; or SEAM_ENGINE_DIR, default the directory
// seam-engines/ next to the binary when it exists, as ClusterFuzzLite ships them), dlopen'ed in
// LLVMFuzzerInitialize, before
// libFuzzer starts, so their inline 8-bit counters and compare hooks register with it. A Go
// panic or a finding (an error from the target: a mismatch, a contract breach) prints the same
// text the go test mode prints, after "seam finding: " or as a Go panic, and then calls C
// abort() so libFuzzer writes the crash input (os.Exit would bypass libFuzzer's handlers).
package main

/*
#include <stdint.h>
#include <stdlib.h>
static void seam_abort(void) { abort(); }
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unsafe"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
)

// targetName is the target this binary fuzzes (-ldflags -X main.targetName=NAME); SEAM_TARGET
// overrides it.
var targetName string

// FindingPrefix starts the line a finding prints before the abort (internal/libfuzzer parses it).
const FindingPrefix = "seam finding: "

// Variant is the build variant whose libraries the builtin engine names resolve to.
const Variant = "fuzzer"

var (
	target  fuzz.Target
	engines []*engine.Engine
)

func main() {} // required by -buildmode=c-archive; libFuzzer supplies the real main

//export LLVMFuzzerInitialize
func LLVMFuzzerInitialize(argc *C.int, argv ***C.char) C.int {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "seam libfuzzer: %v\n", err)
		os.Exit(2)
	}
	return 0
}

//export LLVMFuzzerTestOneInput
func LLVMFuzzerTestOneInput(data *C.uint8_t, size C.size_t) C.int {
	if engines == nil {
		// A binary whose libFuzzer did not call LLVMFuzzerInitialize (it always does).
		if err := setup(); err != nil {
			fmt.Fprintf(os.Stderr, "seam libfuzzer: %v\n", err)
			os.Exit(2)
		}
	}
	in := C.GoBytes(unsafe.Pointer(data), C.int(size))
	if err := run(in); err != nil {
		fmt.Fprintf(os.Stderr, "%s%s\n", FindingPrefix, err)
		C.seam_abort()
	}
	return 0
}

// run runs one input; a panic is printed as Go prints an uncaught one (the report parser's
// go-panic format) and aborts.
func run(data []byte) error {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n\n%s\n", r, debug.Stack())
			C.seam_abort()
		}
	}()
	return target.Run(engines, data)
}

func setup() error {
	name := targetName
	if v := os.Getenv("SEAM_TARGET"); v != "" {
		name = v
	}
	t, ok := fuzz.Lookup(name)
	if !ok {
		return fmt.Errorf("unknown target %q: set SEAM_TARGET to one of %s", name, strings.Join(fuzz.Names(), ", "))
	}
	var paths []string
	for _, spec := range fuzz.EngineSpecs() {
		p, err := resolve(spec)
		if err != nil {
			return err
		}
		paths = append(paths, p)
	}
	es, err := fuzz.OpenEngines(paths, Variant)
	if err != nil {
		return err
	}
	if t.Pair && len(es) < 2 {
		return fmt.Errorf("target %s compares two engines: set SEAM_ENGINES=A,B", t.Name)
	}
	target, engines = t, es
	return nil
}

// resolve maps an engine spec to its fuzzer-variant library: cpp and rust to
// <dir>/libseam_<name>.so, mutant:NAME to <dir>/mutants/NAME.so, where dir is engineDir(); a
// path stays a path.
func resolve(spec string) (string, error) {
	var name string
	switch {
	case spec == "cpp" || spec == "rust":
		name = "libseam_" + spec + ".so"
	case strings.HasPrefix(spec, "mutant:"):
		name = filepath.Join("mutants", strings.TrimPrefix(spec, "mutant:")+".so")
	case strings.Contains(spec, "native/pricing/mutants/") && !strings.HasSuffix(spec, ".so"):
		name = filepath.Join("mutants", strings.TrimSuffix(filepath.Base(spec), ".patch")+".so")
	default:
		return filepath.Abs(spec)
	}
	dir, err := engineDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("engine %s: %s is not built: run scripts/build-native.sh fuzzer (with SEAM_MUTANTS=NAME for a mutant)", spec, p)
	}
	return p, nil
}

// engineDir is SEAM_ENGINE_DIR, else seam-engines/ next to this binary when it exists (a
// ClusterFuzzLite build ships the libraries there), else build/fuzzer/ of the repository.
func engineDir() (string, error) {
	if d := os.Getenv("SEAM_ENGINE_DIR"); d != "" {
		return d, nil
	}
	if exe, err := os.Executable(); err == nil {
		if d := filepath.Join(filepath.Dir(exe), "seam-engines"); isDir(d) {
			return d, nil
		}
	}
	root, err := engine.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "build", Variant), nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
