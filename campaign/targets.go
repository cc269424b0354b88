package campaign

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/fuzz"
	"github.com/seamfuzz/seam/internal/checkout"
	"github.com/seamfuzz/seam/trace"
)

// fuzzTarget is what the campaign needs to know of a target derived from a contract: FuzzContract
// runs it with the target in the environment.
type fuzzTarget struct {
	// Name is the corpus target: corpus/<Name>/ (for a contract target "<boundary>.<target>").
	Name string
	// FuzzFunc is the Go fuzz function the workers run.
	FuzzFunc string
	// Differential: after each engine alone, an input is confirmed on all engines together.
	Differential bool
	// Weight is the target's share of the budget relative to the others: a function without
	// parameters has few inputs to try.
	Weight int
	// Env selects the target in a worker (SEAM_CONTRACT, SEAM_TARGET).
	Env []string
	// dict is libFuzzer's -dict= for the target: the first dictionary of its function's
	// parameters ("" when none).
	dict string
	// kind and args make the isolated job that confirms and sweeps its inputs.
	kind string
	args map[string]string
}

// job is the isolated job that runs the target's inputs on specs.
func (t fuzzTarget) job(specs []string, variant string, cfg FuzzConfig) job {
	return job{target: t.Name, specs: specs, variant: variant, timeout: cfg.Timeout, kind: t.kind, args: t.args}
}

// ContractTargetName is the corpus target of a contract-derived target: "<boundary>.<target>".
func ContractTargetName(b *boundary.Boundary, target string) string {
	return b.Contract.Boundary + "." + target
}

// contractTargets maps a comma-separated list of a contract's target names ("all" or empty:
// every target derive.Plan makes) to fuzz targets.
func contractTargets(contractPath, list string) ([]fuzzTarget, error) {
	b, err := boundary.Load(contractPath)
	if err != nil {
		return nil, err
	}
	plan, err := derive.Plan(b)
	if err != nil {
		return nil, err
	}
	var names []string
	byName := map[string]derive.Target{}
	for _, t := range plan {
		names = append(names, t.Name)
		byName[t.Name] = t
	}
	want := names
	if list != "all" && list != "" {
		want = nil
		for _, n := range strings.Split(list, ",") {
			n = strings.TrimSpace(n)
			n = strings.TrimPrefix(n, b.Contract.Boundary+".")
			if _, ok := byName[n]; !ok {
				return nil, ConfigError{fmt.Sprintf("no target %q in %s (targets: %s)", n, b.Contract.Path, strings.Join(names, ", "))}
			}
			want = append(want, n)
		}
	}
	var out []fuzzTarget
	for _, n := range want {
		weight := 4
		if f := b.Contract.Function(byName[n].Func); f != nil && len(f.Params) == 0 {
			weight = 1
		}
		out = append(out, fuzzTarget{
			Name: ContractTargetName(b, n), dict: paramDict(b.Contract.Function(byName[n].Func)), FuzzFunc: "FuzzContract", Differential: len(b.Contract.Engines) > 1, Weight: weight,
			Env:  []string{fuzz.EnvContract + "=" + b.Contract.Path, fuzz.EnvTarget + "=" + n},
			kind: fuzz.ContractJobKind, args: map[string]string{"contract": b.Contract.Path, "target": n},
		})
	}
	return out, nil
}

// ContractTargetNames lists the targets derive.Plan makes of a contract.
func ContractTargetNames(contractPath string) ([]string, error) {
	ts, err := contractTargets(contractPath, "all")
	var out []string
	for _, t := range ts {
		out = append(out, t.args["target"])
	}
	return out, err
}

// paramDict is the first dictionary file among f's parameters and their fields.
func paramDict(f *contract.Function) string {
	if f == nil {
		return ""
	}
	for _, p := range f.Params {
		if p.Dict != "" {
			return p.Dict
		}
		for _, fp := range p.Fields {
			if fp.Dict != "" {
				return fp.Dict
			}
		}
	}
	return ""
}

// ContractOf is the contract file of a boundary in the checkout (native/<boundary>/contract.yaml),
// for corpus entries that name only their boundary.
func ContractOf(root, boundaryName string) (string, bool) {
	p := filepath.Join(root, "native", boundaryName, "contract.yaml")
	_, err := os.Stat(p)
	return p, err == nil
}

// CheckCorpusTarget accepts the corpus targets of the checkout's contracts: a derived target
// "<boundary>.<target>" or a boundary's call traces (trace.CorpusTarget).
func CheckCorpusTarget(corpusTarget string) error {
	root, err := checkout.Root()
	if err != nil {
		return err
	}
	name, target, _ := strings.Cut(corpusTarget, ".")
	path, ok := ContractOf(root, name)
	if !ok || target == "" {
		return ConfigError{fmt.Sprintf("%s is not a target of a contract in the checkout (<boundary>.<target>, native/<boundary>/contract.yaml)", corpusTarget)}
	}
	if b, isTrace := trace.BoundaryOf(corpusTarget); isTrace && b == name {
		return nil
	}
	_, err = contractTargets(path, target)
	return err
}

// contractEntryJob is the job that replays corpus entries of "<boundary>.<target>", a derived
// target of a boundary in the checkout, on specs (none: the contract's engines).
func contractEntryJob(corpusTarget string, specs []string, variant string, timeout time.Duration) (job, error) {
	root, err := checkout.Root()
	if err != nil {
		return job{}, err
	}
	if err := CheckCorpusTarget(corpusTarget); err != nil {
		return job{}, err
	}
	name, target, _ := strings.Cut(corpusTarget, ".")
	path, _ := ContractOf(root, name)
	ts, err := contractTargets(path, target)
	if err != nil {
		return job{}, err
	}
	return ts[0].job(specs, variant, FuzzConfig{Timeout: timeout}), nil
}
