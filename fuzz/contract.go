package fuzz

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/derive"
	"github.com/seamfuzz/seam/internal/isolate"
)

// The environment of FuzzContract, the one Go fuzz function behind every target derived from a
// contract: the supervisor runs it like any other FuzzFunc, with the target in the environment.
// SEAM_ENGINES (default: the contract's engines, the reference first) and SEAM_VARIANT apply.
const (
	EnvContract = "SEAM_CONTRACT" // the contract file
	EnvTarget   = "SEAM_TARGET"   // a target of derive.Plan: a function, or lifecycle_<type>
)

// ContractJobKind is the isolate job kind that runs inputs of a contract target in a child
// (args: contract, target, and optionally engines and variant).
const ContractJobKind = "contract-target"

var (
	contractOnce    sync.Once
	contractTarget  derive.Target
	contractEngines []*boundary.Engine
	contractErr     error
)

// ContractTarget opens the target and engines the environment names, once per process.
func ContractTarget() (derive.Target, []*boundary.Engine, error) {
	contractOnce.Do(func() {
		contractTarget, contractEngines, contractErr = OpenContractTarget(os.Getenv(EnvContract), os.Getenv(EnvTarget), EngineSpecs(), Variant())
	})
	return contractTarget, contractEngines, contractErr
}

// ContractCorpusTarget is the corpus target of the environment's contract target:
// "<boundary>.<target>" (campaign.ContractTargetName).
func ContractCorpusTarget() (string, error) {
	b, err := boundary.Load(os.Getenv(EnvContract))
	if err != nil {
		return "", err
	}
	return b.Contract.Boundary + "." + os.Getenv(EnvTarget), nil
}

// OpenContractTarget loads a contract, finds its target and opens its engines (none given:
// the contract's).
func OpenContractTarget(contractPath, target string, specs []string, variant string) (derive.Target, []*boundary.Engine, error) {
	if contractPath == "" || target == "" {
		return derive.Target{}, nil, fmt.Errorf("set %s to a contract file and %s to one of its targets", EnvContract, EnvTarget)
	}
	b, err := boundary.Load(contractPath)
	if err != nil {
		return derive.Target{}, nil, err
	}
	t, err := derive.Lookup(b, target)
	if err != nil {
		return derive.Target{}, nil, err
	}
	es, err := derive.Open(b, specs, variant)
	return t, es, err
}

func init() {
	isolate.Register(ContractJobKind, func(args map[string]string) (isolate.Handler, error) {
		var specs []string
		if s := args["engines"]; s != "" {
			specs = strings.Split(s, ",")
		}
		variant := Variant()
		if v := args["variant"]; v != "" {
			variant = v
		}
		t, es, err := OpenContractTarget(args["contract"], args["target"], specs, variant)
		if err != nil {
			return nil, err
		}
		return func(data []byte) error { return t.Run(es, data) }, nil
	})
}
