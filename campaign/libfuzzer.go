package campaign

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/libfuzzer"
	"github.com/seamfuzz/seam/supervisor"
)

// buildLibFuzzer gets libFuzzer mode ready: clang-19 (installed by scripts/install-clang.sh
// when missing), the fuzzer variant of the engines and mutants, and one binary per target.
func (r *fuzzRun) buildLibFuzzer(ctx context.Context) (map[string]string, error) {
	cfg := r.cfg
	if err := libfuzzer.EnsureClang(ctx, r.root, cfg.Out); err != nil {
		return nil, err
	}
	if libfuzzer.NeedsRust(cfg.Specs) && !libfuzzer.HaveNightly() {
		return nil, libfuzzer.ErrNoNightly
	}
	if err := libfuzzer.BuildNative(ctx, r.root, cfg.Specs, cfg.Out); err != nil {
		return nil, err
	}
	bins := map[string]string{}
	for _, t := range r.targets {
		contractPath, err := filepath.Abs(t.args["contract"])
		if err != nil {
			return nil, err
		}
		bin, built, err := libfuzzer.Build(ctx, r.root, libfuzzer.Harness{Target: t.args["target"], Contract: contractPath})
		if err != nil {
			return nil, err
		}
		if built {
			fmt.Fprintf(cfg.Out, "[%s] built libFuzzer binary %s\n", t.Name, bin)
		}
		bins[t.Name] = bin
	}
	return bins, nil
}

// fuzzLibFuzzer runs the target in libFuzzer mode. Each distinct crash artifact goes through
// confirm and record like a go test -fuzz crasher; one with a new signature is first shrunk by
// libFuzzer's minimizer (kept when the smaller input has the same signature).
func (tr *targetRun) fuzzLibFuzzer(ctx context.Context) (supervisor.Result, error) {
	cfg, t := tr.cfg, tr.t
	var seeds [][]byte
	entries, _ := tr.store.List(t.Name)
	for _, e := range entries {
		if _, data, err := tr.store.Get(t.Name, e.ID); err == nil {
			seeds = append(seeds, data)
		}
	}
	tr.libFuzzerStart = time.Now()
	res, err := libfuzzer.Run(ctx, libfuzzer.Config{
		Binary: tr.lfBins[t.Name], WorkDir: filepath.Join(cfg.StateDir, "libfuzzer", t.Name), Budget: tr.share, Timeout: cfg.Timeout,
		Dict: t.dict, Seeds: seeds, Args: libfuzzer.ContractArgs,
		Env:       append([]string{"SEAM_ENGINES=" + strings.Join(cfg.Specs, ","), "SEAM_ROOT=" + tr.root}, t.Env...),
		Violation: fuzz.SignViolation,
		Status: func(p libfuzzer.Progress) {
			tr.status(p.Elapsed, p.ExecsPerSec, p.Execs, p.Corpus)
		},
		Crash: tr.libFuzzerCrash,
	})
	return supervisor.Result{Execs: res.Execs, Elapsed: res.Elapsed, ExecsPerSec: res.ExecsPerSec, CorpusTotal: res.Corpus, Crashers: res.Artifacts}, err
}

// libFuzzerCrash confirms one crash artifact of libFuzzer's and records it.
func (tr *targetRun) libFuzzerCrash(ctx context.Context, c *libfuzzer.Crash) bool {
	confirm := func(data []byte) Finding {
		msg, _ := libfuzzer.FindingMessage(c.Log)
		return tr.confirm(ctx, supervisor.Crasher{Data: data, GoFailure: msg, WorkerLog: c.Log, Hung: c.Kind == "timeout"})
	}
	f := confirm(c.Data)
	if !c.Reproduced && f.Note != "" {
		// No report anywhere: libFuzzer's job log, the only one, is gone.
		fmt.Fprintf(tr.cfg.Out, "[%s] %s did not reproduce alone, in libFuzzer or in isolation: not saved\n", tr.t.Name, filepath.Base(c.Path))
		return false
	}
	if !tr.isKnown(f.Signature) && f.Note == "" {
		if small, err := c.Minimize(ctx, 20000); err == nil && len(small) < len(f.Input) {
			if g := confirm(small); g.Signature == f.Signature && g.Note == "" {
				f = g
			}
		}
	}
	// When libFuzzer wrote the artifact, not after seam's replays and minimising.
	return bool(tr.record(f, tr.libFuzzerStart.Sub(tr.start)+c.FoundAfter))
}
