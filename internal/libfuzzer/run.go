package libfuzzer

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/seamfuzz/seam/internal/finding"
	"github.com/seamfuzz/seam/internal/sanrt"
	"github.com/seamfuzz/seam/internal/watchdog"
)

// EnvArgs holds extra libFuzzer flags for every run (split on spaces).
const EnvArgs = "SEAM_LIBFUZZER_ARGS"

// Config is one target's libFuzzer run.
type Config struct {
	Binary  string        // from Build
	WorkDir string        // corpus/ (the work copy libFuzzer grows), artifacts/, libfuzzer.log
	Budget  time.Duration // -max_total_time
	Timeout time.Duration // per-input hang timeout (-timeout); 0 = 10s
	Dict    string        // -dict= (optional)
	// Seeds are written into the work corpus before the run (the target's built-in seeds and
	// its regression corpus entries), named by SHA-1 like libFuzzer's own files.
	Seeds [][]byte
	Env   []string // SEAM_ENGINES, SEAM_ROOT, ...
	Args  []string // extra libFuzzer flags
	// Violation signs the harness's "seam finding:" lines (fuzz.SignViolation), for QuickKey.
	Violation finding.Violation
	// Status is called every StatusEvery with the latest numbers.
	Status      func(Progress)
	StatusEvery time.Duration // 0 = 3s
	// Crash is called, one at a time, with the first artifact of every QuickKey; returning true
	// stops the run.
	Crash func(ctx context.Context, c *Crash) bool
}

// Progress is the state of a run for the status line.
type Progress struct {
	Elapsed     time.Duration
	Execs       int64
	ExecsPerSec float64 // Execs / Elapsed: the whole mode's throughput, restarts and merges included
	Corpus      int
	Cov         int
	Artifacts   int // crash artifacts libFuzzer wrote
	Distinct    int // of which with a QuickKey not seen before
}

// Result sums up a run.
type Result struct {
	Progress
	Log string // libFuzzer's output file
}

// Crash is one libFuzzer artifact.
type Crash struct {
	Path string
	Kind string // crash, leak, timeout, oom
	Data []byte
	Log  []byte // the harness's output when the artifact is run alone (the full report)
	Key  string // QuickKey
	// Reproduced: the artifact crashed the binary again when run alone. (One that does not is
	// typically LeakSanitizer's at-exit report charged to whatever input ran last.)
	Reproduced bool
	// FoundAfter is the time since the run started when the artifact appeared.
	FoundAfter time.Duration

	cfg *Config
}

func (c *Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 10 * time.Second
	}
	return c.Timeout
}

// env is the harness's environment: the caller's, cfg.Env, seam's sanitizer defaults where
// unset, and extra sanitizer options ("ASAN_OPTIONS=x=1") appended to whatever is set.
func (c *Config) env(extra ...string) []string {
	env := append(sanrt.CleanEnv(os.Environ()), c.Env...)
	for _, kv := range []string{
		"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1",
		// LeakSanitizer's tracer misreads Go's threads' dynamic TLS (see internal/sanrt).
		"ASAN_OPTIONS=intercept_tls_get_addr=0",
	} {
		if k, _, _ := strings.Cut(kv, "="); indexKey(env, k) < 0 {
			env = append(env, kv)
		}
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		if i := indexKey(env, k); i >= 0 {
			env[i] += ":" + v
		} else {
			env = append(env, kv)
		}
	}
	return env
}

func indexKey(env []string, k string) int {
	for i, kv := range env {
		if strings.HasPrefix(kv, k+"=") {
			return i
		}
	}
	return -1
}

