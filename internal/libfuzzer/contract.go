package libfuzzer

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/derive"
)

// The harness's names for what ships next to its binaries and beside the shipped contract
// (fuzz/libfuzzer's EngineDir, ContractDir and SnapshotDir).
const (
	EngineDir   = "seam-engines"
	ContractDir = "seam-contract"
	SnapshotDir = "seam-cc"
)

// Variant is the build variant the harness's engines come from.
const Variant = "fuzzer"

// ContractArgs are the libFuzzer flags a contract target runs best with. Its input is a
// program whose buffers carry their own lengths, and libFuzzer's length control keeps inputs
// short for a long while: measured on tally_feed with cpp-token-overflow (needs a 64-byte
// token), from an empty corpus, one run each: found in 4 s with -len_control=0, not in 120 s
// without. And one input's program may cost a hundred times another's (eight fills, a limit
// buffer): the entropic schedule weighs each corpus input by its execution time too, so the
// slow ones are mutated less often, not dropped (pricing_rules_load, engine cpp, 20 s, two
// runs each: 9.7k and 10.6k execs/s with it, 6.8k and 7.5k without, the same coverage).
var ContractArgs = []string{"-len_control=0", "-entropic_scale_per_exec_time=1"}

// Install is a distributed fuzzing service's build of one boundary: every target of the
// contract as a libFuzzer binary in Out, beside the files the binaries need where no checkout
// is (ClusterFuzzLite's $OUT).
type Install struct {
	Contract string // the contract file
	Out      string
	// Corpus is the regression corpus directory: <Corpus>/<boundary>.<target>/ becomes the
	// seed corpus of each binary (<binary>_seed_corpus.zip); "" ships none.
	Corpus  string
	Linker  []string // see Harness.Linker
	Targets []string // the targets to build; none is every target of the contract
	Log     io.Writer
}

// Run builds the binaries (named <boundary>_<target>, each with a <binary>.options file holding
// ContractArgs, which ClusterFuzzLite passes to libFuzzer), copies the contract's engines of the
// fuzzer variant into Out/seam-engines/ and the contract with its header into
// Out/seam-contract/<boundary>/, with a snapshot of this machine's C configuration for the
// header in its seam-cc/, and zips the seed corpora. It returns the binaries' paths.
func (in Install) Run(ctx context.Context, root string) ([]string, error) {
	contractPath, err := filepath.Abs(in.Contract)
	if err != nil {
		return nil, err
	}
	b, err := boundary.Load(contractPath)
	if err != nil {
		return nil, err
	}
	c := b.Contract
	targets, err := in.targets(b)
	if err != nil {
		return nil, err
	}
	if err := in.shipContract(c.Boundary, c.Path, c.Dir, c.Header); err != nil {
		return nil, err
	}
	engines := filepath.Join(in.Out, EngineDir)
	if err := os.MkdirAll(engines, 0o755); err != nil {
		return nil, err
	}
	for _, name := range c.EngineNames() {
		lib, err := c.Library(name, Variant)
		if err != nil {
			return nil, err
		}
		if err := copyFile(lib, filepath.Join(engines, filepath.Base(lib))); err != nil {
			return nil, err
		}
	}
	var bins []string
	for _, t := range targets {
		h := Harness{Target: t.Name, Contract: c.Path, Linker: in.Linker}
		name, err := h.name()
		if err != nil {
			return nil, err
		}
		h.Out = filepath.Join(in.Out, name)
		bin, built, err := Build(ctx, root, h)
		if err != nil {
			return nil, err
		}
		if built && in.Log != nil {
			fmt.Fprintf(in.Log, "built %s\n", bin)
		}
		if err := os.WriteFile(bin+".options", []byte(optionsFile(ContractArgs)), 0o644); err != nil {
			return nil, err
		}
		if in.Corpus != "" {
			// The corpus target's name is campaign.ContractTargetName's (campaign imports this package).
			if err := zipSeeds(filepath.Join(in.Corpus, c.Boundary+"."+t.Name), bin+"_seed_corpus.zip"); err != nil {
				return nil, err
			}
		}
		bins = append(bins, bin)
	}
	return bins, nil
}

// shipContract copies the contract and its header, at the same path relative to it, and
// snapshots what parsing the header takes from this machine: the binaries parse it when they
// start, on a runner that has neither the C compiler cheader runs nor the system headers.
func (in Install) shipContract(name, contractPath, dir, header string) error {
	rel, err := filepath.Rel(dir, header)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("header %s is outside the contract's directory %s: the shipped copy keeps the header beside the contract, so move it under %s", header, dir, dir)
	}
	dst := filepath.Join(in.Out, ContractDir, name)
	if err := copyFile(contractPath, filepath.Join(dst, filepath.Base(contractPath))); err != nil {
		return err
	}
	shipped := filepath.Join(dst, rel)
	if err := copyFile(header, shipped); err != nil {
		return err
	}
	return cheader.Snapshot(shipped, filepath.Join(dst, SnapshotDir))
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// zipSeeds zips the corpus entries of dir (not their JSON sidecars) into out; a missing dir is
// no seeds.
func zipSeeds(dir, out string) error {
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func (in Install) targets(b *boundary.Boundary) ([]derive.Target, error) {
	if len(in.Targets) == 0 {
		return derive.Plan(b)
	}
	var out []derive.Target
	for _, name := range in.Targets {
		t, err := derive.Lookup(b, name)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// optionsFile is the .options file that gives libFuzzer args ("-name=value").
func optionsFile(args []string) string {
	var b strings.Builder
	b.WriteString("[libfuzzer]\n")
	for _, a := range args {
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fmt.Fprintf(&b, "%s = %s\n", name, value)
	}
	return b.String()
}
