package derive

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seamfuzz/seam/gen"
)

// The fills of a program: half the bytes draw none, each count after that half as many, every
// count up to maxFills drawn by some byte; a byte of all ones is none.
func TestFillsAreMostlyFew(t *testing.T) {
	count := map[int]int{}
	for b := 0; b < 256; b++ {
		d := &decoder{g: gen.New([]byte{byte(b)})}
		count[d.fills()]++
	}
	want := map[int]int{0: 129}
	for n := 1; n <= maxFills; n++ {
		want[n] = 256 >> (n + 1)
	}
	assert.Equal(t, want, count)
	assert.Equal(t, 0, (&decoder{g: gen.New([]byte{0xFF})}).fills())
	assert.Equal(t, 0, (&decoder{g: gen.New(nil)}).fills(), "an exhausted input has none")
}
