package fuzz

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/supervisor"
)

// knownCrashChild runs TestKnownCrashChild in a fresh process of this test binary with the
// worker environment of a supervised run whose known signatures are known (ASan options are
// read once, at process start).
func knownCrashChild(t *testing.T, known ...string) string {
	t.Helper()
	return knownCrashChildRun(t, "^TestKnownCrashChild$", known...)
}

func knownCrashChildRun(t *testing.T, run string, known ...string) string {
	t.Helper()
	if Variant() != "asan" {
		t.Skip("needs the asan variant")
	}
	file := filepath.Join(t.TempDir(), "known.txt")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(known, "\n")+"\n"), 0o644))
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v")
	cmd.Env = append(os.Environ(), "SEAM_VARIANT=asan", "SEAM_KC_CHILD=1")
	cmd.Env = append(cmd.Env, KnownCrashEnv(file, os.Environ())...)
	// A file, as a worker's log is: that is what an absorbed report is cut from.
	log, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
	require.NoError(t, err)
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Run()
	out, err := os.ReadFile(log.Name())
	require.NoError(t, err)
	return string(out)
}

// TestKnownCrashChild is the worker side, run by the tests below in a child process.
func TestKnownCrashChild(t *testing.T) {
	if os.Getenv("SEAM_KC_CHILD") == "" {
		t.Skip("run by TestKnownCrashIsAbsorbed")
	}
	require.NotNil(t, knownCrashes, "a worker with a known file and halt_on_error=0 absorbs")
	e := pricingEngines(t, []string{"mutant:cpp-comment-overread"}, "asan")[0]
	run := func(in []byte) error { return loadRules(e, in) }
	for _, in := range []string{"#", "1,0,0,0\n", "# again"} {
		err := guard([]byte(in), run)
		fmt.Printf("INPUT %q: %v\n", in, firstLine(err))
	}
	for sig, n := range knownCrashes.hits {
		fmt.Printf("HITS %d %s\n", n, sig)
	}
}

func firstLine(err error) string {
	if err == nil {
		return "ok"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// issue 16: a worker told that the comment over-read is known keeps going past it (the input is
// dropped, counted, and the next inputs run in the same process); told only of another bug, it
// fails the input with the over-read's report, as a halting worker would.
func TestKnownCrashIsAbsorbed(t *testing.T) {
	out := knownCrashChild(t, "heap-use-after-free | some_other_bug | x | y")
	require.Contains(t, out, `INPUT "#": native memory error`, "an unknown report fails the input\n%s", out)
	sig := strings.SplitN(strings.SplitN(out, `INPUT "#": native memory error (the worker continued past it): `, 2)[1], "\n", 2)[0]
	require.Contains(t, sig, "heap-buffer-overflow READ | parse_rules", out)
	assert.Contains(t, out, "ERROR: AddressSanitizer: heap-buffer-overflow", "an unknown report stays in the worker's output")

	out = knownCrashChild(t, sig)
	assert.Contains(t, out, `INPUT "#": ok`, out)
	assert.Contains(t, out, `INPUT "1,0,0,0\n": ok`, "the worker lives on after the known crash\n%s", out)
	assert.Contains(t, out, `INPUT "# again": ok`, out)
	assert.Contains(t, out, "HITS 2 "+sig, out)
	assert.NotContains(t, out, "ERROR: AddressSanitizer", "an absorbed report is cut from the worker's output")
}

func TestSplitReports(t *testing.T) {
	a := "=================================================================\n==1==ERROR: AddressSanitizer: heap-buffer-overflow\n"
	b := "=================================================================\n==1==ERROR: AddressSanitizer: heap-use-after-free\n"
	assert.Equal(t, []string{a, b}, splitReports(a+b))
	assert.Empty(t, splitReports(""))
}

func TestKnownCrashEnvKeepsOptions(t *testing.T) {
	env := KnownCrashEnv("/k", []string{"ASAN_OPTIONS=detect_leaks=0"})
	assert.Equal(t, []string{supervisor.EnvKnownFile + "=/k", "ASAN_OPTIONS=detect_leaks=0:" + KnownCrashOptions}, env)
}

// Two hits of one bug differ in addresses, pid and thread only: one key, one parse.
func TestReportKeyIgnoresAddresses(t *testing.T) {
	rep := func(pid, addr, thread string) string {
		return "=================================================================\n==" + pid + "==ERROR: AddressSanitizer: heap-buffer-overflow on address " + addr +
			" at pc 0x7f9a2ef4fc96 bp 0x7ffce7643010 sp 0x7ffce7643008\nREAD of size 1 at " + addr + " thread " + thread + "\n" +
			"    #0 0x7f9a2ef4fc95 in parse_rules native/pricing/cpp/pricing.cpp:170\n    #1 0x7f9a2ef4fc95 in pricing_rules_load native/pricing/cpp/pricing.cpp:289\n\n" +
			addr + " is located 0 bytes to the right of 1-byte region\n"
	}
	a, b := reportKey(rep("21898", "0x602000000051", "T0")), reportKey(rep("7", "0x602000001137", "T3"))
	assert.NotEmpty(t, a)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, reportKey(strings.Replace(rep("1", "0x1", "T0"), "READ of size 1", "WRITE of size 1", 1)), "the access is in the key")
	assert.NotEqual(t, a, reportKey(strings.Replace(rep("1", "0x1", "T0"), "parse_rules", "parse_line", 1)), "the frames are in the key")
	assert.Empty(t, reportKey("==1==ERROR: AddressSanitizer: SEGV\n    #0 0x1 in f x.c:1"), "a cut report is parsed whole")
}
