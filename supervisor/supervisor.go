// Package supervisor runs `go test -fuzz` for one fuzz function for a time budget and keeps it
// going: Go's fuzzer stops at the first failure, so the supervisor hands every crasher to the
// caller (who signs and stores it) and restarts the fuzzer for the rest of the budget. The
// fuzzer's own generated corpus (-test.fuzzcachedir) survives restarts.
//
// It knows nothing about what is fuzzed: it drives a test binary built with
// `go test -c -fuzz=.` (which carries Go's coverage instrumentation).
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/wal"
)

// Config describes one supervised fuzzing run.
type Config struct {
	TestBinary string        // built with go test -c -fuzz=.
	FuzzFunc   string        // e.g. FuzzContract
	Budget     time.Duration // total fuzzing time, across restarts
	WorkDir    string        // working directory: Go writes crashers to testdata/fuzz/<FuzzFunc>/ here
	CacheDir   string        // -test.fuzzcachedir: the generated corpus, kept across restarts
	LogDir     string        // where workers keep their output (see EnvLogDir)
	Env        []string      // extra environment
	Parallel   int           // -test.parallel (fuzz workers); 0 = GOMAXPROCS
	// Status is called with every status line (about every 3 s).
	Status func(Status)
	// Crasher is called for every failing input Go saved, with Go's failure text and the
	// output of the worker that failed (the sanitizer report Go itself discards).
	Crasher func(ctx context.Context, c Crasher) Stop
	// Restarts caps how many failures are handled (each costs a restart); 0 = 100.
	Restarts int
	// SkipEnv, when set, names the environment variable through which the test binary learns
	// the file of inputs already handed over (one Go-quoted string per line) so it skips them.
	SkipEnv string
	// Crasher may return Stop to end this run early (a target that keeps hitting known bugs).

	// Known, when set, gives the crash signatures known before each go test -fuzz run (the
	// corpus's and those found since); KnownEnv(file) is the environment that makes workers
	// read that file and keep fuzzing past those crashes (fuzz.KnownCrashEnv). Without them
	// every crash ends the run, as go test -fuzz does.
	Known    func() []string
	KnownEnv func(file string) []string
}

// Stop, returned through Config.Crasher's stop flag, ends the run before its budget.
type Stop bool

// EnvLogDir is the variable telling the test binary where workers keep their output; the
// binary's TestMain must honour it (fuzz.CaptureWorkerOutput does).
const EnvLogDir = "SEAM_FUZZ_LOGDIR"

// Status is one progress update.
type Status struct {
	Elapsed     time.Duration // since the supervised run started
	Execs       int64         // total across restarts
	ExecsPerSec float64       // current rate as Go reports it
	Interesting int           // new interesting inputs in this run
	CorpusTotal int           // total corpus size Go reports
	Restarts    int
	Baseline    bool // still running the seed corpus
}

// Crasher is one failing input.
type Crasher struct {
	Data      []byte
	GoFailure string // Go's "--- FAIL" block (a t.Fatal message for non-crash findings)
	WorkerLog []byte // output of the worker(s) since the last restart
	Hung      bool   // Go reported "hung or terminated unexpectedly" with no crash report
	Name      string // the file name Go chose ("" when recovered from a write-ahead slot)
	// InFlight are the inputs workers were running when the run failed (from their write-ahead
	// slots, see wal): the crasher is one of them when Go did not save it.
	InFlight [][]byte
}

// Result sums up a run.
type Result struct {
	Execs       int64
	Elapsed     time.Duration
	ExecsPerSec float64       // execs / wall time
	FuzzingTime time.Duration // time past the seed replays
	Crashers    int
	Restarts    int
	CorpusTotal int
	// KnownHits counts, per signature, the inputs workers kept fuzzing past (see Config.Known).
	KnownHits map[string]int64
	// CPUTime is the user+system time of the go test -fuzz processes (coordinator and workers)
	// over all runs: Execs / CPUTime is the fuzzer's own speed, whatever else loads the machine.
	CPUTime time.Duration
}

var (
	statusRe = regexp.MustCompile(`^fuzz: elapsed: (\d+)s, execs: (\d+) \((\d+)/sec\), new interesting: (\d+) \(total: (\d+)\)`)
	seedRe   = regexp.MustCompile(`^fuzz: elapsed: \d+s, (?:testing seed corpus|gathering baseline coverage)`)
	failRe   = regexp.MustCompile(`Failing input written to (testdata/fuzz/\S+)`)
)

