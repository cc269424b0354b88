package contract_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
)

// flatValue is one leaf of a contract file: its value and the lines of it
// and of the keys above it.
type flatValue struct {
	value string
	lines []int
}

// flattenContract turns a contract file into path -> value, so that two files
// compare whatever their YAML style (flow or block, alignment, order):
// "functions.tally_top.params.n.range" -> "[1, TALLY_MAX_TOP]".
func flattenContract(t *testing.T, data []byte) map[string]flatValue {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	out := map[string]flatValue{}
	var walk func(path string, n *yaml.Node, lines []int)
	walk = func(path string, n *yaml.Node, lines []int) {
		lines = append(lines[:len(lines):len(lines)], n.Line)
		switch n.Kind {
		case yaml.DocumentNode:
			walk(path, n.Content[0], lines)
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				key := strings.TrimPrefix(path+"."+k.Value, ".")
				if k.Value == "returns" && v.Kind == yaml.MappingNode {
					// {string: static, engine_specific: true} is returns: string.
					for j := 0; j+1 < len(v.Content); j += 2 {
						if v.Content[j].Value == "engine_specific" {
							out[key+".engine_specific"] = flatValue{v.Content[j+1].Value, append(lines, k.Line)}
						} else {
							out[key] = flatValue{v.Content[j].Value, append(lines, k.Line)}
						}
					}
					continue
				}
				walk(key, v, append(lines, k.Line))
			}
		case yaml.SequenceNode:
			var items []string
			for _, e := range n.Content {
				if e.Kind != yaml.ScalarNode {
					walk(path, e, lines) // properties: a list of mappings
					continue
				}
				items = append(items, e.Value)
			}
			if len(items) > 0 {
				out[path] = flatValue{"[" + strings.Join(items, ", ") + "]", lines}
			}
		case yaml.ScalarNode:
			out[path] = flatValue{strings.Join(strings.Fields(n.Value), " "), lines}
		}
	}
	walk("", &doc, nil)
	return out
}

// guessedLines returns the lines of a draft marked "# guessed".
func guessedLines(draft []byte) map[int]bool {
	out := map[int]bool{}
	for i, l := range strings.Split(string(draft), "\n") {
		if strings.Contains(l, "# guessed: ") {
			out[i+1] = true
		}
	}
	return out
}

// TestDraftMatchesReferenceContracts drafts a contract from each reference
// header and compares it with the checked-in contract: every difference must
// be on a line the draft marks guessed, except the few listed here, each
// with the reason no header convention can give it.
func TestDraftMatchesReferenceContracts(t *testing.T) {
	unguessable := map[string]map[string]string{
		"pricing": {
			"mutants":      "where seeded-bug builds live is the build's business",
			"build":        "the build command",
			"engines.cpp":  "engines are named by the team (the draft has a guessed placeholder)",
			"engines.rust": "engines are named by the team",
			"functions.seam_layout.params.out.engine_specific":  "nothing says the layout may differ between engines",
			"functions.pricing_rules_load.params.text.examples": "valid rules text is the team's to give",
		},
		"tally": {
			"mutants":      "where seeded-bug builds live is the build's business",
			"build":        "the build command",
			"engines.cpp":  "engines are named by the team (the draft has a guessed placeholder)",
			"engines.rust": "engines are named by the team",
		},
	}
	for _, b := range []string{"pricing", "tally"} {
		t.Run(b, func(t *testing.T) {
			c, h := reference(t, b)
			draft, err := contract.Draft(h)
			require.NoError(t, err)
			// The draft is a contract: it loads.
			dc, err := contract.Parse(c.Path, draft)
			require.NoError(t, err, "%s\n%s", strings.Join(contract.ErrorLines(err), "\n"), draft)
			assert.Empty(t, problemLines(contract.Check(dc, h, nil)), "the draft fits its header")

			checkedIn, err := os.ReadFile(c.Path)
			require.NoError(t, err)
			want, got := flattenContract(t, checkedIn), flattenContract(t, draft)
			guessed := guessedLines(draft)
			isGuessed := func(v flatValue) bool {
				for _, l := range v.lines {
					if guessed[l] {
						return true
					}
				}
				return false
			}
			var bad, missed []string
			for path, w := range want {
				g, ok := got[path]
				switch {
				case !ok:
					if unguessable[b][path] == "" {
						missed = append(missed, fmt.Sprintf("%s: %s", path, w.value))
					}
				case g.value != w.value && !isGuessed(g):
					bad = append(bad, fmt.Sprintf("draft line %d: %s: %s, the contract says %s", g.lines[len(g.lines)-1], path, g.value, w.value))
				}
			}
			for path, g := range got {
				if _, ok := want[path]; !ok && !isGuessed(g) {
					bad = append(bad, fmt.Sprintf("draft line %d: %s: %s, not in the contract", g.lines[len(g.lines)-1], path, g.value))
				}
			}
			same, guessedDiffs := 0, 0
			for path, w := range want {
				if g, ok := got[path]; ok && g.value == w.value {
					same++
				} else if ok {
					guessedDiffs++
					t.Logf("guessed, differs: %s: draft %s, contract %s", path, g.value, w.value)
				}
			}
			t.Logf("%d entries of the contract, %d drafted the same, %d differ on guessed lines, %d unguessable", len(want), same, guessedDiffs, len(unguessable[b]))
			sort.Strings(bad)
			sort.Strings(missed)
			assert.Empty(t, bad, "differences on lines not marked guessed:\n%s", draft)
			assert.Empty(t, missed, "what the draft leaves out")
			for path := range unguessable[b] {
				_, ok := want[path]
				assert.True(t, ok, "%s is listed as unguessable but the contract has no such entry", path)
			}
		})
	}
}

// A header that follows none of the conventions drafts a contract whose every
// uncertain line says so.
func TestDraftMarksWhatNoConventionGives(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.h")
	require.NoError(t, os.WriteFile(path, []byte("#define PLAIN_OK 0\n#define PLAIN_BAD 1\n"+
		"/* Scales v. */\nint plain_scale(double v, int *out);\n"), 0o644))
	h, err := cheader.Parse(path)
	require.NoError(t, err)
	draft, err := contract.Draft(h)
	require.NoError(t, err)
	text := string(draft)
	assert.Contains(t, text, "    threads: none # guessed: its comment has no Threads: sentence; none is the safe claim\n")
	assert.Contains(t, text, "      v: {int: any} # guessed: no convention fits 'double'\n")
	assert.Contains(t, text, "      out: {out_int: int}\n")
	assert.Contains(t, text, "  ok: PLAIN_OK\n  bad: PLAIN_BAD\n")
	assert.Contains(t, text, "    returns: value\n", "no Checks sentence: not a status")
}
