package contract_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/contract"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestTableGolden compares the ownership table of each reference boundary
// with testdata/table/<boundary>.md; -update rewrites them.
func TestTableGolden(t *testing.T) {
	for _, b := range []string{"pricing", "tally"} {
		t.Run(b, func(t *testing.T) {
			c, h := reference(t, b)
			got := contract.Table(c, h)
			golden := filepath.Join("testdata", "table", b+".md")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./contract -run TestTableGolden -update")
			assert.Equal(t, string(want), got)

			// Invariants the golden file could hide: every function has its
			// rows, every row has the columns of its table.
			for _, f := range c.Functions {
				assert.Contains(t, got, "| `"+f.Name+"` |")
			}
			for _, line := range strings.Split(got, "\n") {
				if !strings.HasPrefix(line, "|") {
					continue
				}
				cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
				assert.Contains(t, []int{6, 7}, cells, line)
			}
		})
	}
}

func TestTableWithoutHeader(t *testing.T) {
	c, _ := reference(t, "tally")
	got := contract.Table(c, nil)
	assert.Contains(t, got, "| `tally_count` | not thread-safe (never shared) | `t` | handle `tally` | invalid | — | ok, invalid, internal |\n|  |  | `token` | NUL-terminated string, max TALLY_MAX_TOKEN, raw, empty: invalid | invalid | — |  |\n")
}
