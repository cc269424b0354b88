package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The header's own examples: the grammar's edge cases, banker's rounding at a tie, and the
// canonical export and description of what was loaded.
func TestModelFollowsTheHeader(t *testing.T) {
	rules, err := Parse([]byte("# c\r\n7,0,5000,1000,HALF:5000\n\n1,0,01000,00825\r"))
	require.NoError(t, err)
	assert.Equal(t, "1,0,1000,825\n7,0,5000,1000,HALF:5000\n", string(Export(rules)))
	assert.Equal(t, "tier=0 discount_bp=5000 tax_bp=1000 coupon=HALF extra_bp=5000\n", string(Describe(rules, 7)))
	assert.Empty(t, Describe(rules, 2))

	final, discount, tax := Price(rules[Key{1, 0}], 10000, nil)
	assert.Equal(t, [3]int64{9742, 1000, 742}, [3]int64{final, discount, tax}, "742.5 rounds to the even 742")
	final, _, tax = Price(rules[Key{1, 0}], 667, nil)
	assert.Equal(t, [2]int64{650, 50}, [2]int64{final, tax}, "49.5 rounds up to the even 50")
	_, discount, _ = Price(rules[Key{7, 0}], 100, []byte("HALF"))
	assert.Equal(t, int64(100), discount, "the coupon's extra basis points, capped at SEAM_MAX_BP")

	for _, bad := range []string{"1,0,0", "1,3,0,0", "65536,0,0,0", "1,0,10001,0", "1,0,0,0,:1", "1,0,0,0,abc:1",
		"1,0,0,0,A:1,2", "000001,0,0,0", "1,0,0,0\n1,0,1,1", " 1,0,0,0", "1,0,0,0\x00", "\xed\xa0\x80"} {
		_, err := Parse([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}
