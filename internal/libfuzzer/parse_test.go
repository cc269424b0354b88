package libfuzzer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lines captured from this repository's libFuzzer binaries (build/libfuzzer/<target>).
func TestParseStatusFork(t *testing.T) {
	s, ok := ParseStatus("#16448: cov: 457 ft: 912 corp: 148 exec/s: 1791 oom/timeout/crash: 0/1/2 time: 18s job: 3 dft_time: 0")
	require.True(t, ok)
	assert.Equal(t, Status{Execs: 16448, Cov: 457, Features: 912, Corpus: 148, ExecsPerSec: 1791, Crashes: 2, Timeouts: 1, Seconds: 18, Job: 3}, s)
}

func TestParseStatusSingleProcess(t *testing.T) {
	for line, want := range map[string]Status{
		"#2\tINITED cov: 128 ft: 129 corp: 1/1b exec/s: 0 rss: 38Mb": {Execs: 2, Event: "INITED", Cov: 128, Features: 129, Corpus: 1},
		"#3\tNEW    cov: 207 ft: 214 corp: 2/2b lim: 4 exec/s: 0 rss: 39Mb L: 1/1 MS: 1 ChangeByte-": {
			Execs: 3, Event: "NEW", Cov: 207, Features: 214, Corpus: 2},
		"#4096\tpulse  cov: 302 ft: 488 corp: 30/92b lim: 4 exec/s: 2048 rss: 45Mb": {
			Execs: 4096, Event: "pulse", Cov: 302, Features: 488, Corpus: 30, ExecsPerSec: 2048},
		"#60669\tDONE   cov: 420 ft: 900 corp: 120/3Kb lim: 40 exec/s: 5515 rss: 60Mb": {
			Execs: 60669, Event: "DONE", Cov: 420, Features: 900, Corpus: 120, ExecsPerSec: 5515},
	} {
		s, ok := ParseStatus(line)
		require.True(t, ok, line)
		assert.Equal(t, want, s, line)
	}
}

func TestParseStatusIgnoresOtherLines(t *testing.T) {
	for _, line := range []string{
		"INFO: Seed: 3767496546",
		"  NEW_FUNC: 0x7fc92e1efc18 in pricing_rules_new native/cpp/pricing.cpp:278",
		"==16757==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x502000001831 at pc 0x7f45fb5548a2",
		"    #3 0x7f45fb5548a2 in parse_rules native/cpp/pricing.cpp:161",
		"#12 some text",
		"",
	} {
		_, ok := ParseStatus(line)
		assert.False(t, ok, line)
	}
}

func TestParseArtifact(t *testing.T) {
	p, ok := ParseArtifact("artifact_prefix='/w/artifacts/'; Test unit written to /w/artifacts/crash-0267d155f502eb4b4384519496c5456633e24b2a")
	require.True(t, ok)
	assert.Equal(t, "/w/artifacts/crash-0267d155f502eb4b4384519496c5456633e24b2a", p)
	_, ok = ParseArtifact("INFO: fuzzed for 12 seconds, wrapping up soon")
	assert.False(t, ok)
}

func TestParseError(t *testing.T) {
	e, ok := ParseError("==16757==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x502000001831")
	require.True(t, ok)
	assert.Equal(t, "AddressSanitizer: heap-buffer-overflow on address 0x502000001831", e)
	e, ok = ParseError("==123== ERROR: libFuzzer: deadly signal")
	require.True(t, ok)
	assert.Equal(t, "libFuzzer: deadly signal", e)
}

func TestArtifactKind(t *testing.T) {
	sha := "0267d155f502eb4b4384519496c5456633e24b2a"
	for name, want := range map[string]string{"crash-" + sha: "crash", "leak-" + sha: "leak", "timeout-" + sha: "timeout", "oom-" + sha: "oom"} {
		k, ok := ArtifactKind(name)
		require.True(t, ok, name)
		assert.Equal(t, want, k)
	}
	for _, name := range []string{"slow-unit-" + sha, "crash-" + sha + ".min", "crash-xyz", "minimized-from-" + sha, "corpus"} {
		_, ok := ArtifactKind(name)
		assert.False(t, ok, name)
	}
}

