// Package ci checks seam's CI files: `seam ci init` (package ciconfig) writes them into
// .github/workflows/ and .clusterfuzzlite/, for seam's own repository as for a team's.
package ci

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/seamfuzz/seam/ciconfig"
	"github.com/seamfuzz/seam/internal/cli"
)

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// The files GitHub and ClusterFuzzLite read in this repository are what `seam ci init`
// writes for the pricing boundary today.
func TestCommittedFilesAreWhatSeamCIInitWrites(t *testing.T) {
	root := repoRoot(t)
	files, err := ciconfig.Generate(ciconfig.Options{Contract: filepath.Join(root, "native", "pricing", "contract.yaml"), Dir: root})
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f.Path))
		require.NoError(t, err, "%s is missing: run seam ci init -contract native/pricing/contract.yaml", f.Path)
		assert.Equal(t, string(f.Data), string(b), "%s differs from what seam generates: run seam ci init -contract native/pricing/contract.yaml -force", f.Path)
	}
}

// What `seam ci init` writes for every boundary in native/ is well-formed and runs only what
// exists: seam commands with flags that parse, make targets, scripts, paths.
func TestGeneratedFilesOfEveryBoundary(t *testing.T) {
	root := repoRoot(t)
	contracts, err := filepath.Glob(filepath.Join(root, "native", "*", "contract.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, contracts)
	for _, c := range contracts {
		t.Run(filepath.Base(filepath.Dir(c)), func(t *testing.T) {
			files, err := ciconfig.Generate(ciconfig.Options{Contract: c, Dir: root})
			require.NoError(t, err)
			dir := t.TempDir()
			_, err = ciconfig.Write(dir, files, false)
			require.NoError(t, err)
			check := checker{t: t, root: root, dir: dir, makeTargets: map[string]map[string]bool{}}
			check.nightly(ciconfig.NightlyWorkflow)
			check.clusterFuzzWorkflow(ciconfig.ClusterFuzzWorkflow)
			check.project(ciconfig.ClusterFuzzProject)
			check.dockerfile(ciconfig.ClusterFuzzDocker)
			check.buildScript(ciconfig.ClusterFuzzBuild)
		})
	}
}

type step struct {
	Name string         `yaml:"name"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

type workflow struct {
	Name string `yaml:"name"`
	On   struct {
		Schedule         []map[string]string `yaml:"schedule"`
		WorkflowDispatch *struct {
			Inputs map[string]struct {
				Default string `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Jobs map[string]struct {
		TimeoutMinutes int    `yaml:"timeout-minutes"`
		Steps          []step `yaml:"steps"`
	} `yaml:"jobs"`
}

// checker validates the files generated into dir; the paths they name are relative to root,
// the repository they are for.
type checker struct {
	t           require.TestingT
	root, dir   string
	makeTargets map[string]map[string]bool // Makefile path -> its targets
}

// recorder is a require.TestingT that keeps what a checker reports.
type recorder struct{ errors []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow() {}

// The checker reports each thing a script runs that does not exist, once, and nothing else.
func TestCheckerReportsWhatDoesNotExist(t *testing.T) {
	for script, want := range map[string]string{
		"make native && seam fuzz -budget 1s -target all": "",
		"(cd native/tally && make -C ../.. native)":       "",
		`"$WORK/seam" ci build-fuzzers -out "$OUT"`:       "",
		"make no-such-target":                             "does not define",
		"(cd native/tally && make native)":                "has no Makefile",
		"seam no-such-command -x":                         "not a seam command",
		"seam fuzz -no-such-flag":                         "has no flag -no-such-flag",
		"seam fuzz -budget 1q":                            "-budget 1q",
		"seam abi -contract no/such/contract.yaml":        "-contract",
		"scripts/no-such-script.sh -v":                    "no-such-script.sh",
		"cd no-such-dir":                                  "cd no-such-dir",
		"go install ./cmd/no-such-command":                "./cmd/no-such-command",
		"seam fuzz -budget ${{ inputs.budget || '1q' }}":  "-budget 1q",
		"seam fuzz -budget ${{ inputs.budget || '30m' }}": "",
	} {
		r := &recorder{}
		c := checker{t: r, root: repoRoot(t), makeTargets: map[string]map[string]bool{}}
		c.script("test", script)
		if want == "" {
			assert.Empty(t, r.errors, script)
			continue
		}
		if assert.Len(t, r.errors, 1, script) {
			assert.Contains(t, r.errors[0], want, script)
		}
	}
}

func (c *checker) read(path string) []byte {
	b, err := os.ReadFile(filepath.Join(c.dir, path))
	require.NoError(c.t, err)
	return b
}

func (c *checker) workflow(path string) workflow {
	var w workflow
	require.NoError(c.t, yaml.Unmarshal(c.read(path), &w), "%s must parse", path)
	require.NotEmpty(c.t, w.Jobs, "%s has no jobs", path)
	for name, job := range w.Jobs {
		assert.Positive(c.t, job.TimeoutMinutes, "%s: job %s needs a timeout", path, name)
		require.NotEmpty(c.t, job.Steps, "%s: job %s has no steps", path, name)
		for _, s := range job.Steps {
			assert.True(c.t, (s.Uses == "") != (s.Run == ""), "%s: step %q needs exactly one of uses and run", path, s.Name)
			c.script(path+": step "+s.Name, s.Run)
		}
	}
	return w
}

func (c *checker) nightly(path string) {
	w := c.workflow(path)
	require.Len(c.t, w.On.Schedule, 1)
	fields := strings.Fields(w.On.Schedule[0]["cron"])
	require.Len(c.t, fields, 5, "cron %q", w.On.Schedule[0]["cron"])
	assert.NotEqual(c.t, "0", fields[0], "run at an off-minute, not on the hour")
	require.NotNil(c.t, w.On.WorkflowDispatch, "manual dispatch")
	_, err := time.ParseDuration(w.On.WorkflowDispatch.Inputs["budget"].Default)
	assert.NoError(c.t, err, "the dispatch input budget defaults to a duration")

	var sawNightly, sawSummary, sawArtifacts, sawSarif, sawJUnit, sawCache bool
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			sawNightly = sawNightly || regexp.MustCompile(`\bseam nightly -contract \S+`).MatchString(s.Run)
			sawSummary = sawSummary || strings.Contains(s.Run, "GITHUB_STEP_SUMMARY") && strings.Contains(s.Run, "summary.md")
			sawArtifacts = sawArtifacts || strings.HasPrefix(s.Uses, "actions/upload-artifact")
			sawSarif = sawSarif || strings.Contains(s.Uses, "upload-sarif")
			sawJUnit = sawJUnit || strings.Contains(s.Uses, "junit")
			p, _ := s.With["path"].(string)
			sawCache = sawCache || strings.HasPrefix(s.Uses, "actions/cache") && strings.Contains(p, "fuzz")
		}
	}
	assert.True(c.t, sawNightly, "the job runs seam nightly -contract")
	assert.True(c.t, sawSummary, "summary.md goes into the job summary")
	assert.True(c.t, sawArtifacts, "reports are uploaded")
	assert.True(c.t, sawSarif, "SARIF goes to code scanning")
	assert.True(c.t, sawJUnit, "JUnit goes to the test report")
	assert.True(c.t, sawCache, "the Go fuzz cache is kept between runs")
}

func (c *checker) clusterFuzzWorkflow(path string) {
	w := c.workflow(path)
	var on struct {
		On map[string]any `yaml:"on"`
	}
	require.NoError(c.t, yaml.Unmarshal(c.read(path), &on))
	assert.Contains(c.t, on.On, "pull_request", "fuzzes pull requests")
	var uses []string
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			uses = append(uses, s.Uses)
		}
	}
	assert.Contains(c.t, uses, "google/clusterfuzzlite/actions/build_fuzzers@v1")
	assert.Contains(c.t, uses, "google/clusterfuzzlite/actions/run_fuzzers@v1")
}

