package report

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// skipRule is one row of the frame-skip table: frames whose key (see frameKey) matches are
// machinery, not the bug, and never enter a signature.
type skipRule struct {
	re  *regexp.Regexp
	why string
}

func rules(why string, patterns ...string) []skipRule {
	out := make([]skipRule, len(patterns))
	for i, p := range patterns {
		// A key is "function file"; an exact function name ends at the space.
		if strings.HasPrefix(p, "^") && strings.HasSuffix(p, "$") && !strings.HasSuffix(p, `\$`) {
			p = strings.TrimSuffix(p, "$") + "(?: |$)"
		}
		out[i] = skipRule{regexp.MustCompile(p), why}
	}
	return out
}

// frameSkip is the one table of frames a signature skips. The first part is ClusterFuzz's
// STACK_FRAME_IGNORE_REGEXES (src/clusterfuzz/stacktraces/constants.py), matched like
// ClusterFuzz does: against "function file:line" (or the module when there is no function).
// Entries for platforms seam does not run on (Windows, Android, Fuchsia, V8, Swift, Java) are
// left out. Deviations, each for a reason:
//   - ClusterFuzz's '^main' skips every function whose name starts with "main" (main_loop, and
//     every frame of a Go main package or a Rust crate named main); seam skips only the entry
//     points (main, main.main, main.init, Go's cgo export wrappers).
//   - ClusterFuzz's '^New' and '^new' skip NewParser and new_session; seam leaves them.
//   - ClusterFuzz's '^free', '^malloc', '^calloc', '^realloc' and '^delete' skip free_file_sum
//     (a real bug's frame, testdata/tsan/7); seam skips the allocator's own names only.
//
// The second part is seam's own: the Go runtime and cgo glue, the C++ and Rust standard
// libraries, libFuzzer's and the sanitizers' sources by path, and seam's generic call path.
var frameSkip = concat(
	rules("libc or the sanitizer runtime (ClusterFuzz)",
		`^abort$`, `^exit$`, `^pthread_create$`, `^pthread_kill$`, `^raise$`, `^tgkill$`,
		`^__chk_fail$`, `^__fortify_fail$`,
		`^(|__)aeabi_`, `^(|__)memcmp`, `^(|__)memcpy`, `^(|__)memmove`, `^(|__)memset`,
		`^(|__)strcmp`, `^(|__)strcpy`, `^(|__)strdup`, `^(|__)strlen`, `^(|__)strncpy`,
		`^<null>`, `^Abort\(`, `^_L_unlock_`, `^__GI_`, `^__asan::`, `^__asan_`, `^__assert_`,
		`^__cxa_atexit`, `^__cxa_rethrow`, `^__cxa_throw`, `^__dump_stack`, `^__hwasan::`,
		`^__hwasan_`, `^__interceptor_`, `^__libc_`, `^__lsan::`, `^__lsan_`, `^__msan::`,
		`^__msan_`, `^__pthread_kill`, `^__run_exit_handlers`, `^__sanitizer::`, `^__sanitizer_`,
		`^__tsan::`, `^__tsan_`, `^__ubsan::`, `^__ubsan_`, `^_asan_`, `^_hwasan_`, `^_lsan_`,
		`^_msan_`, `^_sanitizer_`, `^_start`, `^_tsan_`, `^_ubsan_`, `^abort`, `^asan_`,
		`^asan\.module_ctor`, `^asan\.module_dtor`, `^check_memory_region`,
		`^common_exit`, `^demangling_terminate_handler`, `^dump_backtrace`,
		`^dump_stack`, `^exit_or_terminate_process`, `^fpehandler\(`, `^gsignal`,
		`^operator`, `^print_trailer`, `^scanf`, `^show_stack`,
		`^std::__terminate`, `^_objc_terminate`, `^libgcc_s.so.*`, `.*ASAN_OnSIGSEGV`, `.*_asan_rtl_`,
		`.*asan_Heap`, `.*asan_check_access`, `.*assert`, `.*libpthread`, `.*allocator_shim`,
		`^<unknown>$`, `^\[vdso\]$`, `^linux-gate.so.*$`, `.*<unknown module>`, `.*\+Unknown`),
	rules("allocator (ClusterFuzz's '^free', '^malloc', '^calloc', '^realloc', '^delete', narrowed to the allocator's names)",
		`^(free|cfree|malloc|calloc|realloc|reallocarray|valloc|pvalloc|memalign|posix_memalign|aligned_alloc|delete)$`),
	rules("fuzzer and logging machinery (ClusterFuzz)",
		`^LLVMFuzzerTestOneInput`, `^TestOneProtoInput`, `^fuzzer::`, `^libfuzzer_sys::initialize`,
		`^rust_fuzzer_test_input`, `.*fuzztest::internal::`, `.*base::FuzzedDataProvider`,
		`^g_log`, `.*logger`, `.*logging::CheckError`, `.*logging::ErrnoLogMessage`,
		`.*logging::LogMessage`, `^absl::log_internal::`, `^SignalAction`, `^SignalHandler`,
		`.*StackDumpSignalHandler`, `.*DebugBreak`, `.*base::debug::BreakDebugger`,
		`.*base::debug::CollectStackTrace`, `.*base::debug::StackTrace::StackTrace`,
		`.*base::allocator`, `.*PartitionAlloc`, `^WTF::`, `^WTFCrash`, `^CFCrash`,
		`^V8_Fatal`, `.*v8::base::OS::Abort`),
	rules("Rust panic machinery (ClusterFuzz)",
		`^__rust_try`, `^_\$LT\$`, `^alloc::`, `^core::fmt::write`, `^panic_abort::`,
		`^rust_begin_unwind`, `^rust_oom`, `^rust_panic`, `^std::io::Write::write_fmt`,
		`^std::panic`, `^std::process::abort`, `^std::sys::unix::abort`,
		`^std::sys_common::backtrace`, `^__rust_start_panic`),
	rules("Go runtime (ClusterFuzz)", `^panic$`, `^runtime\.`),
	rules("toolchain and runtime sources (ClusterFuzz)",
		`.* /rust(|c)/`, `.*/crosstool/`, `.*/gcc/`, `.*/glibc\-`, `.*/jemalloc/`, `.*/libc\+\+`,
		`.*/libc/`, `.*/llvm\-build/`, `.*/sanitizer_common/`, `.*/tcmalloc/`, `.*libc\+\+/`,
		`.*/memorycmp\.c`),
	rules("entry points (ClusterFuzz '^main', narrowed)",
		`^main$`, `^main\.main$`, `^main::main$`, `^main\.init`, `^main\._cgoexp`, `^main\.LLVMFuzzerTestOneInput$`,
		`^_cgoexp_`, `^_rt0_`),
	rules("sanitizer and libFuzzer sources by path (seam)",
		`.*/compiler-rt/`, `.*libsanitizer/`, `.*/libfuzzer/Fuzzer\w+\.(cpp|h)`, `.*/libFuzzer/src/`),
	rules("C++ and Rust standard libraries (seam)",
		`^std::`, `^<std::`, `^core::`, `^<core::`, `^<alloc::`, `^__rustc::`, `^__rust`,
		`^_rust_`, `^__gnu_cxx::`, `^__cxxabiv1::`, `^__cxa_`, `.*/include/c\+\+/`,
		`^__invoke`, `^_M_`, `^__libc_start`),
	rules("Go runtime, cgo glue and panic helpers (seam)",
		`^runtime/`, `^internal/`, `^syscall\.`, `^_cgo_`, `^x_cgo_`, `^crosscall`, `^_Cfunc_`,
		`^asmcgocall`, `^gosave`, `^log\.(Panic|Fatal)`, `.* /usr/local/go/src/runtime/`,
		`.*/go/src/runtime/`, `.* runtime/\S+\.(go|s)`, `.*_cgo_gotypes\.go`, `.*cgo-gcc-prolog`,
		`.*_cgo_export\.c`),
	rules("libc pieces ClusterFuzz catches by name on other glibc versions (seam)",
		`^clone`, `^__clone`, `^start_thread`, `^__pthread`, `^pthread_`, `^nanosleep`,
		`^__nanosleep`, `^futex`, `^__futex`, `^bcmp`, `^__memcpy`, `^__strlen`, `^strncmp`),
	rules("seam's generic call path (seam)", `.*engine/table\.h`, `^seam_ffi_`, `.*ffi/seam_ffi\.h`, `.*\._Cfunc_`,
		`^github\.com/seamfuzz/seam/(ffi|boundary|trace|derive)\.`),
	rules("unnamed frames", `^\?\?$`, `^\?\? `),
	// A stripped binary's frames are named after the nearest symbol the linker left, which
	// says nothing about the code (seam's own trampoline in a stripped test binary).
	rules("linker symbols of a stripped binary (seam)", `^__bss_start$`, `^_edata$`, `^_end$`),
)

