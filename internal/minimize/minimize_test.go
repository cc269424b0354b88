package minimize

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fails(b []byte) bool { return bytes.Contains(b, []byte("XY")) && bytes.IndexByte(b, 0xFF) >= 0 }

func TestShrinksPaddedInput(t *testing.T) {
	in := append(bytes.Repeat([]byte("padding"), 50), []byte("..XY..\xff..")...)
	out, st, err := Bytes(context.Background(), in, func(_ context.Context, b []byte) (bool, error) { return fails(b), nil }, Options{})
	require.NoError(t, err)
	assert.True(t, fails(out))
	assert.Len(t, out, 3, "XY plus 0xFF is the minimum: %q", out)
	assert.Equal(t, len(in), st.From)
	assert.Equal(t, 3, st.To)
}

func TestNeverLargerAndStopsOnCancel(t *testing.T) {
	in := []byte("aaaaXYbbbb\xff")
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	out, _, err := Bytes(ctx, in, func(_ context.Context, b []byte) (bool, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return fails(b), nil
	}, Options{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.LessOrEqual(t, len(out), len(in))
	assert.True(t, fails(out), "whatever is returned still fails")
}

func TestPropagatesPredicateErrors(t *testing.T) {
	boom := errors.New("child could not start")
	_, _, err := Bytes(context.Background(), []byte("abcd"), func(context.Context, []byte) (bool, error) { return false, boom }, Options{})
	assert.ErrorIs(t, err, boom)
}