// Run fuzzes until the budget is spent or ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Restarts == 0 {
		cfg.Restarts = 100
	}
	for _, d := range []string{cfg.WorkDir, cfg.CacheDir, cfg.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Result{}, err
		}
	}
	start := time.Now()
	res := Result{KnownHits: map[string]int64{}}
	var fuzzing time.Duration
	skipFile := filepath.Join(cfg.WorkDir, "skip.txt")
	os.Remove(skipFile)
	if cfg.SkipEnv != "" {
		cfg.Env = append(cfg.Env, cfg.SkipEnv+"="+skipFile)
	}
	for {
		remaining := cfg.Budget - time.Since(start)
		if remaining < time.Second || ctx.Err() != nil {
			break
		}
		one, err := runOnce(ctx, cfg, remaining, start, &res)
		fuzzing += one.fuzzing
		res.Execs += one.execs
		res.CPUTime += one.cpu
		if one.corpus > 0 {
			res.CorpusTotal = one.corpus
		}
		if err != nil {
			res.Elapsed = time.Since(start)
			return res, err
		}
		if one.crasher == nil {
			break // budget spent
		}
		res.Crashers++
		if cfg.SkipEnv != "" {
			appendSkip(skipFile, one.crasher)
		}
		if cfg.Crasher != nil && cfg.Crasher(ctx, *one.crasher) {
			break
		}
		if res.Restarts >= cfg.Restarts {
			break
		}
		res.Restarts++
	}
	res.Elapsed = time.Since(start)
	// Wall time, restarts and seed replays included: what the budget actually bought.
	if res.Elapsed > 0 {
		res.ExecsPerSec = float64(res.Execs) / res.Elapsed.Seconds()
	}
	res.FuzzingTime = fuzzing
	return res, nil
}

type onceResult struct {
	execs   int64
	corpus  int
	fuzzing time.Duration // time spent past the baseline
	cpu     time.Duration // of the process and the workers it waited for
	crasher *Crasher
}

func runOnce(ctx context.Context, cfg Config, budget time.Duration, start time.Time, total *Result) (onceResult, error) {
	var out onceResult
	clearLogs(cfg.LogDir)
	// Read at the end of every run, whatever ended it: the workers are gone by then.
	defer readHits(cfg.LogDir, total.KnownHits)
	env := append(append(os.Environ(), cfg.Env...), EnvLogDir+"="+cfg.LogDir)
	if cfg.Known != nil && cfg.KnownEnv != nil {
		if sigs := cfg.Known(); len(sigs) > 0 {
			file := filepath.Join(cfg.WorkDir, "known.txt")
			if err := writeKnown(file, sigs); err != nil {
				return out, fmt.Errorf("write the known signatures: %w", err)
			}
			env = append(env, cfg.KnownEnv(file)...)
		}
	}
	args := []string{"-test.run=^$", "-test.fuzz=^" + cfg.FuzzFunc + "$",
		"-test.fuzztime=" + budget.Round(time.Second).String(), "-test.fuzzcachedir=" + cfg.CacheDir,
		// Go minimizes a crasher by re-running it in a worker; when that worker dies too, the
		// input is lost. seam minimizes crashers itself (internal/minimize), so switch it off.
		"-test.fuzzminimizetime=0"}
	if cfg.Parallel > 0 {
		args = append(args, "-test.parallel="+strconv.Itoa(cfg.Parallel))
	}
	cmd := exec.Command(cfg.TestBinary, args...)
	cmd.Dir = cfg.WorkDir
	cmd.Env = env
	var (
		fuzzStart time.Time
		lastExecs int64
	)
	onLine := func(line string) {
		if m := statusRe.FindStringSubmatch(line); m != nil {
			if fuzzStart.IsZero() {
				fuzzStart = time.Now()
			}
			execs, _ := strconv.ParseInt(m[2], 10, 64)
			rate, _ := strconv.ParseFloat(m[3], 64)
			interesting, _ := strconv.Atoi(m[4])
			corpus, _ := strconv.Atoi(m[5])
			lastExecs, out.corpus = execs, corpus
			if cfg.Status != nil {
				cfg.Status(Status{Elapsed: time.Since(start), Execs: total.Execs + execs, ExecsPerSec: rate,
					Interesting: interesting, CorpusTotal: corpus, Restarts: total.Restarts})
			}
		} else if seedRe.MatchString(line) && cfg.Status != nil {
			cfg.Status(Status{Elapsed: time.Since(start), Execs: total.Execs, Baseline: true, Restarts: total.Restarts})
		}
	}
	ex, err := watchdog.Run(ctx, cmd, watchdog.Config{Lines: onLine, MaxOutput: 256 << 10})
	if err != nil {
		return out, err
	}
	waitErr := ex.Err
	out.execs = lastExecs
	if ps := cmd.ProcessState; ps != nil {
		// wait4's usage of a child includes the children it waited for: here, the workers.
		out.cpu = ps.UserTime() + ps.SystemTime()
	}
	if !fuzzStart.IsZero() {
		out.fuzzing = time.Since(fuzzStart)
	}
	text := string(ex.Output)
	if ctx.Err() != nil {
		return out, nil
	}
	inflight := readInFlight(cfg.LogDir)
	if m := failRe.FindStringSubmatch(text); m != nil {
		path := filepath.Join(cfg.WorkDir, filepath.FromSlash(m[1]))
		data, err := readGoFuzzFile(path)
		if err != nil {
			return out, fmt.Errorf("read the crasher Go saved (%s): %w", path, err)
		}
		// The crasher now belongs to the caller; leaving it would make Go replay it first on
		// every restart and stop at once.
		os.Remove(path)
		c := &Crasher{Data: data, GoFailure: failureBlock(text), WorkerLog: readLogs(cfg.LogDir), Name: filepath.Base(path), InFlight: inflight}
		c.Hung = strings.Contains(text, "hung or terminated unexpectedly")
		out.crasher = c
		return out, nil
	}
	if waitErr != nil && len(inflight) > 0 {
		// Go did not save the input, but a worker died inside a call: the write-ahead slot has it.
		out.crasher = &Crasher{Data: inflight[0], GoFailure: failureBlock(text), WorkerLog: readLogs(cfg.LogDir),
			Hung: strings.Contains(text, "hung or terminated unexpectedly"), InFlight: inflight}
		return out, nil
	}
	if waitErr == nil || strings.Contains(text, "context deadline exceeded") {
		// golang/go#75804: a time-based -fuzztime sometimes ends with "context deadline
		// exceeded" instead of PASS; the budget was spent all the same.
		return out, nil
	}
	return out, fmt.Errorf("%s -test.fuzz=%s failed without saving an input (a seed that crashes? a library that does not load?): %v\n%s",
		filepath.Base(cfg.TestBinary), cfg.FuzzFunc, waitErr, lastLines(text, 30)+"\n"+lastLines(string(readLogs(cfg.LogDir)), 30))
}