func (c *checker) project(path string) {
	var p struct {
		Language   string   `yaml:"language"`
		Sanitizers []string `yaml:"sanitizers"`
	}
	require.NoError(c.t, yaml.Unmarshal(c.read(path), &p), "%s must parse", path)
	assert.Equal(c.t, "c++", p.Language)
	assert.Equal(c.t, []string{"address"}, p.Sanitizers, "the harness loads ASan engines")
}

// dockerfile: every COPY source is in the repository or among the generated files.
func (c *checker) dockerfile(path string) {
	b := c.read(path)
	assert.True(c.t, bytes.HasPrefix(bytes.TrimSpace(regexp.MustCompile(`(?m)^#.*\n`).ReplaceAll(b, nil)), []byte("FROM ")), "%s starts with FROM", path)
	for _, m := range regexp.MustCompile(`(?m)^COPY (\S+) `).FindAllSubmatch(b, -1) {
		src := string(m[1])
		_, inRepo := os.Stat(filepath.Join(c.root, src))
		_, generated := os.Stat(filepath.Join(c.dir, src))
		assert.True(c.t, inRepo == nil || generated == nil, "%s copies %s, which does not exist", path, src)
	}
}

func (c *checker) buildScript(path string) {
	full := filepath.Join(c.dir, path)
	st, err := os.Stat(full)
	require.NoError(c.t, err)
	assert.NotZero(c.t, st.Mode()&0o111, "%s is executable", path)
	out, err := exec.Command("bash", "-n", full).CombinedOutput()
	assert.NoError(c.t, err, "bash -n %s: %s", path, out)
	c.script(path, string(c.read(path)))
}

