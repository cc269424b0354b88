package fuzz

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestViolationSignatureRoundTrip(t *testing.T) {
	v := contract("pricing_quote", "status", "invalid input accepted", "returned SEAM_OK for subtotal=%d", 100000000001)
	msg := fmt.Errorf("engine=rust: %w", v).Error()
	got := ParseViolation("    fuzz_test.go:55: " + msg)
	require.NotNil(t, got)
	assert.Equal(t, "rust", got.Engine)
	assert.Equal(t, "contract-invalid-input-accepted | pricing_quote | status | invalid input accepted | engine rust", got.Signature())

	// The same broken rule in the other engine is a different bug.
	other := ParseViolation(fmt.Errorf("engine=cpp: %w", v).Error())
	assert.NotEqual(t, got.Signature(), other.Signature())

	// A mismatch involves both engines: no engine in its signature.
	m := ParseViolation(fmt.Errorf("engine=cpp: %w", mismatch("pricing_quote", "tax_cents", "rounding drift", "cpp=742 rust=743")).Error())
	require.NotNil(t, m)
	assert.Equal(t, "mismatch-rounding-drift | pricing_quote | tax_cents | rounding drift", m.Signature())

	assert.Nil(t, ParseViolation("panic: runtime error"))
}

// A violation found on a comparison patch (solveCompares) keeps its signature.
func TestViolationOnAPatchKeepsItsSignature(t *testing.T) {
	v := contract("pricing_quote", "status", "status not allowed", "got %v", 3)
	v.Engine = "cpp"
	msg := fmt.Errorf("on comparison patch %q of the input: %w", "a (b)", fmt.Errorf("engine=cpp: %w", v)).Error()
	sig, _, ok := SignViolation(msg)
	require.True(t, ok)
	assert.Equal(t, v.Signature(), sig)
}
