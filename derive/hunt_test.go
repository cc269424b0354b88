package derive_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/lsan"
)

// huntKind is the isolate job that fuzzes one contract target from nothing in a child: random
// inputs (the decoder reads them as go-fuzz-headers draws) until one is a finding or the budget
// ends. Each input is written ahead to a file first, so the one that killed the child is known;
// a LeakSanitizer check runs every leakEvery, as the supervisor's leak sweep would.
const huntKind = "derive-hunt"

const leakEvery = 500 * time.Millisecond

func init() {
	isolate.Register(huntKind, func(args map[string]string) (isolate.Handler, error) {
		tg, es, err := fuzz.OpenContractTarget(args["contract"], args["target"], strings.Split(args["engines"], ","), args["variant"])
		if err != nil {
			return nil, err
		}
		budget, err := time.ParseDuration(args["budget"])
		if err != nil {
			return nil, err
		}
		seed, _ := strconv.ParseInt(args["seed"], 10, 64)
		return func([]byte) error { return hunt(tg, es, args["last"], budget, seed) }, nil
	})
}

func hunt(tg derive.Target, es []*boundary.Engine, last string, budget time.Duration, seed int64) error {
	rng := rand.New(rand.NewSource(seed))
	lsan.Check() // what opening the engines left is not a finding
	start := time.Now()
	nextLeak := start.Add(leakEvery)
	for n := 1; time.Since(start) < budget; n++ {
		data := make([]byte, rng.Intn(400))
		rng.Read(data)
		if err := os.WriteFile(last, data, 0o644); err != nil {
			return err
		}
		if err := tg.Run(es, data); err != nil {
			return fmt.Errorf("input %d after %v: %w", n, time.Since(start).Round(time.Millisecond), err)
		}
		if time.Now().After(nextLeak) {
			if lsan.Check() {
				return fmt.Errorf("LeakSanitizer: leak within the inputs before %d, after %v", n, time.Since(start).Round(time.Millisecond))
			}
			nextLeak = time.Now().Add(leakEvery)
		}
	}
	return nil
}

// huntResult is what a hunt found: the outcome, the child's message or output, the input that
// caused it and how long it took.
type huntResult struct {
	outcome isolate.Outcome
	text    string
	input   []byte
	after   time.Duration
}

func runHunt(contractPath, target string, engines []string, budget time.Duration, seed int64, dir string) (huntResult, error) {
	abs, err := filepath.Abs(contractPath)
	if err != nil {
		return huntResult{}, err
	}
	in, last := filepath.Join(dir, "go"), filepath.Join(dir, "last")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		return huntResult{}, err
	}
	job := isolate.Job{Kind: huntKind, Inputs: []string{in}, Args: map[string]string{"contract": abs, "target": target,
		"engines": strings.Join(engines, ","), "variant": variant(), "budget": budget.String(), "seed": strconv.FormatInt(seed, 10), "last": last}}
	start := time.Now()
	// The timeout is the hunt's budget and room to symbolize a crash report on a busy machine.
	res, err := isolate.Run(context.Background(), job, isolate.Options{Timeout: budget + 60*time.Second})
	if err != nil {
		return huntResult{}, err
	}
	r := huntResult{outcome: res[0].Outcome, text: res[0].Message + string(res[0].Output), after: time.Since(start)}
	r.input, _ = os.ReadFile(last)
	return r, nil
}
