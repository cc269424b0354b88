// Package libfuzzer is seam's libFuzzer mode: it builds a contract's target as a libFuzzer binary
// (fuzz/libfuzzer, a c-archive linked by clang-19 with -fsanitize=fuzzer,address,undefined)
// against the native engines of the fuzzer build variant, runs it with -fork=1
// -ignore_crashes=1 for a time budget, reads its status lines, and hands every crash artifact
// to the caller (seam fuzz), which confirms, signs, deduplicates and stores it exactly as it does
// for go test -fuzz crashers. Minimize gives the caller libFuzzer's own crash minimizer.
//
// A Harness is one target derived from a contract; Install builds every target of a contract
// for a distributed fuzzing service (ClusterFuzzLite's build.sh runs it through `seam ci
// build-fuzzers`).
//
// Nothing here knows a particular contract: the contract, target name, engine specs and seeds
// come in through Harness and Config, and the harness binary does the rest.
package libfuzzer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// Clang is the compiler libFuzzer mode builds with (its runtime has libFuzzer).
const Clang = "clang-19"

// HarnessPkg is the Go package exporting LLVMFuzzerTestOneInput.
const HarnessPkg = "./fuzz/libfuzzer"

// ErrNoClang is the one line seam prints when clang-19 cannot be had.
var ErrNoClang = errors.New("libfuzzer mode: clang-19 not installed and apt failed; run scripts/install-clang.sh")

// ErrNoNightly: the Rust engine's libFuzzer build needs nightly Rust for ASan.
var ErrNoNightly = errors.New("libfuzzer mode: the rust engine needs a nightly Rust toolchain for its ASan build (rustup toolchain install nightly), or fuzz cpp only with -engines cpp")

// HaveClang reports whether clang-19 and its libFuzzer runtime are installed.
func HaveClang() bool {
	if _, err := exec.LookPath(Clang); err != nil {
		return false
	}
	out, err := exec.Command(Clang, "-print-file-name=libclang_rt.fuzzer-x86_64.a").Output()
	if err != nil {
		return false
	}
	p := strings.TrimSpace(string(out))
	_, err = os.Stat(p)
	return filepath.IsAbs(p) && err == nil
}

// HaveNightly reports whether rustup has a nightly toolchain.
func HaveNightly() bool {
	return exec.Command("rustup", "run", "nightly", "rustc", "--version").Run() == nil
}

// EnsureClang installs clang-19 through scripts/install-clang.sh when it is missing; its output
// goes to log. It returns ErrNoClang when that does not work.
func EnsureClang(ctx context.Context, root string, log io.Writer) error {
	if HaveClang() {
		return nil
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "install-clang.sh"))
	cmd.Dir = root
	cmd.Env = sanrt.CleanEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil || !HaveClang() {
		return ErrNoClang
	}
	return nil
}

// NeedsRust reports whether any engine spec is the Rust engine or one of its mutants.
func NeedsRust(specs []string) bool {
	for _, s := range specs {
		if s == "rust" || strings.Contains(s, "rust-") {
			return true
		}
	}
	return false
}

// MutantNames lists the mutants among engine specs (mutant:NAME).
func MutantNames(specs []string) []string {
	var out []string
	for _, s := range specs {
		if name, ok := strings.CutPrefix(s, "mutant:"); ok {
			out = append(out, name)
		}
	}
	return out
}

// BuildNative builds the fuzzer variant of the engines, with the mutants specs name
// (scripts/build-native.sh fuzzer; incremental). Its lines go to log.
func BuildNative(ctx context.Context, root string, specs []string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-native.sh"), "fuzzer")
	cmd.Dir = root
	mutants := "none"
	if m := MutantNames(specs); len(m) > 0 {
		mutants = strings.Join(m, ",")
	}
	cmd.Env = append(sanrt.CleanEnv(os.Environ()), "SEAM_MUTANTS="+mutants)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(log, &out), io.MultiWriter(log, &out)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build the fuzzer variant: %v: %s", err, lastLine(out.String()))
	}
	return nil
}

