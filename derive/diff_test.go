package derive

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seamfuzz/seam/boundary"
)

// Every output difference names its field (array elements as []) and its kind.
func TestCompareNamesFieldAndKind(t *testing.T) {
	entry := func(count int64, token string) boundary.Value {
		return boundary.Struct(map[string]boundary.Value{"count": boundary.Int(count), "token": boundary.Text(token)})
	}
	cases := []struct {
		a, b          boundary.Value
		field, reason string
	}{
		{boundary.Int(742), boundary.Int(743), "out", ReasonRoundingDrift},
		{boundary.Int(1), boundary.Int(100), "out", ReasonValueDiffers},
		{boundary.Text("abc"), boundary.Text("ab"), "out", ReasonLengthDiffers},
		{boundary.Text("abc"), boundary.Text("abd"), "out", ReasonBytesDiffer},
		{boundary.Null, boundary.Int(0), "out", ReasonValueDiffers},
		{boundary.Value{Elems: []boundary.Value{entry(1, "a")}}, boundary.Value{Elems: []boundary.Value{entry(1, "b")}}, "out[].token", ReasonBytesDiffer},
		{boundary.Value{Elems: []boundary.Value{entry(1, "a")}}, boundary.Value{Elems: []boundary.Value{}}, "out", ReasonLengthDiffers},
		{entry(2, "a"), entry(3, "a"), "out.count", ReasonRoundingDrift},
		{entry(2, "a"), entry(2, "a"), "", ""},
	}
	for _, c := range cases {
		field, reason, _ := compare("out", c.a, c.b)
		assert.Equal(t, c.field, field, "%s vs %s", c.a, c.b)
		assert.Equal(t, c.reason, reason, "%s vs %s", c.a, c.b)
	}
}

// A handle of each engine is the same output when both made one: handles are never compared
// by address.
func TestCompareHandlesByPresence(t *testing.T) {
	a, b := boundary.Value{Handle: &boundary.Handle{Type: "tally", Ptr: 1}}, boundary.Value{Handle: &boundary.Handle{Type: "tally", Ptr: 2}}
	_, reason, _ := compare("out", a, b)
	assert.Empty(t, reason)
	_, reason, _ = compare("out", a, boundary.Null)
	assert.Equal(t, ReasonValueDiffers, reason)
}
