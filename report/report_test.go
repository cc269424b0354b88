package report

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the .want files of the golden tests")

// Golden tests (syzkaller style): testdata/<source>/<n> is a raw report, from seam's own
// seeded-bug libraries or from the real world (testdata/README.md names each one's source);
// <n>.want holds the TYPE/TITLE/SIGNATURE/DETAIL/FRAME/CORRUPTED lines. Beside the golden
// lines it checks syzkaller's invariants: the report starts inside the input, parsing again
// from its first line gives the same report, and a signature has at most three state lines.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*")
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".want") || strings.Contains(f, "/stability/") || strings.HasPrefix(f, "testdata/fuzz/") {
			continue
		}
		n++
		t.Run(f, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			r, ok := Parse(raw)
			require.True(t, ok, "no report found in %s", f)
			assert.Equal(t, filepath.Base(filepath.Dir(f)), r.Source, "report source")
			lines := splitLines(string(raw))
			require.Less(t, r.Start, len(lines))
			again, ok := Parse([]byte(strings.Join(lines[r.Start:], "\n")))
			require.True(t, ok, "no report when parsing again from line %d", r.Start)
			assert.Equal(t, r.Lines(), again.Lines(), "parsing again from the report's start")
			assert.LessOrEqual(t, len(r.Frames), maxState)
			if r.Detail != "" {
				assert.LessOrEqual(t, len(r.Frames), maxState-1)
			}
			got := strings.Join(r.Lines(), "\n") + "\n"
			if *update {
				require.NoError(t, os.WriteFile(f+".want", []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(f + ".want")
			require.NoError(t, err, "run go test ./report -update to create it")
			assert.Equal(t, string(want), got)
		})
	}
	assert.GreaterOrEqual(t, n, 75)
}

// The same bug reached by different inputs (other addresses, sizes, pids) is one signature;
// different bugs are different signatures.
func TestSignatureStability(t *testing.T) {
	sig := func(name string) string {
		raw, err := os.ReadFile("testdata/stability/" + name)
		require.NoError(t, err)
		r, ok := Parse(raw)
		require.True(t, ok, name)
		return r.Signature
	}
	assert.Equal(t, sig("overread-a"), sig("overread-b"))
	assert.Equal(t, sig("nul-a"), sig("nul-b"))
	assert.NotEqual(t, sig("overread-a"), sig("nul-a"))
}

// One bug, several findings: a strlen over-read on a coupon reads as many bytes as the coupon
// is long (READ of size 2, 6, 25), yet it is one bug with one signature; the size stays in
// the title.
func TestAccessSizeIsNotInTheSignature(t *testing.T) {
	var sigs, titles []string
	for _, name := range []string{"coupon-a", "coupon-b", "coupon-c"} {
		raw, err := os.ReadFile("testdata/stability/" + name)
		require.NoError(t, err)
		r, ok := Parse(raw)
		require.True(t, ok, name)
		sigs, titles = append(sigs, r.Signature), append(titles, r.Title)
	}
	assert.Equal(t, "heap-buffer-overflow READ | apply_coupon | pricing_quote", sigs[0])
	assert.Equal(t, sigs[0], sigs[1])
	assert.Equal(t, sigs[0], sigs[2])
	assert.Equal(t, []string{"heap-buffer-overflow READ 2 in apply_coupon", "heap-buffer-overflow READ 25 in apply_coupon",
		"heap-buffer-overflow READ 6 in apply_coupon"}, titles)
}

// A lambda's frame is named after the function it is defined in, whichever symbolizer named
// it: clang's "f::$_0::operator()", gcc's demangler "f(int)::{lambda()#1}::operator()", and
// gcc's own symbolizer, which prints "operator()" and leaves the lambda's type to the caller.
func TestLambdaFramesNameTheEnclosingFunction(t *testing.T) {
	for _, c := range []struct{ raw, next, want string }{
		{"pricing_rules_load::$_0::operator()() const", "", "pricing_rules_load"},
		{"ns::Foo::bar(int)::$_3::operator()(char const*) const", "", "ns::Foo::bar"},
		{"pricing_quote(pricing_rules const*, pricing_request const*, pricing_result*)::{lambda()#1}::operator()() const", "", "pricing_quote"},
		{"operator()", "guard<pricing_rules_describe(const pricing_rules*, char*, size_t)::<lambda()> >", "pricing_rules_describe"},
		{"operator()", "__invoke_impl<void, cache::record(int)::<lambda()> >", "cache::record"},
		{"operator()", "IterateCounterRegions<(lambda at /src/FuzzerTracePC.cpp:411:25)>", "operator()"},
		{"int (anonymous namespace)::guard<pricing_rules_load::$_0>(pricing_rules_load::$_0)", "", "guard"},
		{"std::function<int ()>::operator()() const", "", "std::function::operator()"},
		{"gfx::Point::operator+=(gfx::Vector2d const&)", "", "gfx::Point::operator+="},
	} {
		assert.Equal(t, c.want, frameName(c.raw, c.next, "asan"), c.raw)
	}
}