// Run fuzzes with cfg.Binary for cfg.Budget, importing artifacts through cfg.Crash as they
// appear. It returns when the budget is spent, ctx is cancelled or Crash asked to stop.
func Run(ctx context.Context, cfg Config) (Result, error) {
	corpusDir := filepath.Join(cfg.WorkDir, "corpus")
	artDir := filepath.Join(cfg.WorkDir, "artifacts")
	logPath := filepath.Join(cfg.WorkDir, "libfuzzer.log")
	// Artifacts of an earlier run were imported then; start clean so each is handled once.
	os.RemoveAll(artDir)
	for _, d := range []string{corpusDir, artDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Result{}, err
		}
	}
	for _, s := range cfg.Seeds {
		sum := sha1.Sum(s)
		p := filepath.Join(corpusDir, hex.EncodeToString(sum[:]))
		if _, err := os.Stat(p); err != nil {
			if err := os.WriteFile(p, s, 0o644); err != nil {
				return Result{}, err
			}
		}
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return Result{}, err
	}
	defer logFile.Close()

	secs := max(1, int((cfg.Budget+time.Second/2)/time.Second))
	args := []string{"-fork=1", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
		fmt.Sprintf("-max_total_time=%d", secs), fmt.Sprintf("-timeout=%d", max(1, int(cfg.timeout()/time.Second))),
		"-artifact_prefix=" + artDir + string(filepath.Separator), "-print_final_stats=1"}
	if cfg.Dict != "" {
		args = append(args, "-dict="+cfg.Dict)
	}
	// SEAM_LIBFUZZER_ARGS adds libFuzzer flags, e.g. -use_value_profile=1 for compare-heavy code.
	args = append(append(append(args, cfg.Args...), strings.Fields(os.Getenv(EnvArgs))...), corpusDir)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.Command(cfg.Binary, args...)
	cmd.Dir = cfg.WorkDir
	cmd.Env = cfg.env()
	start := time.Now()
	// libFuzzer ends itself at -max_total_time; this is the backstop.
	deadline := time.AfterFunc(cfg.Budget+30*time.Second, stop)
	defer deadline.Stop()

	var mu sync.Mutex
	var last Status
	var prog Progress
	snapshot := func() Progress {
		mu.Lock()
		defer mu.Unlock()
		p := prog
		p.Elapsed = time.Since(start)
		p.Execs, p.Corpus, p.Cov = last.Execs, last.Corpus, last.Cov
		if s := p.Elapsed.Seconds(); s > 0 {
			p.ExecsPerSec = float64(p.Execs) / s
		}
		return p
	}
	onLine := func(line string) {
		logFile.WriteString(line + "\n")
		if s, ok := ParseStatus(line); ok {
			mu.Lock()
			if s.Execs >= last.Execs {
				last = s
			}
			mu.Unlock()
		}
	}
	// Budget over, cancelled or stopped: the whole process group (-fork jobs are children of
	// the libFuzzer parent), politely first (SIGINT: libFuzzer prints its final stats).
	var waitErr error
	exited := make(chan struct{})
	var startErr error
	go func() {
		defer close(exited)
		ex, err := watchdog.Run(runCtx, cmd, watchdog.Config{Lines: onLine, Stop: syscall.SIGINT, MaxOutput: 64 << 10})
		waitErr, startErr = ex.Err, err
	}()

	// Artifacts are handled one at a time, in the order they appear, by one goroutine, while
	// libFuzzer goes on and the status line keeps coming.
	seenFiles := map[string]bool{}
	seenKeys := map[string]bool{}
	stopped := false
	queue := make(chan artifact, 1<<16)
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		for a := range queue {
			if stopped || cfg.Crash == nil {
				continue
			}
			// Found when written, not when its turn came after the replays of those before it.
			c, err := cfg.load(ctx, a.path, max(0, a.mod.Sub(start)))
			if err != nil || seenKeys[c.Key] {
				continue
			}
			seenKeys[c.Key] = true
			mu.Lock()
			prog.Distinct++
			mu.Unlock()
			if cfg.Crash(ctx, c) {
				stopped = true
				stop()
			}
		}
	}()
	poll := func() {
		for _, a := range newArtifacts(artDir, seenFiles) {
			mu.Lock()
			prog.Artifacts++
			mu.Unlock()
			select {
			case queue <- a:
			default: // tens of thousands waiting: the same bug over and over
			}
		}
	}
	every := cfg.StatusEvery
	if every <= 0 {
		every = 3 * time.Second
	}
	statusTick := time.NewTicker(every)
	defer statusTick.Stop()
	pollTick := time.NewTicker(500 * time.Millisecond)
	defer pollTick.Stop()
