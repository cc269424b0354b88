//go:build libfuzzer

// Command libfuzzer is the libFuzzer entry point of the targets derived from a contract: the
// same derive.Target.Run the go test mode calls, exported as LLVMFuzzerTestOneInput. seam builds
// it per target (internal/libfuzzer; `seam fuzz -mode libfuzzer` and `seam ci build-fuzzers` do
// all of this):
//
//	go build -buildmode=c-archive -tags=libfuzzer -gcflags=all=-d=libfuzzer \
//	    -ldflags='-X=main.targetName=pricing_quote -X=main.contractPath=$PWD/native/pricing/contract.yaml -X=main.boundaryName=pricing' \
//	    -o pricing_quote.a ./fuzz/libfuzzer
//	clang-19 -fsanitize=fuzzer,address,undefined pricing_quote.a -o pricing_quote -lpthread -ldl -lffi
//	./pricing_quote -len_control=0 -dict=native/pricing/rules.dict CORPUS_DIR
//
// It runs the target targetName of the contract (SEAM_CONTRACT names another file) on the
// contract's engines (SEAM_ENGINES: names, mutant:NAME, NAME=PATTERN or paths; default all of
// them). Engines are libraries of the fuzzer build variant, by the contract's patterns, unless
// SEAM_ENGINE_DIR or seam-engines/ next to the binary (as ClusterFuzzLite ships them) holds
// them, found there by file name. The contract is read from seam-contract/<boundary>/ next to
// the binary when that exists (the runner of a distributed fuzzing service has no checkout),
// and its header is parsed with the build machine's C configuration shipped beside it in
// seam-cc/ when that exists (the runner has no C compiler and no system headers). Engines are
// dlopen'ed in LLVMFuzzerInitialize, before libFuzzer starts, so their inline 8-bit counters
// and compare hooks register with it. A Go panic or a finding (an error from the target: a
// mismatch, a contract breach) prints the same text the go test mode prints, after
// "seam finding: " or as a Go panic, and then calls C abort() so libFuzzer writes the crash
// input (os.Exit would bypass libFuzzer's handlers).
package main

/*
#include <stdint.h>
#include <stdlib.h>
static void seam_abort(void) { abort(); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unsafe"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/fuzz"
)

// Set with -ldflags -X: the target this binary fuzzes (SEAM_TARGET overrides it), the contract
// file and its boundary (SEAM_CONTRACT overrides the file).
var targetName, contractPath, boundaryName string

// ContractDir, next to the binary, holds <boundary>/: a copy of the contract and its header.
const ContractDir = "seam-contract"

// SnapshotDir, beside a shipped contract, holds the snapshot of the build machine's C
// configuration (cheader.Snapshot) the header is parsed with: a fuzzing service's runner has
// neither a C compiler nor the system headers.
const SnapshotDir = "seam-cc"

// EngineDir is the directory next to the binary that holds the engine libraries.
const EngineDir = "seam-engines"

// FindingPrefix starts the line a finding prints before the abort (internal/libfuzzer parses it).
const FindingPrefix = "seam finding: "

// Variant is the build variant whose libraries the engines resolve to.
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

// gcPercent is the harness's Go GC target unless GOGC says otherwise. What a target keeps
// between inputs is the contract, the header and the engines (tens of MiB); what an input
// allocates (its program, arguments, results) is garbage when it returns. At Go's default of
// 100 the collector ran every few thousand inputs over the whole kept heap
// (pricing_rules_load, engine cpp, 20 s, two runs each: 7.0k and 9.0k execs/s at 100, 9.7k and
// 10.6k at 400); the heap may grow to five times what is kept, far under libFuzzer's
// -rss_limit_mb.
const gcPercent = 400

func setup() error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	name := targetName
	if v := os.Getenv(fuzz.EnvTarget); v != "" {
		name = v
	}
	path := contractFile()
	if path == "" {
		return fmt.Errorf("no contract: build the harness with seam (-X main.contractPath=FILE) or set %s", fuzz.EnvContract)
	}
	return setupContract(path, name)
}

// contractFile is SEAM_CONTRACT, else the shipped copy of the contract built in, else the
// contract built in ("" when there is none).
func contractFile() string {
	if v := os.Getenv(fuzz.EnvContract); v != "" {
		return v
	}
	if contractPath == "" {
		return ""
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
	var opts []cheader.Option
	if snap := filepath.Join(filepath.Dir(path), SnapshotDir); isDir(snap) {
		opts = append(opts, cheader.FromSnapshot(snap))
	}
	b, err := boundary.Load(path, opts...)
	if errors.Is(err, cheader.ErrSnapshot) {
		return fmt.Errorf("%w: re-run seam ci build-fuzzers, which writes it beside the contract", err)
	}
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

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