// A Go dump that follows an ASan report is its aftermath: the ASan report wins.
func TestFirstReportWins(t *testing.T) {
	asan, err := os.ReadFile("testdata/asan/1")
	require.NoError(t, err)
	goDump, err := os.ReadFile("testdata/go/1")
	require.NoError(t, err)
	r, ok := Parse(append(append([]byte("some output\n"), asan...), goDump...))
	require.True(t, ok)
	assert.Equal(t, "asan", r.Source)
	r, ok = Parse(append(append([]byte{}, goDump...), asan...))
	require.True(t, ok)
	assert.Equal(t, "go", r.Source)
}

func TestNoReport(t *testing.T) {
	for _, s := range []string{"", "PASS\nok  \tpkg\t0.1s\n", "fuzz: elapsed: 3s, execs: 100\n", "panicked without the rest"} {
		_, ok := Parse([]byte(s))
		assert.False(t, ok, "%q", s)
	}
}

func TestHangWithoutGDB(t *testing.T) {
	r, ok := Parse([]byte("==seam== HANG: no progress for 10s in fuzz-target input abc\nSIGABRT: abort\nPC=0x1 m=0\nsignal arrived during cgo execution\n\ngoroutine 1 gp=0x1 m=0 [syscall]:\nruntime.cgocall(0x1, 0x2)\n\t/usr/local/go/src/runtime/cgocall.go:167 +0x4b\ngithub.com/seamfuzz/seam/native/pricing/engine.(*Rules).Load(0x1)\n\t/work/main/engine/rules.go:88 +0x1d1\n"))
	require.True(t, ok)
	assert.Equal(t, "hang", r.Type)
	assert.Contains(t, r.Signature, "engine.(*Rules).Load")
}

// FuzzParse: the parser reads whatever a log holds and never panics; a report it finds has a
// type, a signature that starts with it, at most three state lines, and a start inside the
// input. scripts/test.sh runs it for a few seconds on every `make test`:
//
//	go test ./report -run '^$' -fuzz FuzzParse -fuzztime 10s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".want") {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ok := Parse(data)
		if !ok {
			return
		}
		_ = r.Lines()
		if r.Type == "" || !strings.HasPrefix(r.Signature, r.Type) {
			t.Fatalf("report without type, or a signature that does not start with it: %+v", r)
		}
		if len(r.Frames) > maxState || strings.Count(r.Signature, " | ") > maxState {
			t.Fatalf("more than %d state lines: %q", maxState, r.Signature)
		}
		if r.Start < 0 || r.Start >= len(splitLines(string(data))) {
			t.Fatalf("report starts at line %d, outside the input", r.Start)
		}
	})
}

// Frames the unwinder could not name ("<unknown>" past the cgo boundary in some processes)
// must not make one bug two signatures.
func TestUnknownFramesAreSkipped(t *testing.T) {
	log := func(extra string) []byte {
		return []byte("thread '<unnamed>' (7) panicked at src/lib.rs:164:9:\nindex out of bounds: the len is 32 but the index is 32\nstack backtrace:\n" +
			"   0: core::panicking::panic_bounds_check\n             at /rustc/abc/library/core/src/panicking.rs:271:5\n" +
			"   1: pricing_quote\n             at ./native/rust/src/lib.rs:164:9\n" + extra +
			"thread '<unnamed>' (7) panicked at /rustc/abc/library/core/src/panicking.rs:225:5:\npanic in a function that cannot unwind\n")
	}
	a, ok := Parse(log(""))
	require.True(t, ok)
	b, ok := Parse(log("   2: <unknown>\n"))
	require.True(t, ok)
	assert.Equal(t, a.Signature, b.Signature)
}