// frameSkipIfSymbolized is ClusterFuzz's STACK_FRAME_IGNORE_REGEXES_IF_SYMBOLIZED: a frame
// known only as one of these modules is libc or the C++ runtime.
var frameSkipIfSymbolized = rules("system library without symbols (ClusterFuzz)",
	`.*libc\.so`, `.*libc\+\+\.so`, `.*libc\+\+_shared\.so`, `.*libstdc\+\+\.so`, `.*libc-.*\.so`,
	`.*libasan`, `.*libtsan`, `.*libubsan`, `.*liblsan`, `.*libgcc_s`, `.*ld-linux`, `.*libpthread`,
	`.*libm\.so`, `.*libdl\.so`)

func concat(lists ...[]skipRule) []skipRule {
	var out []skipRule
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// frameKey is the string the skip table matches, in ClusterFuzz's shape: the function and
// its location, or the module of a frame without a function.
func frameKey(f Frame) string {
	switch {
	case f.Func != "" && f.File != "":
		return f.Func + " " + f.File
	case f.Func != "":
		return f.Func
	case f.File != "":
		return " " + f.File
	}
	return f.Module
}

// skipReason says why f is not part of a signature, or "" if it is.
func skipReason(f Frame) string {
	if f.Func == "" && f.File == "" && f.Module == "" {
		return "unknown frame"
	}
	k := frameKey(f)
	for _, r := range frameSkip {
		if r.re.MatchString(k) {
			return r.why
		}
	}
	if f.Func == "" && f.File == "" {
		for _, r := range frameSkipIfSymbolized {
			if r.re.MatchString(f.Module) {
				return r.why
			}
		}
		// ClusterFuzz keeps "module+0xoffset"; without the offset (it changes with every
		// build) a module says nothing about where the bug is.
		return unsymbolized
	}
	return ""
}

const unsymbolized = "known only by its module (not symbolized)"

func skipFrame(f Frame) bool { return skipReason(f) != "" }

// Sanitizer frame lines, every symbolizer's variant of
// "#3 0x7f.. in func file:line:col (module+0x..) (BuildId: ..)":
// ASan/UBSan/LSan print an address and "in"; ThreadSanitizer prints neither; any part may be
// missing ("#0 0x85c769", "#1 0x7f.. (libc.so.6+0x..)", "#2 0x.. in libc.so.6").
var (
	sanFrameStartRe = regexp.MustCompile(`^#(\d+)\s+(.*)$`)
	sanAddrRe       = regexp.MustCompile(`^0x[0-9a-fA-F]+\b\s*`)
	sanTailRe       = regexp.MustCompile(`\s+\((?:BuildId: [0-9a-f]+|discriminator \d+)\)$`)
	sanModuleRe     = regexp.MustCompile(`\s*\(([^()]*?)(?:\+0x[0-9a-fA-F]+)?\)$`)
	sanLocationRe   = regexp.MustCompile(`^(\S+?)(?::(\d+|\?))?(?::\d+)?$`)
	moduleNameRe    = regexp.MustCompile(`^[\w.+-]+\.(so(\.\d+)*|dylib|dll|exe)$`)
	lineSuffixRe    = regexp.MustCompile(`:\d+(:\d+)?$`)
)

// parseSanFrame parses one sanitizer frame line; num is the frame number.
func parseSanFrame(line string) (f Frame, num int, ok bool) {
	m := sanFrameStartRe.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return Frame{}, 0, false
	}
	num, _ = strconv.Atoi(m[1])
	rest := m[2]
	hasAddr := sanAddrRe.MatchString(rest)
	rest = sanAddrRe.ReplaceAllString(rest, "")
	for sanTailRe.MatchString(rest) {
		rest = sanTailRe.ReplaceAllString(rest, "")
	}
	hasIn := strings.HasPrefix(rest, "in ")
	rest = strings.TrimPrefix(rest, "in ")
	if !hasAddr && !hasIn && rest == "" {
		return Frame{}, 0, false
	}
	// "(module+0x1234)", "(<unknown module>)" at the end.
	if mm := sanModuleRe.FindStringSubmatchIndex(rest); mm != nil {
		inner := rest[mm[2]:mm[3]]
		full := rest[mm[0]:]
		if strings.Contains(full, "+0x") || strings.Contains(inner, "unknown module") || (!strings.Contains(rest[:mm[0]], " ") && strings.Contains(inner, "/")) {
			f.Module = inner
			rest = strings.TrimSpace(rest[:mm[0]])
		}
	}
	if rest == "" {
		return f, num, true
	}
	// The last word is the location when it looks like one.
	fn, loc := rest, ""
	if i := strings.LastIndexByte(rest, ' '); i >= 0 && isLocation(rest[i+1:]) {
		fn, loc = strings.TrimSpace(rest[:i]), rest[i+1:]
	} else if i < 0 && !hasIn && isLocation(rest) && strings.ContainsAny(rest, "/:") {
		fn, loc = "", rest
	}
	if loc != "" && loc != "<null>" && loc != "??:?" && loc != "??:0" {
		// isLocation is looser than the regexp ("\r/." passes it): no match, no file.
		if lm := sanLocationRe.FindStringSubmatch(loc); lm != nil {
			f.File, f.Line = lm[1], atoi(lm[2])
		}
	}
	if moduleNameRe.MatchString(fn) && f.Module == "" {
		fn, f.Module = "", fn // "in libc.so.6": the symbolizer had only the module
	}
	f.Func = fn
	return f, num, true
}