const asanLog = `INFO: Running with entropic power schedule (0xFF, 100).
Running: /w/artifacts/crash-0267d155f502eb4b4384519496c5456633e24b2a
=================================================================
==19555==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x502000001192 at pc 0x7f8d3b7498a2 bp 0x7ffdd3c00bf0 sp 0x7ffdd3c00be8
READ of size 1 at 0x502000001192 thread T0
    #0 0x7f8d3b7498a1 in (anonymous namespace)::parse_rules(unsigned char const*, unsigned long, std::map<int, int>&) /work/main/build/mutant-src/fuzzer/cpp-overread/native/cpp/pricing.cpp:161:25
    #1 0x7f8d3b749543 in pricing_rules_load::$_0::operator()() const /work/main/build/mutant-src/fuzzer/cpp-overread/native/cpp/pricing.cpp:294:5
    #2 0x7f8d3b749543 in int (anonymous namespace)::guard<pricing_rules_load::$_0>(pricing_rules_load::$_0) /work/main/build/mutant-src/fuzzer/cpp-overread/native/cpp/pricing.cpp:41:12
    #3 0x7f8d3b749543 in pricing_rules_load /work/main/build/mutant-src/fuzzer/cpp-overread/native/cpp/pricing.cpp:288:10
    #4 0x55bb36112a49 in t_rules_load /work/main/engine/table.h:22:74
`

func TestQuickKeyASan(t *testing.T) {
	k := QuickKey("crash", []byte(asanLog), nil)
	assert.True(t, strings.HasPrefix(k, "heap-buffer-overflow READ | parse_rules"), k)
}

func TestQuickKeyFinding(t *testing.T) {
	log := []byte("INFO: Seed: 1\nseam finding: engine=cpp: mismatch in pricing_quote: final_price_cents: 100 vs 101 (rounding drift)\n==7== ERROR: libFuzzer: deadly signal\n")
	sign := func(msg string) (string, string, bool) {
		if strings.Contains(msg, "rounding drift") {
			return "mismatch-rounding-drift | pricing_quote", "mismatch-rounding-drift", true
		}
		return "", "", false
	}
	assert.Equal(t, "mismatch-rounding-drift | pricing_quote", QuickKey("crash", log, sign))
	assert.Equal(t, "finding | engine=cpp: mismatch in pricing_quote: final_price_cents: 100 vs 101 (rounding drift)", QuickKey("crash", log, nil))
	msg, ok := FindingMessage(log)
	require.True(t, ok)
	assert.Contains(t, msg, "mismatch in pricing_quote")
}

func TestQuickKeyLibFuzzerOnly(t *testing.T) {
	log := []byte(`ALARM: working on the last Unit for 10 seconds
       and the timeout value is 10 (use -timeout=N to change)
==42== ERROR: libFuzzer: timeout after 10 seconds
    #0 0x55 in __sanitizer_print_stack_trace (/w/rules+0x1)
    #1 0x56 in fuzzer::PrintStackTrace() (/w/rules+0x2)
    #2 0x7f in (anonymous namespace)::skip_spaces(unsigned char const*) /n/pricing.cpp:80:3
    #3 0x7f in parse_rules /n/pricing.cpp:170:3
    #4 0x7f in pricing_rules_load /n/pricing.cpp:288:10
    #5 0x7f in t_rules_load /e/table.h:22:74
`)
	k := QuickKey("timeout", log, nil)
	assert.Equal(t, "libfuzzer-timeout | (anonymous namespace)::skip_spaces(unsigned char const*) | parse_rules | pricing_rules_load", k)
	assert.Equal(t, "oom", QuickKey("oom", []byte("nothing useful"), nil))
}

// The harness prints findings with the prefix this package parses, and looks for what Install
// ships where Install puts it.
func TestHarnessAgreesWithThisPackage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "fuzz", "libfuzzer", "main.go"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `const FindingPrefix = "`+FindingPrefix+`"`)
	assert.Contains(t, string(b), `const EngineDir = "`+EngineDir+`"`)
	assert.Contains(t, string(b), `const ContractDir = "`+ContractDir+`"`)
	assert.Contains(t, string(b), `const SnapshotDir = "`+SnapshotDir+`"`)
	assert.Contains(t, string(b), `const Variant = "`+Variant+`"`)
}

func TestMutantNamesAndRust(t *testing.T) {
	assert.Equal(t, []string{"cpp-overread", "rust-overread"}, MutantNames([]string{"cpp", "mutant:cpp-overread", "mutant:rust-overread", "x/lib.so"}))
	assert.True(t, NeedsRust([]string{"cpp", "rust"}))
	assert.True(t, NeedsRust([]string{"mutant:rust-overread"}))
	assert.False(t, NeedsRust([]string{"cpp", "mutant:cpp-magic"}))
}

func TestEnvAppendsSanitizerOptions(t *testing.T) {
	t.Setenv("ASAN_OPTIONS", "detect_leaks=0")
	c := &Config{Env: []string{"SEAM_ENGINES=cpp"}}
	env := strings.Join(c.env("ASAN_OPTIONS=dedup_token_length=3"), "\n")
	assert.Contains(t, env, "ASAN_OPTIONS=detect_leaks=0:dedup_token_length=3")
	assert.Contains(t, env, "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
	assert.Contains(t, env, "SEAM_ENGINES=cpp")
	assert.Equal(t, 1, strings.Count(env, "ASAN_OPTIONS="))
}
