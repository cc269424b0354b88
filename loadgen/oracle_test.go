package loadgen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/derive"
)

// The classification of a different answer: concurrency only when the same call alone still
// gives the serial answer, and only on shared state.
func TestDiffersSaysConcurrencyOnlyWhenTheSerialAnswerHolds(t *testing.T) {
	f := &contract.Function{Name: "f"}
	reason := func(err error) string {
		var v *derive.Violation
		require.ErrorAs(t, err, &v)
		assert.Equal(t, "f", v.Op, "the finding names the function")
		return v.Reason
	}
	assert.Equal(t, ReasonConcurrency, reason(differs(f, "ok 0 x=2", "ok 0 x=1", "ok 0 x=1", true)))
	assert.Equal(t, ReasonChanged, reason(differs(f, "ok 0 x=2", "ok 0 x=1", "ok 0 x=2", true)), "alone it gives the new answer too")
	assert.Equal(t, ReasonChanged, reason(differs(f, "ok 0 x=2", "ok 0 x=1", "ok 0 x=1", false)), "no shared state")
	assert.Equal(t, "x", firstDiff("ok 0 x=2", "ok 0 x=1"))
	assert.Equal(t, fieldStatus, firstDiff("busy 4 x=1", "ok 0 x=1"))
}

// An exclusive call under contention that neither succeeds nor says busy is a finding on it;
// busy without a read-only function to look at the state is not.
func TestExclusiveCallMayOnlySucceedOrSayBusy(t *testing.T) {
	f := &contract.Function{Name: "load", Returns: contract.Return{Kind: contract.ReturnStatus}, Statuses: []string{"ok", "busy", "internal"}}
	c := &exclusiveCall{sharedCall: &sharedCall{w: &Workload{busy: "busy"}, f: f, want: `ok 0 ""`}}
	_, err := c.judge(boundary.Result{Status: "ok", Ret: 0})
	assert.NoError(t, err)
	_, err = c.judge(boundary.Result{Status: "busy", Ret: 4})
	assert.NoError(t, err)
	_, err = c.judge(boundary.Result{Status: "internal", Ret: 3})
	var v *derive.Violation
	require.ErrorAs(t, err, &v)
	assert.Equal(t, ReasonExclusive, v.Reason)
	assert.Equal(t, "load", v.Op)
}
