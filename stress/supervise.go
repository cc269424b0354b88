package stress

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/seamfuzz/seam/internal/watchdog"
	"github.com/seamfuzz/seam/wal"
)

// EnvChild carries a child's LoopConfig (JSON); its presence makes the process a loop child.
const EnvChild = "SEAM_STRESS_CHILD"

// ServeIfChild runs the loops when this process is a stress child, then exits.
func ServeIfChild(workload func() (Workload, error)) {
	v := os.Getenv(EnvChild)
	if v == "" {
		return
	}
	os.Unsetenv(EnvChild)
	// One thread for the workload's setup, the loops' start and end hand-offs and its Close:
	// ThreadSanitizer orders threads, and a goroutine that moved between them in between would
	// leave the setup unordered with the workers (RunLoops).
	runtime.LockOSThread()
	var cfg LoopConfig
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "seam stress child:", err)
		os.Exit(2)
	}
	w, err := workload()
	if err != nil {
		fmt.Fprintln(os.Stderr, "seam stress child:", err)
		os.Exit(2)
	}
	if _, err := RunLoops(context.Background(), cfg, w); err != nil {
		fmt.Fprintln(os.Stderr, "seam stress child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// Sample is one RSS reading of the child.
type Sample struct {
	Seconds  float64
	Calls    int64
	RSSBytes int64
}

// Death is a child that died (crash) or stopped making progress (hang).
type Death struct {
	Output   []byte
	Hung     bool
	ExitCode int
	InFlight []wal.Record // the calls workers were inside
	At       time.Duration
}

// Config is a supervised stress run.
type Config struct {
	Command     []string // the child command; default: this executable
	Env         []string
	Loop        LoopConfig // Duration is the total for the run
	HangTimeout time.Duration
	OnHang      func(pid int) string // e.g. watchdog.GDBStack
	Status      func(elapsed time.Duration, s Stats, rss int64)
	OnDeath     func(d Death) // classify, replay culprits, store
	MaxRestarts int
	// MaxRSS stops the loops when the child's RSS passes it (0: DefaultMaxRSS): an engine
	// that leaks on every failed call grew by gigabytes in 30 s, on a machine others share. The
	// samples so far already show the slope (Result.StoppedRSS says why the run ended early).
	MaxRSS int64
}

// DefaultMaxRSS is Config.MaxRSS when unset.
const DefaultMaxRSS = 3 << 30

// Result sums up a supervised run.
type Result struct {
	Stats    Stats
	Samples  []Sample
	Deaths   int
	Elapsed  time.Duration
	Restarts int
	// StoppedRSS: the loops were stopped when the child's RSS passed Config.MaxRSS.
	StoppedRSS bool
}

// Supervise runs the loops in child processes for the whole duration, restarting after deaths.
func Supervise(ctx context.Context, cfg Config) (Result, error) {
	if cfg.HangTimeout == 0 {
		cfg.HangTimeout = 10 * time.Second
	}
	if cfg.MaxRestarts == 0 {
		cfg.MaxRestarts = 50
	}
	if cfg.MaxRSS == 0 {
		cfg.MaxRSS = DefaultMaxRSS
	}
	if len(cfg.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return Result{}, err
		}
		cfg.Command = []string{exe}
	}
	dir, err := os.MkdirTemp("", "seam-stress-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	res := Result{Stats: Stats{PerOp: map[string]int64{}, ByStatus: map[int32]int64{}}}
	for round := 0; ; round++ {
		remaining := cfg.Loop.Duration - time.Since(start)
		if remaining < 200*time.Millisecond || ctx.Err() != nil {
			break
		}
		if cfg.Loop.Calls > 0 && res.Stats.Calls >= cfg.Loop.Calls {
			break
		}
		lc := cfg.Loop
		lc.Duration = remaining
		if lc.Calls > 0 {
			lc.Calls -= res.Stats.Calls
		}
		lc.Seed = cfg.Loop.Seed + int64(round)*1000003
		lc.WALPath = filepath.Join(dir, fmt.Sprintf("wal-%d", round))
		lc.StatsPath = filepath.Join(dir, fmt.Sprintf("stats-%d.json", round))
		done, death, err := runChild(ctx, cfg, lc, start, &res)
		if err != nil {
			return res, err
		}
		if death != nil {
			res.Deaths++
			if cfg.OnDeath != nil {
				cfg.OnDeath(*death)
			}
			if res.Restarts >= cfg.MaxRestarts {
				break
			}
			res.Restarts++
			continue
		}
		if done || res.StoppedRSS {
			break
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func runChild(ctx context.Context, cfg Config, lc LoopConfig, start time.Time, res *Result) (bool, *Death, error) {
	b, _ := json.Marshal(lc)
	cmd := exec.Command(cfg.Command[0], cfg.Command[1:]...)
	cmd.Env = append(append(os.Environ(), cfg.Env...), EnvChild+"="+string(b))
	base := res.Stats
	var last Stats
	lastStatus := time.Time{}
	childCtx, stop := context.WithCancel(ctx)
	defer stop()
	// Each poll reads the child's stats (its call count is the progress) and samples its RSS.
	poll := func(pid int) {
		if s, err := readStats(lc.StatsPath); err == nil {
			last = s
		}
		rss := readRSS(pid)
		if rss > 0 {
			res.Samples = append(res.Samples, Sample{Seconds: time.Since(start).Seconds(), Calls: base.Calls + last.Calls, RSSBytes: rss})
		}
		if rss > cfg.MaxRSS && !res.StoppedRSS {
			res.StoppedRSS = true
			stop() // watchdog's one way to end a child; the run ends as if its time were up
		}
		if cfg.Status != nil && time.Since(lastStatus) >= 2*time.Second {
			lastStatus = time.Now()
			cfg.Status(time.Since(start), merge(base, last), rss)
		}
	}
	ex, err := watchdog.Run(childCtx, cmd, watchdog.Config{OnPoll: poll, Poll: 500 * time.Millisecond,
		Progress: func() int64 { return last.Calls }, HangAfter: cfg.HangTimeout, OnHang: cfg.OnHang})
	if err != nil {
		return false, nil, fmt.Errorf("start stress child: %w", err)
	}
	if ex.Canceled {
		if s, err := readStats(lc.StatsPath); err == nil && res.StoppedRSS {
			res.Stats = merge(base, s)
		}
		return true, nil, nil
	}
	if s, err := readStats(lc.StatsPath); err == nil {
		last = s
	}
	res.Stats = merge(base, last)
	if ex.Clean() {
		return last.Done, nil, nil
	}
	out := ex.Output
	if ex.Hung {
		out = append([]byte(watchdog.HangHeader(cfg.HangTimeout, "stress loops")+ex.HangNote), out...)
	}
	d := &Death{Output: out, Hung: ex.Hung, ExitCode: ex.Code, At: time.Since(start)}
	if recs, err := wal.Read(lc.WALPath); err == nil {
		for _, r := range recs {
			if r.InFlight {
				d.InFlight = append(d.InFlight, r)
			}
		}
	}
	return false, d, nil
}

func merge(a, b Stats) Stats {
	out := Stats{Calls: a.Calls + b.Calls, Inputs: a.Inputs + b.Inputs, PerOp: map[string]int64{}, ByStatus: map[int32]int64{}}
	for _, s := range []Stats{a, b} {
		for k, v := range s.PerOp {
			out.PerOp[k] += v
		}
		for k, v := range s.ByStatus {
			out.ByStatus[k] += v
		}
		out.Findings = append(out.Findings, s.Findings...)
	}
	return out
}

func readStats(path string) (Stats, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Stats{}, err
	}
	var s Stats
	return s, json.Unmarshal(b, &s)
}

// readRSS is the child's resident set size from /proc (0 when gone).
func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// LeakBatchCalls are the sizes of an operation's leak-check batches, in the order to run them,
// up to full calls: a short batch first, so a leak on every (failed) call is reported from a
// check that is still cheap, with its allocation stack; the full batch only when the short one
// is clean, for leaks that need many calls (one every thousand).
func LeakBatchCalls(full int) []int {
	if full <= 100 {
		return []int{full}
	}
	return []int{100, full}
}
