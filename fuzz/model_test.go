package fuzz

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundingEdgeLandsOnATie(t *testing.T) {
	rule := Rule{Tier: 0, DiscountBP: 1000, TaxBP: 825}
	halfUp := func(n int64) int64 { return (n + 5000) / 10000 }

	s, ok := RoundingEdge(rule, nil, 9000, true)
	require.True(t, ok)
	taxable := s - roundHalfEven(s*1000)
	assert.Equal(t, int64(5000), taxable*825%10000, "tax of subtotal %d is not half a cent", s)
	assert.NotEqual(t, halfUp(taxable*825), Price(rule, s, nil).TaxCents, "half-up and half-even agree at %d", s)

	s, ok = RoundingEdge(rule, nil, 3, false)
	require.True(t, ok)
	assert.Equal(t, int64(5000), s*1000%10000, "discount of subtotal %d is not half a cent", s)
	assert.NotEqual(t, halfUp(s*1000), Price(rule, s, nil).DiscountCents)

	// A rate with no half-cent amounts (tax 0, discount 0) has no edge.
	_, ok = RoundingEdge(Rule{}, nil, 0, true)
	assert.False(t, ok)
}