// A crash under seam's generic call path is signed by the engine's frames: the trampoline, the
// cgo glue and seam's Go call path are machinery, also when a stripped binary names them after
// a linker symbol.
func TestSeamCallPathFramesAreSkipped(t *testing.T) {
	r, ok := Parse([]byte(`==7==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000131 at pc 0x7f00 bp 0x7f00 sp 0x7f00
READ of size 1 at 0x602000000131 thread T0
    #0 0x7f01 in feed_bytes native/tally/cpp/tally.cpp:96
    #1 0x7f02 in tally_feed native/tally/cpp/tally.cpp:210
    #2 0x4a01 in seam_ffi_call_int ffi/seam_ffi.h:120
    #3 0x4a02 in __bss_start (/tmp/seam.test+0x4a02)
    #4 0x4a03 in _cgo_0b1c_Cfunc_seam_ffi_call3 cgo-gcc-prolog:90
    #5 0x4a04 in github.com/seamfuzz/seam/ffi._Cfunc_seam_ffi_call3 _cgo_gotypes.go:300
    #6 0x4a05 in github.com/seamfuzz/seam/boundary.(*Engine).Call boundary/engine.go:150
    #7 0x4a06 in github.com/seamfuzz/seam/trace.Run trace/run.go:40
SUMMARY: AddressSanitizer: heap-buffer-overflow native/tally/cpp/tally.cpp:96 in feed_bytes
`))
	require.True(t, ok)
	assert.Equal(t, "heap-buffer-overflow READ | feed_bytes | tally_feed", r.Signature)
}

// Every real-world report names its source in testdata/README.md, and the README lists no file
// that is not there.
func TestEveryReportNamesItsSource(t *testing.T) {
	readme, err := os.ReadFile("testdata/README.md")
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, l := range strings.Split(string(readme), "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "| ")); strings.HasPrefix(l, "| ") && len(f) > 0 && strings.Contains(f[0], "/") {
			listed[f[0]] = true
		}
	}
	ours := map[string]bool{"asan/1": true, "asan/2": true, "asan/3": true, "asan/4": true, "asan/5": true, "go/1": true,
		"go/2": true, "hang/1": true, "lsan/1": true, "rust/1": true, "rust/2": true, "tsan/1": true, "tsan/2": true,
		"ubsan/1": true, "ubsan/2": true, "ubsan/3": true}
	files, err := filepath.Glob("testdata/*/*")
	require.NoError(t, err)
	external := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, "testdata/")
		if strings.HasSuffix(f, ".want") || strings.HasPrefix(name, "stability/") || strings.HasPrefix(name, "fuzz/") || ours[name] {
			continue
		}
		external++
		assert.True(t, listed[name], "%s is not in testdata/README.md", name)
		delete(listed, name)
	}
	assert.Empty(t, listed, "listed in testdata/README.md but not in testdata")
	assert.GreaterOrEqual(t, external, 60, "real-world reports")
}

