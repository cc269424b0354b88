// Package ci holds seam's CI configuration; this test keeps it honest.
package ci

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type workflow struct {
	Name string `yaml:"name"`
	On   struct {
		Schedule         []map[string]string `yaml:"schedule"`
		WorkflowDispatch *yaml.Node          `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Jobs map[string]struct {
		TimeoutMinutes int `yaml:"timeout-minutes"`
		Steps          []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func makeTargets(t *testing.T) map[string]bool {
	b, err := os.ReadFile("../Makefile")
	require.NoError(t, err)
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-zA-Z][\w-]*):`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}

func TestNightlyWorkflow(t *testing.T) {
	b, err := os.ReadFile("nightly.yml")
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(b, &w), "nightly.yml must parse")

	require.Len(t, w.On.Schedule, 1)
	cron := w.On.Schedule[0]["cron"]
	fields := strings.Fields(cron)
	require.Len(t, fields, 5, "cron %q", cron)
	assert.NotEqual(t, "0", fields[0], "run at an off-minute, not on the hour")
	assert.NotNil(t, w.On.WorkflowDispatch, "manual dispatch")

	targets := makeTargets(t)
	var sawSummary, sawArtifacts, sawSarif, sawCache bool
	for name, job := range w.Jobs {
		assert.Positive(t, job.TimeoutMinutes, "job %s needs a timeout", name)
		for _, s := range job.Steps {
			for _, m := range regexp.MustCompile(`\bmake\s+([a-z][\w-]*)`).FindAllStringSubmatch(s.Run, -1) {
				assert.True(t, targets[m[1]], "step %q runs `make %s`, which the Makefile does not define", s.Name, m[1])
			}
			sawSummary = sawSummary || strings.Contains(s.Run, "GITHUB_STEP_SUMMARY") && strings.Contains(s.Run, "summary.md")
			sawArtifacts = sawArtifacts || strings.HasPrefix(s.Uses, "actions/upload-artifact")
			sawSarif = sawSarif || strings.Contains(s.Uses, "upload-sarif")
			sawCache = sawCache || strings.HasPrefix(s.Uses, "actions/cache") && strings.Contains(s.With["path"], "fuzz")
		}
	}
	assert.True(t, sawSummary, "summary.md goes into the job summary")
	assert.True(t, sawArtifacts, "reports are uploaded")
	assert.True(t, sawSarif, "SARIF goes to code scanning")
	assert.True(t, sawCache, "the Go fuzz cache is kept between runs")
}

func TestClusterFuzzLiteConfig(t *testing.T) {
	b, err := os.ReadFile("clusterfuzzlite/project.yaml")
	require.NoError(t, err)
	var p struct {
		Language   string   `yaml:"language"`
		Sanitizers []string `yaml:"sanitizers"`
		MainRepo   string   `yaml:"main_repo"`
	}
	require.NoError(t, yaml.Unmarshal(b, &p))
	assert.NotEmpty(t, p.Language)
	assert.Contains(t, p.Sanitizers, "address")
	build, err := os.ReadFile("clusterfuzzlite/build.sh")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(scripts/[\w.-]+)`).FindAllStringSubmatch(string(build), -1) {
		_, err := os.Stat("../" + m[1])
		assert.NoError(t, err, "build.sh calls %s, which does not exist", m[1])
	}
}