loop:
	for {
		select {
		case <-exited:
			break loop
		case <-pollTick.C:
			poll()
		case <-statusTick.C:
			if cfg.Status != nil && time.Since(start) <= cfg.Budget { // not while libFuzzer wraps up
				cfg.Status(snapshot())
			}
		}
	}
	if startErr != nil {
		return Result{}, startErr
	}
	res := Result{Progress: snapshot(), Log: logPath}
	// What the last jobs wrote before the end was found within the budget: import it too.
	time.Sleep(150 * time.Millisecond)
	poll()
	close(queue)
	<-handled
	res.Artifacts, res.Distinct = prog.Artifacts, prog.Distinct
	if n := countFiles(corpusDir); n > res.Corpus {
		res.Corpus = n
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if waitErr != nil && !stopped && res.Execs == 0 {
		return res, fmt.Errorf("%s: %v: %s", filepath.Base(cfg.Binary), waitErr, tailOf(logPath, 3))
	}
	return res, nil
}

// artifact is a crash file libFuzzer wrote, and when.
type artifact struct {
	path string
	mod  time.Time
}

// newArtifacts lists artifact files not seen before, oldest first.
func newArtifacts(dir string, seen map[string]bool) []artifact {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []artifact
	for _, e := range ents {
		if seen[e.Name()] {
			continue
		}
		if _, ok := ArtifactKind(e.Name()); !ok {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < 100*time.Millisecond {
			continue // still being written
		}
		seen[e.Name()] = true
		out = append(out, artifact{filepath.Join(dir, e.Name()), info.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].mod.Before(out[j].mod) })
	return out
}

// load reads an artifact and replays it alone in the libFuzzer binary for its full report.
func (c *Config) load(ctx context.Context, path string, after time.Duration) (*Crash, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kind, _ := ArtifactKind(filepath.Base(path))
	out, err := c.exec(ctx, c.timeout()+10*time.Second, nil, fmt.Sprintf("-timeout=%d", max(1, int(c.timeout()/time.Second))), path)
	cr := &Crash{Path: path, Kind: kind, Data: data, Log: out, FoundAfter: after, Reproduced: err != nil, cfg: c}
	cr.Key = QuickKey(kind, out, c.Violation)
	return cr, nil
}

// exec runs the libFuzzer binary with args and returns its output; the error is non-nil when
// it did not exit 0.
func (c *Config) exec(ctx context.Context, limit time.Duration, env []string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.Command(c.Binary, args...)
	cmd.Dir = c.WorkDir
	cmd.Env = c.env(env...)
	ex, err := watchdog.Run(ctx, cmd, watchdog.Config{MaxOutput: 4 << 20})
	if err != nil {
		return nil, err
	}
	if ex.Err == nil && ex.Canceled {
		return ex.Output, ctx.Err()
	}
	return ex.Output, ex.Err
}

// Minimize shrinks the crash with libFuzzer's minimizer (-minimize_crash=1, at most runs
// executions), keeping the same crash (ASan's DEDUP_TOKEN of the top three frames). It returns
// the smallest input that still crashes, or the original data when nothing smaller does.
func (c *Crash) Minimize(ctx context.Context, runs int) ([]byte, error) {
	if c.Kind == "timeout" || c.Kind == "oom" {
		return c.Data, nil // each attempt would take the whole timeout
	}
	out := c.Path + ".min"
	defer os.Remove(out)
	limit := 60 * time.Second
	if _, err := c.cfg.exec(ctx, limit, []string{"ASAN_OPTIONS=dedup_token_length=3"},
		"-minimize_crash=1", fmt.Sprintf("-runs=%d", runs), fmt.Sprintf("-timeout=%d", max(1, int(c.cfg.timeout()/time.Second))),
		"-exact_artifact_path="+out, c.Path); err != nil && ctx.Err() != nil {
		return c.Data, ctx.Err()
	}
	b, err := os.ReadFile(out)
	if err != nil || len(b) >= len(c.Data) {
		return c.Data, nil
	}
	return b, nil
}

func countFiles(dir string) int {
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if !e.IsDir() {
			n++
		}
	}
	return n
}

func tailOf(path string, n int) string {
	b, _ := os.ReadFile(path)
	return strings.ReplaceAll(finding.Tail(string(b), n), "\n", " | ")
}
