// Package ciconfig writes the CI files of a boundary into the repository that holds its
// contract: the nightly GitHub Actions workflow (seam nightly -contract), and the
// ClusterFuzzLite project whose build links the contract's targets as libFuzzer binaries, with
// the pull-request workflow that runs them. GitHub and ClusterFuzzLite look for them in
// .github/workflows/ and .clusterfuzzlite/; every path in them is relative to the repository
// root, where both run.
package ciconfig

import (
	"bytes"
	"embed"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"text/template"

	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/atomicfile"
)

// SeamModule is seam's module path: what a team's CI clones (seam runs beside its fuzz worker,
// a go test binary that `make seam` builds, so the checkout rather than go install).
const SeamModule = "github.com/seamfuzz/seam"

// The files Generate writes, relative to the repository root.
const (
	NightlyWorkflow     = ".github/workflows/seam-nightly.yml"
	ClusterFuzzWorkflow = ".github/workflows/cflite_pr.yml"
	ClusterFuzzProject  = ".clusterfuzzlite/project.yaml"
	ClusterFuzzDocker   = ".clusterfuzzlite/Dockerfile"
	ClusterFuzzBuild    = ".clusterfuzzlite/build.sh"
)

// templates maps each file to its template; delimiters are {% %} because GitHub's ${{ }} and
// bash's [[ ]] both appear in the files.
var templates = []struct{ path, tmpl string }{
	{NightlyWorkflow, "seam-nightly.yml.tmpl"},
	{ClusterFuzzWorkflow, "cflite_pr.yml.tmpl"},
	{ClusterFuzzProject, "project.yaml.tmpl"},
	{ClusterFuzzDocker, "Dockerfile.tmpl"},
	{ClusterFuzzBuild, "build.sh.tmpl"},
}

//go:embed templates/*.tmpl
var templateFS embed.FS

// Options says which boundary and where its repository is.
type Options struct {
	Contract string // the contract file
	Dir      string // the repository root; "" is the git top level of the contract's directory
}

// File is one generated file.
type File struct {
	Path string // relative to the repository root, slash-separated
	Data []byte
	Mode os.FileMode
}

// project is what the templates are filled with.
type project struct {
	Boundary    string
	Contract    string // repository-relative
	ContractDir string // repository-relative
	Build       string // the contract's build command, run in ContractDir
	// SelfHosted: the repository is seam's own, so seam comes from the checkout rather than
	// from its module.
	SelfHosted bool
	SeamModule string
	SeamRef    string // the branch or tag of seam a team's CI clones
	Project    string // the checkout's directory name under ClusterFuzzLite's $SRC
	MainRepo   string // project.yaml's main_repo ("" when not known)
	Cron       string
}

// Root is the repository root Options.Dir names, or the git top level of the contract.
func (o Options) Root() (string, error) {
	if o.Dir != "" {
		return filepath.Abs(o.Dir)
	}
	dir, err := filepath.Abs(filepath.Dir(o.Contract))
	if err != nil {
		return "", err
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("%s is not inside a git repository: give the repository root with -dir", o.Contract)
	}
	return strings.TrimSpace(string(out)), nil
}

// Generate renders every CI file of the boundary.
func Generate(o Options) ([]File, error) {
	root, err := o.Root()
	if err != nil {
		return nil, err
	}
	c, err := contract.Load(o.Contract)
	if err != nil {
		return nil, err
	}
	p, err := newProject(root, c)
	if err != nil {
		return nil, err
	}
	t, err := template.New("ci").Delims("{%", "%}").Funcs(template.FuncMap{"sh": shellQuote}).
		ParseFS(templateFS, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	var files []File
	for _, f := range templates {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, f.tmpl, p); err != nil {
			return nil, fmt.Errorf("render %s: %w", f.path, err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(f.path, ".sh") {
			mode = 0o755
		}
		files = append(files, File{Path: f.path, Data: b.Bytes(), Mode: mode})
	}
	return files, nil
}

func newProject(root string, c *contract.Contract) (project, error) {
	rel, err := filepath.Rel(root, c.Path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return project{}, fmt.Errorf("contract %s is outside the repository %s: give its root with -dir", c.Path, root)
	}
	if c.Build == "" {
		return project{}, fmt.Errorf("contract %s names no build command: add `build:` (the command that builds its engines), which ClusterFuzzLite runs", c.Path)
	}
	rel = filepath.ToSlash(rel)
	p := project{
		Boundary: c.Boundary, Contract: rel, ContractDir: filepath.ToSlash(filepath.Dir(rel)), Build: c.Build,
		SelfHosted: isSeam(root), SeamModule: SeamModule, SeamRef: seamRef(),
		Project: projectName(root), Cron: cron(c.Boundary),
	}
	if p.SelfHosted {
		p.Project, p.MainRepo = "seam", "https://"+SeamModule
	} else {
		p.MainRepo = mainRepo(root)
	}
	return p, nil
}

// isSeam reports whether root is seam's own module.
func isSeam(root string) bool {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	return err == nil && regexp.MustCompile(`(?m)^module\s+`+regexp.QuoteMeta(SeamModule)+`\s*$`).Match(b)
}

// seamRef is the version of this seam when it is a released one, else its main branch.
func seamRef() string {
	if bi, ok := debug.ReadBuildInfo(); ok && regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(bi.Main.Version) {
		return bi.Main.Version
	}
	return "main"
}

// projectName is the repository's directory name, in the characters a Docker path takes
// without quoting.
func projectName(root string) string {
	name := regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(filepath.Base(root), "-")
	if name == "" || name == "seam" {
		return "project" // $SRC/seam is where a team's build clones seam
	}
	return name
}

// mainRepo is the https URL of the origin remote when it is one.
func mainRepo(root string) string {
	out, err := exec.Command("git", "-C", root, "remote", "get-url", "origin").Output()
	if url := strings.TrimSpace(string(out)); err == nil && strings.HasPrefix(url, "https://") {
		return strings.TrimSuffix(url, ".git")
	}
	return ""
}

// cron spreads the boundaries' nightly runs over 03:01-03:59 UTC, so the teams sharing a
// runner pool do not all start on the hour.
func cron(boundary string) string {
	h := fnv.New32a()
	h.Write([]byte(boundary))
	return fmt.Sprintf("%d 3 * * *", 1+h.Sum32()%59)
}

// shellQuote quotes s for bash when it holds anything but plain path characters.
func shellQuote(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9._/+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Outcome is what Write did with one file.
type Outcome string

const (
	Written   Outcome = "written"
	Unchanged Outcome = "unchanged"
	Refused   Outcome = "refused" // it exists with other content and force was not given
)

// Result is one file's outcome.
type Result struct {
	Path    string
	Outcome Outcome
}

// Write puts files under dir: a missing or (with force) different file is written, an equal
// one left alone, a different one refused.
func Write(dir string, files []File, force bool) ([]Result, error) {
	var out []Result
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		old, err := os.ReadFile(path)
		switch {
		case err == nil && bytes.Equal(old, f.Data):
			out = append(out, Result{f.Path, Unchanged})
			continue
		case err == nil && !force:
			out = append(out, Result{f.Path, Refused})
			continue
		case err != nil && !os.IsNotExist(err):
			return out, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return out, err
		}
		if err := atomicfile.Write(path, f.Data); err != nil {
			return out, err
		}
		if err := os.Chmod(path, f.Mode); err != nil {
			return out, err
		}
		out = append(out, Result{f.Path, Written})
	}
	return out, nil
}