// EnvInstrument selects which Go packages get libFuzzer's instrumentation (8-bit counters and
// compare hooks): "targets" (default) for the input generator (gen), whose branches are the
// shapes an input decodes to (empty, NULL, limit and one past, invalid UTF-8, an example
// mutated...), which the engine's own coverage cannot tell apart; "decoders" adds the
// derived targets (derive: the program decoder, oracles and spec bookkeeping) and
// go-fuzz-headers under it, as before; "module" all of seam's packages; "all" the standard
// library too (the RECIPES.md recipe, minus the packages that must not call into libFuzzer).
// Every compare hook in Go is a switch to the C stack, and every counter an input sets is a
// feature libFuzzer collects and weighs after it, so instrumenting the code that runs the
// same way for every input of a target (the oracles, the call bookkeeping, the byte reader)
// cost most of a short program's time: pricing_rules_load, engine cpp, 200 000 inputs of at
// most one byte, 15 µs an input with gen alone, 34 µs with the "decoders" set; fuzzing 20 s,
// two runs each: 9.8k and 12.9k execs/s against 5.1k and 6.5k. The engines are instrumented by
// build-native.sh either way.
const EnvInstrument = "SEAM_LIBFUZZER_INSTRUMENT"

// instrumented are the package patterns of each EnvInstrument choice but "all".
var instrumented = map[string][]string{
	"targets":  {"github.com/seamfuzz/seam/gen"},
	"decoders": {"github.com/seamfuzz/seam/gen", "github.com/seamfuzz/seam/derive", "github.com/seamfuzz/seam/fuzz", "github.com/AdaLogics/go-fuzz-headers/..."},
	"module":   {"github.com/seamfuzz/seam/...", "github.com/AdaLogics/go-fuzz-headers/..."},
}

func goFlags() []string {
	flags := []string{"-buildmode=c-archive", "-tags=libfuzzer", "-trimpath=false"}
	choice := os.Getenv(EnvInstrument)
	if choice == "all" {
		return append(flags, "-gcflags=all=-d=libfuzzer",
			"-gcflags=runtime/cgo=-d=libfuzzer=0", "-gcflags=runtime/pprof=-d=libfuzzer=0",
			"-gcflags=runtime/race=-d=libfuzzer=0", "-gcflags=syscall=-d=libfuzzer=0")
	}
	pkgs, ok := instrumented[choice]
	if !ok {
		pkgs = instrumented["targets"]
	}
	// One pattern per flag: for a package several patterns match, the last one wins.
	for _, p := range pkgs {
		flags = append(flags, "-gcflags="+p+"=-d=libfuzzer")
	}
	return flags
}

// linkFlags link the archive into a libFuzzer binary. ASan and UBSan as in the native side;
// the ASan runtime is static in the executable and exports its symbols to the dlopen'ed engines.
var linkFlags = []string{"-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all"}

// linkLibs are what the Go archive needs from the system, whoever links it.
var linkLibs = []string{"-lpthread", "-ldl", "-lffi"}

// Harness is what one libFuzzer binary fuzzes and how it is linked.
type Harness struct {
	// Target is a target of derive.Plan for Contract.
	Target string
	// Contract is the absolute path of the contract the target comes from; the binary reads
	// the contract, its header and engines when it starts, from a copy in
	// seam-contract/<boundary>/ next to the binary first (what Install ships, with the C
	// configuration snapshot the header is then parsed with).
	Contract string
	// Linker is the link command before the archive: nil is clang-19 with libFuzzer, ASan and
	// UBSan; ClusterFuzzLite gives $CXX $CXXFLAGS $LIB_FUZZING_ENGINE.
	Linker []string
	// Out is the binary's path; "" keeps it in build/libfuzzer/ (reused while BuildKey holds).
	Out string
}

// name is the harness's binary name: the target's, prefixed by the boundary's (two boundaries
// may both have a lifecycle_handle target).
func (h Harness) name() (string, error) {
	b, err := h.boundary()
	if err != nil {
		return "", err
	}
	return b + "_" + h.Target, nil
}

func (h Harness) boundary() (string, error) {
	c, err := contract.Load(h.Contract)
	if err != nil {
		return "", err
	}
	return c.Boundary, nil
}

func (h Harness) linker() []string {
	if len(h.Linker) == 0 {
		return append([]string{Clang}, linkFlags...)
	}
	return h.Linker
}

func (h Harness) ldflags() (string, error) {
	// go build splits -ldflags on spaces, and quoting inside it is go's own dialect.
	if strings.ContainsAny(h.Contract, " \t'\"") {
		return "", fmt.Errorf("contract path %q: move it to a path without spaces or quotes", h.Contract)
	}
	b, err := h.boundary()
	if err != nil {
		return "", err
	}
	return "-s=false -w=false -X=main.targetName=" + h.Target + " -X=main.contractPath=" + h.Contract + " -X=main.boundaryName=" + b, nil
}