// script checks every simple command of a shell script: seam commands, make targets, the
// scripts and directories it names. Paths are relative to the repository root, or to the
// directory a `cd` moved to; a path through a shell variable is not checked.
func (c *checker) script(where, src string) {
	src = strings.ReplaceAll(src, "\\\n", " ")
	// ${{ inputs.x || 'default' }} is its default; any other expression an opaque word.
	src = regexp.MustCompile(`\$\{\{[^}]*\|\|\s*'([^']*)'\s*\}\}`).ReplaceAllString(src, "$1")
	src = regexp.MustCompile(`\$\{\{[^}]*\}\}`).ReplaceAllString(src, "$$GITHUB_EXPR")
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		cwd := c.root
		for _, cmd := range commands(line) {
			for len(cmd) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(cmd[0]) {
				cmd = cmd[1:]
			}
			if len(cmd) == 0 {
				continue
			}
			if cmd[0] == ")" {
				cwd = c.root
				continue
			}
			for _, w := range cmd {
				if m := regexp.MustCompile(`^(\./)?(scripts/\S+)$`).FindStringSubmatch(w); m != nil {
					assert.FileExists(c.t, filepath.Join(cwd, m[2]), "%s runs %s", where, w)
				}
			}
			switch {
			case cmd[0] == "cd" && len(cmd) == 2:
				if strings.Contains(cmd[1], "$") {
					cwd = ""
				} else if cwd != "" {
					cwd = filepath.Join(cwd, cmd[1])
					assert.DirExists(c.t, cwd, "%s: cd %s", where, cmd[1])
				}
			case filepath.Base(cmd[0]) == "seam":
				c.seam(where, cwd, cmd[1:])
			case cmd[0] == "make":
				c.make(where, cwd, cmd[1:])
			case cmd[0] == "go" && cwd != "":
				for _, w := range cmd[1:] {
					if strings.HasPrefix(w, "./") {
						assert.DirExists(c.t, filepath.Join(cwd, w), "%s: go %s", where, strings.Join(cmd[1:], " "))
					}
				}
			}
		}
	}
}

