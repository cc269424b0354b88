package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Both halves of the known-crash protocol (the worker half is fuzz/knowncrash.go): before each
// go test -fuzz run the supervisor writes the signatures known so far to a file the workers
// read (EnvKnownFile, with the environment Config.KnownEnv gives), and workers that keep
// fuzzing past a known crash count it in <LogDir>/worker-<pid>.hits, which the supervisor sums
// into Result.KnownHits.

// EnvKnownFile names the file of known crash signatures, one per line.
const EnvKnownFile = "SEAM_FUZZ_KNOWN"

// HitsFile is a worker's absorbed-crash counts: one "count<TAB>signature" line each.
func HitsFile(logDir string, pid int) string {
	return filepath.Join(logDir, fmt.Sprintf("worker-%d.hits", pid))
}

// WriteHits rewrites a HitsFile atomically (the supervisor may read it at any time).
func WriteHits(path string, hits map[string]int64) error {
	var b strings.Builder
	for s, n := range hits {
		fmt.Fprintf(&b, "%d\t%s\n", n, s)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readHits sums the hits files of dir into total.
func readHits(dir string, total map[string]int64) {
	matches, _ := filepath.Glob(filepath.Join(dir, "worker-*.hits"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			n, sig, ok := strings.Cut(l, "\t")
			if !ok {
				continue
			}
			if v, err := strconv.ParseInt(n, 10, 64); err == nil && sig != "" {
				total[sig] += v
			}
		}
	}
}

// writeKnown writes the signatures for EnvKnownFile, sorted, one per line.
func writeKnown(path string, signatures []string) error {
	sigs := append([]string(nil), signatures...)
	sort.Strings(sigs)
	var b strings.Builder
	for _, s := range sigs {
		if s = strings.TrimSpace(s); s != "" && !strings.Contains(s, "\n") {
			b.WriteString(s + "\n")
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
