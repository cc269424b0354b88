package claims

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/internal/isolate"
)

// The test binary is also the child each check runs in.
func TestMain(m *testing.M) {
	isolate.ServeIfChild()
	os.Exit(m.Run())
}

// counterEngine builds testdata/counter's engine with one seeded bug (none: the correct one).
func counterEngine(t *testing.T, bug string) string {
	lib := filepath.Join(t.TempDir(), "libcounter"+bug+".so")
	args := []string{"-shared", "-fPIC", "-O1", "-o", lib, filepath.Join("testdata", "counter", "counter.c")}
	if bug != "" {
		args = append(args, "-D"+bug)
	}
	out, err := exec.Command("gcc", args...).CombinedOutput()
	require.NoError(t, err, string(out))
	return lib
}

func counterRows(t *testing.T, lib string) map[string]Row {
	rows, err := Run(context.Background(), Config{Contract: filepath.Join("testdata", "counter", "contract.yaml"),
		Specs: []string{lib}, Variant: "debug", Timeout: 30 * time.Second})
	require.NoError(t, err)
	m := map[string]Row{}
	for _, r := range rows {
		m[r.Subject] = r
	}
	return m
}

// The oracles that do not need ThreadSanitizer, each on the seeded bug it exists for, on a
// boundary seam has no other knowledge of (built without TSan: the answers alone show it).
// The correct engine proves every claim; its free check says it needs the tsan variant.
func TestCounterOraclesFireOnTheirBugs(t *testing.T) {
	for subject, r := range counterRows(t, counterEngine(t, "")) {
		if subject == "ctr_free" {
			assert.Equal(t, Skipped, r.Verdict)
			assert.Contains(t, r.Note, "tsan variant")
			continue
		}
		assert.Equal(t, Proven, r.Verdict, "%s: %s %s", subject, r.Note, r.Evidence)
	}
	cases := []struct {
		bug  string
		want map[string]string // row -> kind; every other row is not violated
	}{
		{"BUG_SHARED_ERROR", map[string]string{"ctr_last_error": KindLastError}},
		{"BUG_BUSY_CHANGES", map[string]string{"ctr_set": KindBusyChanged, "ctr": KindBusyChanged}},
		{"BUG_STATUS", map[string]string{"ctr_set": KindStatus, "ctr": KindStatus}},
		{"BUG_SCRATCH", map[string]string{"ctr_get": KindCorrupted}},
		{"BUG_NO_BUSY", map[string]string{"ctr_set": KindNeverBusy, "ctr": KindNeverBusy}},
	}
	for _, c := range cases {
		t.Run(c.bug, func(t *testing.T) {
			got := map[string]string{}
			for subject, r := range counterRows(t, counterEngine(t, c.bug)) {
				if r.Verdict == Violated {
					got[subject] = r.Kind
					assert.NotEmpty(t, r.Evidence)
					require.NotNil(t, r.Finding)
					// The signature names the function whose call broke the claim (a type's row
					// names one of its functions).
					assert.Regexp(t, `^thread-claim \| ctr_[a-z_]+ \| `+r.Kind+`$`, r.Finding.Signature)
				}
			}
			assert.Equal(t, c.want, got)
		})
	}
}