// commands splits a shell line into simple commands (at && || ; | and parentheses, a closing
// one kept as its own command), each a list of words with quotes removed.
func commands(line string) [][]string {
	var out [][]string
	var cur []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			cur = append(cur, word.String())
			word.Reset()
			inWord = false
		}
	}
	flushCmd := func() {
		flushWord()
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; {
		case ch == '\'' || ch == '"': // no escapes inside: the generated scripts have none
			j := strings.IndexByte(line[i+1:], ch)
			if j < 0 {
				j = len(line) - i - 1
			}
			word.WriteString(line[i+1 : i+1+j])
			inWord, i = true, i+1+j
		case ch == ' ' || ch == '\t':
			flushWord()
		case ch == '&' || ch == '|' || ch == ';' || ch == '(':
			flushCmd()
		case ch == ')':
			flushCmd()
			out = append(out, []string{")"})
		case ch == '>' || ch == '<':
			flushCmd() // a redirection's target is not an argument
			for i+1 < len(line) && line[i+1] != '&' && line[i+1] != '|' && line[i+1] != ';' {
				i++
			}
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	flushCmd()
	return out
}

// seam checks that a seam command line names a registered command whose flags parse: the
// flags its -h lists, each value of its flag's type; a -contract names a file.
func (c *checker) seam(where, cwd string, args []string) {
	var words []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		words, args = append(words, args[0]), args[1:]
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(append(append([]string(nil), words...), "-h"), &stdout, &stderr)
	usage := stdout.String() + stderr.String()
	if !assert.Equal(c.t, cli.ExitClean, code, "%s runs `seam %s`, which is not a seam command: %s", where, strings.Join(words, " "), usage) {
		return
	}
	types := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  -(\S+)(?: (\S+))?`).FindAllStringSubmatch(usage, -1) {
		types[m[1]] = m[2]
	}
	cmd := "seam " + strings.Join(words, " ")
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		typ, ok := types[name]
		if !assert.True(c.t, ok, "%s: `%s` has no flag -%s", where, cmd, name) {
			continue
		}
		if typ == "" { // a bool
			continue
		}
		if !hasValue {
			if !assert.NotEmpty(c.t, args, "%s: `%s -%s` needs a value", where, cmd, name) {
				return
			}
			value, args = args[0], args[1:]
		}
		if strings.Contains(value, "$") {
			continue
		}
		var err error
		switch typ {
		case "duration":
			_, err = time.ParseDuration(value)
		case "int":
			_, err = strconv.Atoi(value)
		case "float":
			_, err = strconv.ParseFloat(value, 64)
		}
		assert.NoError(c.t, err, "%s: `%s -%s %s`", where, cmd, name, value)
		if name == "contract" && cwd != "" {
			assert.FileExists(c.t, filepath.Join(cwd, value), "%s: `%s -contract`", where, cmd)
		}
	}
}

// make checks that `make [-C DIR] TARGET` names a target of that Makefile.
func (c *checker) make(where, cwd string, args []string) {
	if cwd == "" {
		return
	}
	dir := cwd
	var target string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-C" && i+1 < len(args):
			if strings.Contains(args[i+1], "$") {
				return
			}
			dir = filepath.Join(dir, args[i+1])
			i++
		case !strings.HasPrefix(args[i], "-") && !strings.Contains(args[i], "=") && target == "":
			target = args[i]
		}
	}
	mf := filepath.Join(dir, "Makefile")
	if c.makeTargets[mf] == nil {
		b, err := os.ReadFile(mf)
		if !assert.NoError(c.t, err, "%s runs make in %s, which has no Makefile", where, dir) {
			return
		}
		c.makeTargets[mf] = map[string]bool{}
		for _, m := range regexp.MustCompile(`(?m)^([a-zA-Z][\w-]*):`).FindAllStringSubmatch(string(b), -1) {
			c.makeTargets[mf][m[1]] = true
		}
	}
	assert.True(c.t, target == "" || c.makeTargets[mf][target], "%s runs `make %s`, which %s does not define", where, target, mf)
}