// Build makes the libFuzzer binary of one harness: by default build/libfuzzer/<name>/<name>,
// reused when a hash of every input (Go sources, go.mod/go.sum, flags, compiler versions) is
// unchanged. It returns the binary's path and whether it was rebuilt.
func Build(ctx context.Context, root string, h Harness) (string, bool, error) {
	name, err := h.name()
	if err != nil {
		return "", false, err
	}
	dir := filepath.Join(root, "build", "libfuzzer", name)
	bin := filepath.Join(dir, name)
	if h.Out != "" {
		dir, bin = filepath.Dir(h.Out), h.Out
	}
	key, err := BuildKey(root, h)
	if err != nil {
		return "", false, err
	}
	keyFile := filepath.Join(dir, "."+filepath.Base(bin)+".key")
	if old, err := os.ReadFile(keyFile); err == nil && string(old) == key {
		if _, err := os.Stat(bin); err == nil {
			return bin, false, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, err
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", false, fmt.Errorf("the go tool is needed to build the libFuzzer harness: install Go or put it on PATH")
	}
	ldflags, err := h.ldflags()
	if err != nil {
		return "", false, err
	}
	work, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(work)
	archive := filepath.Join(work, name+".a")
	args := append([]string{"build"}, goFlags()...)
	args = append(args, "-ldflags="+ldflags, "-o", archive, HarnessPkg)
	if err := run(ctx, root, gobin, args...); err != nil {
		return "", false, fmt.Errorf("build the libFuzzer harness for %s: %w", name, err)
	}
	link := h.linker()
	largs := append(append(append([]string(nil), link[1:]...), archive, "-o", filepath.Join(work, name)), linkLibs...)
	if err := run(ctx, root, link[0], largs...); err != nil {
		return "", false, fmt.Errorf("link the libFuzzer binary for %s: %w", name, err)
	}
	if err := os.Rename(filepath.Join(work, name), bin); err != nil {
		return "", false, err
	}
	return bin, true, os.WriteFile(keyFile, []byte(key), 0o644)
}

// cargoTarget reports whether rel is a boundary's cargo output (native/<boundary>/rust/target).
func cargoTarget(rel string) bool {
	ok, _ := path.Match("native/*/rust/target", filepath.ToSlash(rel))
	return ok
}

// engineSource reports whether rel is an engine's or a behaviour test's own source
// (native/<boundary>/{cpp,rust,test}/...): dlopen'ed or run apart, never linked into a target.
func engineSource(rel string) bool {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	return len(parts) >= 4 && parts[0] == "native" && (parts[2] == "cpp" || parts[2] == "rust" || parts[2] == "test")
}

func run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = sanrt.CleanEnv(os.Environ())
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, strings.TrimSpace(string(b)))
	}
	return nil
}

// BuildKey hashes what a harness's binary is made of: every non-test Go file of the module and
// the C headers/sources cgo compiles (outside build/, out/, corpus/, testdata and the engines'
// own sources, which are dlopen'ed, not linked), go.mod, go.sum, the flags, the target, the
// contract's path (its content is read at run time) and the versions of go and the linker.
func BuildKey(root string, harness Harness) (string, error) {
	h := sha256.New()
	link := harness.linker()
	fmt.Fprintf(h, "target %s\ncontract %s\ngo %q\nlink %q %q\n", harness.Target, harness.Contract, goFlags(), link, linkLibs)
	for _, tool := range [][]string{{"go", "env", "GOVERSION", "CGO_CFLAGS", "CGO_LDFLAGS"}, {link[0], "--version"}} {
		out, err := exec.Command(tool[0], tool[1:]...).Output()
		if err != nil {
			return "", fmt.Errorf("%s: %w", tool[0], err)
		}
		h.Write(out)
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch {
			case rel == "build" || rel == "out" || rel == "corpus" || d.Name() == "testdata" ||
				(rel != "." && strings.HasPrefix(d.Name(), ".")) || cargoTarget(rel):
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		cgoSrc := strings.HasSuffix(name, ".h") || strings.HasSuffix(name, ".c")
		nativeSrc := engineSource(rel) || strings.HasPrefix(rel, "scripts"+string(filepath.Separator))
		if (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) || rel == "go.mod" || rel == "go.sum" || (cgoSrc && !nativeSrc) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