// failureBlock returns Go's "--- FAIL" section.
func failureBlock(text string) string {
	if i := strings.Index(text, "--- FAIL"); i >= 0 {
		return text[i:]
	}
	return lastLines(text, 20)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func appendSkip(path string, c *Crasher) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, strconv.Quote(string(c.Data)))
	for _, in := range c.InFlight {
		fmt.Fprintln(f, strconv.Quote(string(in)))
	}
}

func clearLogs(dir string) {
	for _, pat := range []string{"worker-*.log", "worker-*.wal", "worker-*.hits"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// readInFlight returns the inputs that workers had begun and not finished.
func readInFlight(dir string) [][]byte {
	matches, _ := filepath.Glob(filepath.Join(dir, "worker-*.wal"))
	var out [][]byte
	for _, m := range matches {
		recs, err := wal.Read(m)
		if err != nil {
			continue
		}
		for _, r := range recs {
			if r.InFlight {
				out = append(out, r.Data)
			}
		}
	}
	return out
}

// readLogs concatenates the worker logs, the most recently written last (the worker that died
// is usually the last to write).
func readLogs(dir string) []byte {
	matches, _ := filepath.Glob(filepath.Join(dir, "worker-*.log"))
	type f struct {
		path string
		mod  time.Time
	}
	var files []f
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.Size() > 0 {
			files = append(files, f{m, st.ModTime()})
		}
	}
	for i := range files {
		for j := i + 1; j < len(files); j++ {
			if files[j].mod.Before(files[i].mod) {
				files[i], files[j] = files[j], files[i]
			}
		}
	}
	var out []byte
	for _, x := range files {
		b, err := os.ReadFile(x.path)
		if err == nil {
			out = append(out, b...)
		}
	}
	return out
}

// readGoFuzzFile decodes a one-[]byte go test fuzz file.
func readGoFuzzFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeGoFuzz(b)
}

// DecodeGoFuzz decodes "go test fuzz v1\n[]byte(\"...\")\n".
func DecodeGoFuzz(b []byte) ([]byte, error) {
	s := string(b)
	head, body, ok := strings.Cut(s, "\n")
	if !ok || head != "go test fuzz v1" {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	body = strings.TrimSpace(body)
	for _, p := range []string{"[]byte(", "string("} {
		if strings.HasPrefix(body, p) && strings.HasSuffix(body, ")") {
			lit := body[len(p) : len(body)-1]
			v, err := strconv.Unquote(lit)
			if err != nil {
				return nil, fmt.Errorf("bad literal: %w", err)
			}
			return []byte(v), nil
		}
	}
	return nil, errors.New("the file does not hold a single []byte value")
}
