package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/gen"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/stress"
)

// JobKind is the isolate job kind that replays stress inputs in a child (args: contract,
// engine, variant): one recorded call (a dead child's in-flight call), or a batch of calls of
// one operation, the unit of a leak check.
const JobKind = "stress"

// CorpusTarget is the corpus target of a boundary's stress inputs, "<boundary>.stress".
func CorpusTarget(boundaryName string) string { return boundaryName + targetSuffix }

// BoundaryOf is the boundary of a stress corpus target (CorpusTarget's inverse).
func BoundaryOf(target string) (string, bool) {
	b, ok := strings.CutSuffix(target, targetSuffix)
	return b, ok && b != ""
}

const targetSuffix = ".stress"

// MaxBatchCalls bounds one batch: enough for "fails after N calls" bugs and a leak once every
// thousand calls, a second or two under ASan.
const MaxBatchCalls = 10000

// An input names its operation, so a corpus entry survives operations added to the contract:
//
//	call OPERATION\x00<generator bytes>
//	batch OPERATION COUNT SEED
const (
	callPrefix  = "call "
	batchPrefix = "batch "
)

// EncodeCall is the input of one call of op drawn from the generator bytes data.
func EncodeCall(op string, data []byte) []byte {
	return append([]byte(callPrefix+op+"\x00"), data...)
}

// EncodeBatch is the input of count calls of op, drawn from a generator seeded with seed.
func EncodeBatch(op string, count int, seed uint32) []byte {
	return []byte(fmt.Sprintf("%s%s %d %d", batchPrefix, op, count, seed))
}

// Open loads the contract, opens one engine of it in a variant and makes its workload. The
// boundary and engine are opened once per process (a replay child runs many inputs).
func Open(contractPath, spec, variant string, opts Options) (*Workload, error) {
	key := contractPath + "\x00" + spec + "\x00" + variant
	openMu.Lock()
	e, ok := opened[key]
	openMu.Unlock()
	if !ok {
		b, err := boundary.Load(contractPath)
		if err != nil {
			return nil, err
		}
		es, err := derive.Open(b, []string{spec}, variant)
		if err != nil {
			return nil, err
		}
		e = es[0]
		openMu.Lock()
		opened[key] = e
		openMu.Unlock()
	}
	return New(e.B, e, opts)
}

var (
	openMu sync.Mutex
	opened = map[string]*boundary.Engine{}
)

// Replay runs one input (EncodeCall or EncodeBatch) alone on a fresh workload of one worker:
// its error is the finding.
func Replay(contractPath, spec, variant string, input []byte) error {
	runtime.LockOSThread() // the last error is per thread; the workload's calls stay on one
	defer runtime.UnlockOSThread()
	w, err := Open(contractPath, spec, variant, Options{Workers: 1})
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Replay(input)
}

// Replay runs one input on w, whose handles it shares with nothing else.
func (w *Workload) Replay(input []byte) error {
	ops := w.Ops()
	find := func(name string) (int, error) {
		for i, o := range ops {
			if o.Name == name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("no stress operation %q in %s (operations: %s)", name, w.b.Contract.Path, strings.Join(Names(w.specs), ", "))
	}
	switch {
	case bytes.HasPrefix(input, []byte(callPrefix)):
		name, data, ok := bytes.Cut(input[len(callPrefix):], []byte{0})
		if !ok {
			return fmt.Errorf("stress input: no NUL after the operation name")
		}
		i, err := find(string(name))
		if err != nil {
			return err
		}
		_, err = ops[i].Run(0, gen.New(data))
		return err
	case bytes.HasPrefix(input, []byte(batchPrefix)):
		f := strings.Fields(string(input[len(batchPrefix):]))
		if len(f) != 3 {
			return fmt.Errorf("stress input: want %q", "batch OPERATION COUNT SEED")
		}
		i, err := find(f[0])
		if err != nil {
			return err
		}
		count, err1 := strconv.Atoi(f[1])
		seed, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil || count < 0 {
			return fmt.Errorf("stress input: %q: COUNT and SEED are whole numbers", input)
		}
		return w.batch(i, min(count, MaxBatchCalls), uint64(seed))
	}
	return fmt.Errorf("stress input: starts with neither %q nor %q", callPrefix, batchPrefix)
}

// batch makes count calls of operation i with inputs from a seeded xorshift.
func (w *Workload) batch(i, count int, seed uint64) error {
	op := w.Ops()[i]
	buf := make([]byte, 64)
	x := seed*2862933555777941757 + 3037000493
	for k := 0; k < count; k++ {
		for j := range buf {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			buf[j] = byte(x)
		}
		if _, err := op.Run(0, gen.New(buf)); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	isolate.Register(JobKind, func(args map[string]string) (isolate.Handler, error) {
		return func(input []byte) error {
			return Replay(args["contract"], args["engine"], args["variant"], input)
		}, nil
	})
}

// The environment of a stress child (stress.ServeIfChild): which contract, engine, workers
// and weights its workload has.
const (
	EnvContract = "SEAM_STRESS_CONTRACT"
	EnvEngine   = "SEAM_STRESS_ENGINE"
	EnvWorkers  = "SEAM_STRESS_WORKERS"
	EnvWeights  = "SEAM_STRESS_WEIGHTS"
)

// FromEnv makes the workload a stress child's environment names, in a build variant.
func FromEnv(variant string) (stress.Workload, error) {
	weights, err := ParseWeights(os.Getenv(EnvWeights))
	if err != nil {
		return nil, err
	}
	workers, _ := strconv.Atoi(os.Getenv(EnvWorkers))
	return Open(os.Getenv(EnvContract), os.Getenv(EnvEngine), variant, Options{Workers: max(workers, 1), Weights: weights})
}
