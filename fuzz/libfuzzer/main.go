//go:build libfuzzer

// Command libfuzzer is the libFuzzer entry point of seam's fuzz targets: the same Target.Run
// the go test mode calls, exported as LLVMFuzzerTestOneInput. seam builds it per target
// (internal/libfuzzer; `seam fuzz -mode libfuzzer` and `seam ci build-fuzzers` do all of this):
//
//	go build -buildmode=c-archive -tags=libfuzzer -gcflags=all=-d=libfuzzer \
//	    -ldflags=-X=main.targetName=quote -o quote.a ./fuzz/libfuzzer
//	clang-19 -fsanitize=fuzzer,address,undefined quote.a -o quote -lpthread -ldl -lffi
//	SEAM_ENGINES=cpp ./quote -dict=fuzz/rules.dict CORPUS_DIR
//
// It has two forms. The built-in form runs one of package fuzz's targets (targetName) on
// SEAM_ENGINES (default cpp,rust). The contract form (-X main.contractPath=FILE
// -X main.boundaryName=B; SEAM_CONTRACT names another file) runs the derive target targetName of that contract
// on its engines (SEAM_ENGINES: names, mutant:NAME, NAME=PATTERN or paths; default all of the
// contract's). Engines are libraries of the fuzzer build variant: the contract's patterns, or
// build/fuzzer/ for the built-in form, unless SEAM_ENGINE_DIR or seam-engines/ next to the
// binary (as ClusterFuzzLite ships them) holds them, found there by file name. The contract
// form reads its contract from seam-contract/<boundary>/ next to the binary when that exists
// (the runner of a distributed fuzzing service has no checkout). Engines are dlopen'ed in
// LLVMFuzzerInitialize, before libFuzzer starts, so their inline 8-bit counters and compare
// hooks register with it. A Go
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

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/fuzz"
)

// Set with -ldflags -X: the target this binary fuzzes (SEAM_TARGET overrides it) and, for the
// contract form, the contract file and its boundary (SEAM_CONTRACT overrides the file).
var targetName, contractPath, boundaryName string

// ContractDir, next to the binary, holds <boundary>/: a copy of the contract and its header.
const ContractDir = "seam-contract"

// EngineDir is the directory next to the binary that holds the engine libraries.
const EngineDir = "seam-engines"

// FindingPrefix starts the line a finding prints before the abort (internal/libfuzzer parses it).
const FindingPrefix = "seam finding: "

// Variant is the build variant whose libraries the builtin engine names resolve to.
const Variant = "fuzzer"

// runOne runs one input on the engines setup opened.
var runOne func(data []byte) error

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
	if runOne == nil {
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
	return runOne(data)
}

func setup() error {
	name := targetName
	if v := os.Getenv(fuzz.EnvTarget); v != "" {
		name = v
	}
	if path := contractFile(); path != "" {
		return setupContract(path, name)
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
	runOne = func(data []byte) error { return t.Run(es, data) }
	return nil
}

// contractFile is "" for the built-in form (whatever SEAM_CONTRACT says: it is also the seam
// command's default -contract), else SEAM_CONTRACT, else the shipped copy of the contract built
// in, else the contract built in.
func contractFile() string {
	if contractPath == "" {
		return ""
	}
	if v := os.Getenv(fuzz.EnvContract); v != "" {
		return v
	}
	if exe, err := os.Executable(); err == nil {
		shipped := filepath.Join(filepath.Dir(exe), ContractDir, boundaryName, filepath.Base(contractPath))
		if _, err := os.Stat(shipped); err == nil {
			return shipped
		}
	}
	return contractPath
}

func setupContract(path, name string) error {
	b, err := boundary.Load(path)
	if err != nil {
		return err
	}
	t, err := derive.Lookup(b, name)
	if err != nil {
		return err
	}
	specs := b.Contract.EngineNames()
	if os.Getenv("SEAM_ENGINES") != "" {
		specs = fuzz.EngineSpecs()
	}
	if dir := engineOverride(); dir != "" {
		specs = relocate(b.Contract, specs, dir)
	}
	es, err := derive.Open(b, specs, Variant)
	if err != nil {
		return err
	}
	// A service's log then says what ran: which contract copy and which libraries.
	fmt.Fprintf(os.Stderr, "seam libfuzzer: contract %s, target %s, engines %s\n", path, t.Name, strings.Join(specs, ","))
	runOne = func(data []byte) error { return t.Run(es, data) }
	return nil
}

// relocate points the contract's engines and mutants at the libraries of the same file name in
// dir (NAME=dir/FILE, which derive.Open names NAME); explicit patterns and paths stay.
func relocate(c *contract.Contract, specs []string, dir string) []string {
	out := make([]string, len(specs))
	for i, spec := range specs {
		out[i] = spec
		if name, ok := strings.CutPrefix(spec, "mutant:"); ok && c.Mutants != "" {
			lib := strings.NewReplacer("{variant}", Variant, "{name}", name).Replace(c.Mutants)
			out[i] = name + "=" + filepath.Join(dir, filepath.Base(lib))
			continue
		}
		for _, e := range c.Engines {
			if e.Name == spec {
				out[i] = spec + "=" + filepath.Join(dir, filepath.Base(strings.ReplaceAll(e.Library, "{variant}", Variant)))
			}
		}
	}
	return out
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

// engineOverride is SEAM_ENGINE_DIR, else seam-engines/ next to this binary when it exists (a
// ClusterFuzzLite build ships the libraries there), else "".
func engineOverride() string {
	if d := os.Getenv("SEAM_ENGINE_DIR"); d != "" {
		return d
	}
	if exe, err := os.Executable(); err == nil {
		if d := filepath.Join(filepath.Dir(exe), EngineDir); isDir(d) {
			return d
		}
	}
	return ""
}

// engineDir is where the built-in form's libraries are: engineOverride, else build/fuzzer/ of
// the repository.
func engineDir() (string, error) {
	if d := engineOverride(); d != "" {
		return d, nil
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