// isLocation reports whether a word is a source location: "file.c:12:3", "/src/x.cc", "??:?",
// "<null>".
func isLocation(w string) bool {
	switch {
	case w == "<null>" || strings.HasPrefix(w, "??:"):
		return true
	case strings.ContainsAny(w, "()<>"):
		return false
	case lineSuffixRe.MatchString(w):
		return true
	}
	return strings.Contains(w, "/") && path.Ext(w) != ""
}

// stack is one parsed stack and what went wrong while reading it.
type stack struct {
	frames []Frame
	end    int    // index of the line after the stack
	damage string // why the frames from damageAt on cannot be trusted ("" = intact)
	at     int    // index into frames
}

// sanStack parses the sanitizer-format stack that starts at or after lines[i]: the frame lines
// up to the first line that is not one. A stack the input ends inside, a frame line wrapped
// onto the next line, or one that does not start at #0, is recorded as damage, so the
// signature is not built from a guess.
func sanStack(lines []string, i int) stack {
	for ; i < len(lines); i++ {
		if _, _, ok := parseSanFrame(lines[i]); ok {
			break
		}
		if startsReport(lines[i]) {
			return stack{end: i} // the next report, not this one's stack
		}
		if strings.TrimSpace(lines[i]) == "" && i+1 < len(lines) {
			if _, _, ok := parseSanFrame(lines[i+1]); !ok {
				return stack{end: i}
			}
		}
	}
	var s stack
	last := -1
	for ; i < len(lines); i++ {
		f, num, ok := parseSanFrame(lines[i])
		if !ok {
			break
		}
		if len(s.frames) == 0 && num != 0 && s.damage == "" {
			s.damage, s.at = "the stack starts at frame #"+strconv.Itoa(num)+", frames before it are missing", 0
		}
		s.frames = append(s.frames, f)
		last = num
	}
	s.end = i
	switch {
	case len(s.frames) == 0:
	case restBlank(lines, i) && !entryFrame(s.frames[len(s.frames)-1]):
		if s.damage == "" {
			s.damage, s.at = "the report is cut inside the stack", len(s.frames)-1
		}
	case i+1 < len(lines) && strings.TrimSpace(lines[i]) != "":
		if _, num, ok := parseSanFrame(lines[i+1]); ok && num == last+1 && s.damage == "" {
			s.damage, s.at = "frame #"+strconv.Itoa(last)+" is wrapped over two lines", len(s.frames)-1
		}
	}
	return s
}

// startsReport: a line that begins another report (or this one's summary).
func startsReport(l string) bool {
	return ubsanStartRe.MatchString(strings.TrimSpace(l)) || sanErrorRe.MatchString(l) ||
		strings.Contains(l, "WARNING: ThreadSanitizer:") || strings.HasPrefix(l, "SUMMARY: ")
}

// A stack is complete when it reaches a thread's entry point.
var entryRe = regexp.MustCompile(`^(_start|__libc_start_main\w*|__libc_start_call_main|main|start_thread|clone3?|__clone3?|thread_start|__tsan_thread_start_func|start|<null>)$`)

func entryFrame(f Frame) bool {
	return entryRe.MatchString(f.Func) || (f.Func == "" && f.File == "" && f.Module != "")
}
