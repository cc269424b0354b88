// Package fuzz is the go test -fuzz side of seam: FuzzContract runs any target derived from a
// contract (package derive; SEAM_CONTRACT and SEAM_TARGET name it, SEAM_ENGINES defaults to the
// contract's engines, SEAM_VARIANT to asan), with the worker machinery around it (known
// crashes, the coverage bridge, comparison solving) and the regression corpus replay.
//
// The registry below holds the pricing stress targets (stressop, stressbatch) until they move
// to package loadgen; it takes no new targets.
package fuzz

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/internal/isolate"
)

// Target is one fuzz target. Name is its corpus directory (corpus/<Name>/) and FuzzFunc the Go
// fuzz function that drives it.
type Target struct {
	Name     string
	FuzzFunc string
	// Pair means the target compares two engines (the first two of SEAM_ENGINES).
	Pair bool
	// one runs an input against one engine; pair against two. A returned error is a finding.
	one  func(e *engine.Engine, data []byte) error
	pair func(a, b *engine.Engine, data []byte) error
	// Seeds are built-in starting inputs (the corpus adds the rest).
	Seeds [][]byte
}

// Run runs data through the target on engines.
func (t Target) Run(engines []*engine.Engine, data []byte) error {
	if t.Pair {
		if len(engines) < 2 {
			return nil // nothing to compare; seam fuzz says so before it starts
		}
		return t.pair(engines[0], engines[1], data)
	}
	if t.pair != nil && len(engines) >= 2 {
		// Targets with both forms check each engine alone first, then compare the first two.
		for _, e := range engines {
			if err := t.one(e, data); err != nil {
				return fmt.Errorf("engine=%s: %w", e.Name(), err)
			}
		}
		return t.pair(engines[0], engines[1], data)
	}
	for _, e := range engines {
		if err := t.one(e, data); err != nil {
			return fmt.Errorf("engine=%s: %w", e.Name(), err)
		}
	}
	return nil
}

var (
	targetsMu sync.Mutex
	targets   = map[string]Target{}
)

func register(t Target) Target {
	targetsMu.Lock()
	defer targetsMu.Unlock()
	targets[t.Name] = t
	return t
}

// Targets lists every target, sorted by name.
func Targets() []Target {
	targetsMu.Lock()
	defer targetsMu.Unlock()
	out := make([]Target, 0, len(targets))
	for _, t := range targets {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a target by corpus name or Go fuzz function name.
func Lookup(name string) (Target, bool) {
	for _, t := range Targets() {
		if t.Name == name || t.FuzzFunc == name {
			return t, true
		}
	}
	return Target{}, false
}

// Names lists the target names.
func Names() []string {
	var out []string
	for _, t := range Targets() {
		out = append(out, t.Name)
	}
	return out
}

// EngineSpecs reads SEAM_ENGINES.
func EngineSpecs() []string {
	v := os.Getenv("SEAM_ENGINES")
	if v == "" {
		v = "cpp,rust"
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Variant reads SEAM_VARIANT.
func Variant() string {
	if v := os.Getenv("SEAM_VARIANT"); v != "" {
		return v
	}
	return "asan"
}

var (
	envOnce    sync.Once
	envEngines []*engine.Engine
	envErr     error
)

// Engines opens SEAM_ENGINES in SEAM_VARIANT once per process. The process must already run
// the variant's sanitizer runtime (TestMain / seam's main take care of it).
func Engines() ([]*engine.Engine, error) {
	envOnce.Do(func() {
		envEngines, envErr = OpenEngines(EngineSpecs(), Variant())
	})
	return envEngines, envErr
}

// OpenEngines resolves and opens engine specs in a variant.
func OpenEngines(specs []string, variant string) ([]*engine.Engine, error) {
	var out []*engine.Engine
	for _, s := range specs {
		p, err := engine.Resolve(s, variant)
		if err != nil {
			return nil, err
		}
		e, err := engine.Open(p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// JobKind is the isolate job kind that runs target inputs in a child process.
const JobKind = "fuzz-target"

func init() {
	isolate.Register(JobKind, func(args map[string]string) (isolate.Handler, error) {
		t, ok := Lookup(args["target"])
		if !ok {
			return nil, fmt.Errorf("unknown target %q (targets: %s)", args["target"], strings.Join(Names(), ", "))
		}
		specs := EngineSpecs()
		if s := args["engines"]; s != "" {
			specs = strings.Split(s, ",")
		}
		variant := Variant()
		if v := args["variant"]; v != "" {
			variant = v
		}
		engines, err := OpenEngines(specs, variant)
		if err != nil {
			return nil, err
		}
		return func(data []byte) error { return t.Run(engines, data) }, nil
	})
}