// ClusterFuzz's expected crash state for the reports taken from its stack-analyzer test data
// (stack_analyzer_test.py), as seam names frames (no template arguments, no Rust hashes). A
// state line that is a message (an assertion's, a CHECK's) is left out; seam keeps those in
// the title. seam must agree, except where it differs on purpose (listed in testdata/README.md).
func TestAgreesWithClusterFuzz(t *testing.T) {
	states := map[string][]string{
		"asan/6":  {"ash::WindowGrid::PositionWindows", "ash::WindowSelector::Init", "ash::WindowSelectorController::ToggleOverview"},
		"asan/7":  {"url::UIDNAWrapper::UIDNAWrapper", "base::DefaultLazyInstanceTraits::New", "base::internal::LeakyLazyInstanceTraits::New"},
		"asan/8":  {"_gnutls_buffer_append_printf", "print_cert", "gnutls_x509_crt_print"},
		"asan/10": {"SkSL::Compiler::addDefinitions", "SkSL::Compiler::scanCFG", "SkSL::Compiler::internalConvertProgram"},
		"asan/11": {"boom_internal", "boom_intermediate", "boom"},
		"asan/12": {"deflate_set_dictionary_fuzzer.cc"},
		"asan/13": {"cc::SurfaceManager::UnregisterBeginFrameSource", "cc::Display::~Display", "~Display"},
		"asan/15": {"sfntly::BitmapSizeTable::Builder::Initialize", "sfntly::BitmapSizeTable::Builder::GetIndexSubTableBuilders", "InitializeBitmapBuilder"},
		"asan/28": {"begin_parse_string", "finish_lithdr_notidx_v", "begin_parse_string"},
		"asan/29": {"rawspeed::FujiDecompressor::copy_line", "rawspeed::FujiDecompressor::copy_line_to_xtrans", "rawspeed::FujiDecompressor::fuji_decode_strip"},
		"asan/30": {"v8::internal::Vector::Vector", "v8::internal::wasm::ModuleWireBytes::ModuleWireBytes"},
		"gdb/1":   {"xymodem_trnasfer", "LoadImageFromUsb30", "LoadBL1FromUsb30"},
		"go/3":    {"json.(*decodeState).unquoteBytes"},
		"go/4":    {"math.glob..func1", "math.init.ializers"},
		"go/5":    {"regexp.(*Regexp).Split", "gonids.(*Rule).option", "gonids.parseRuleAux"},
		"go/7":    {"gc.newliveness", "gc.liveness", "gc.compile"},
		"go/8":    {"json.(*decodeState).unquoteBytes", "json.(*decodeState).literalStore", "json.(*decodeState).object"},
		"go/9":    {"asn1.Fuzz"},
		"go/10":   {"prog.fromHexChar", "prog.hexToByte"},
		"go/11":   {"go-bsbmp.(*SensorBMP180).ReadPressureMult10Pa", "go-bsbmp.(*BMP).ReadAltitude"},
		"go/12":   {"ast.(*scanner).next", "ast.(*scanner).scanIdent", "ast.(*scanner).Scan"},
		"go/18":   {"repro.(*context).reproMinimizeProg", "repro.(*context).repro", "repro.Run"},
		"lsan/2":  {"xmlStrndup", "xmlStrdup", "xmlGetPropNodeValueInternal"},
		"lsan/3":  {"xmlNewDocElementContent", "xmlParseElementMixedContentDecl", "xmlParseElementContentDecl"},
		"lsan/4":  {"pepper::AutoBuffer::AllocateBuffer"},
		"lsan/5":  {"f"},
		"rust/3":  {"libra_config::utils::get_available_port", "libra_json_rpc::fuzzing::fuzzer"},
		"tsan/3":  {"sqlite3StatusSet", "pcache1Alloc", "pcache1AllocPage"},
		"ubsan/4": {"blink::RenderMenuList::didUpdateActiveOption", "blink::RenderMenuList::setTextFromOption"},
		"ubsan/5": {"mpeg_decode_postinit", "decode_chunks", "mpeg_decode_frame"},
		"ubsan/6": {"boom_internal", "boom_intermediate", "boom"},
		"ubsan/7": {"ash::WindowGrid::PositionWindows", "ash::WindowSelector::Init", "ash::WindowSelectorController::ToggleOverview"},
	}
	for name, want := range states {
		raw, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		r, ok := Parse(raw)
		require.True(t, ok, name)
		var got []string
		for _, f := range r.Frames {
			got = append(got, f.name())
		}
		assert.Equal(t, want, got[:min(len(got), len(want))], name)
	}
}

// The same seeded bug built by gcc (its symbolizer prints "operator()") and by clang
// (libFuzzer mode; "pricing_rules_load::$_0::operator()() const") signs the same.
func TestLambdaSignatureIsTheSameAcrossCompilers(t *testing.T) {
	gcc, err := os.ReadFile("testdata/asan/1")
	require.NoError(t, err)
	clang, err := os.ReadFile("testdata/stability/lambda-clang") // seam's libFuzzer mode, clang-19
	require.NoError(t, err)
	a, ok := Parse(gcc)
	require.True(t, ok)
	b, ok := Parse(clang)
	require.True(t, ok)
	assert.Equal(t, "heap-buffer-overflow READ | parse_rules | pricing_rules_load | guard", a.Signature)
	assert.Equal(t, a.Signature, b.Signature)
}

// A log pipeline's line prefix does not change a report's signature: Go's log package,
// a container runtime, docker compose, a CI timestamp, OSS-Fuzz's web page.
func TestLinePrefixesDoNotChangeTheSignature(t *testing.T) {
	for _, name := range []string{"testdata/asan/22", "testdata/go/8", "testdata/tsan/3", "testdata/rust/6", "testdata/lsan/2"} {
		raw, err := os.ReadFile(name)
		require.NoError(t, err)
		plain, ok := Parse(raw)
		require.True(t, ok, name)
		for _, prefix := range []string{"2026/12/01 08:25:05 ", "2026-12-01T08:25:05.123456789Z stderr F ", "pricing-api-1  | ",
			"2026-12-01T08:25:05Z ", "  | "} {
			var b strings.Builder
			for _, l := range strings.Split(string(raw), "\n") {
				b.WriteString(prefix + l + "\n")
			}
			r, ok := Parse([]byte(b.String()))
			require.True(t, ok, "%s with %q", name, prefix)
			assert.Equal(t, plain.Signature, r.Signature, "%s with %q", name, prefix)
		}
	}
}
