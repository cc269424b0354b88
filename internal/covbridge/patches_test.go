package covbridge

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func strs(ps [][]byte) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func TestPatchesPutTheExpectedOperandWhereTheObservedOneIs(t *testing.T) {
	// A constant compare only patches the input's side; the rarely hit site comes first.
	loop := Compare{Site: 1, A: []byte{','}, B: []byte{'a'}, Int: true, Const: true}
	guard := Compare{Site: 2, A: []byte{'S'}, B: []byte{'x'}, Int: true, Const: true}
	got := strs(Patches([]byte("#xa"), []Compare{loop, loop, guard}, 10))
	assert.Equal(t, []string{"#Sa", "#x,"}, got)

	// A token compare (memcmp) in both directions.
	tok := Compare{Site: 3, A: []byte("SAVE10"), B: []byte("SAVE1X")}
	assert.Equal(t, []string{"c=SAVE10;"}, strs(Patches([]byte("c=SAVE1X;"), []Compare{tok}, 10)))

	// An integer read from decimal text and compared with a limit: the limit, one past and one
	// before, only where the number stands alone.
	lim := Compare{Site: 4, A: []byte{0x10, 0x27, 0, 0}, B: []byte{0xdc, 0x05, 0, 0}, Int: true, Const: true} // 10000 vs 1500
	assert.Equal(t, []string{"x,10000,21500", "x,10001,21500", "x,9999,21500"}, strs(Patches([]byte("x,1500,21500"), []Compare{lim}, 10)))

	// A 2-byte integer stored big-endian in the input.
	be := Compare{Site: 5, A: []byte{0x34, 0x12}, B: []byte{0x02, 0x01}, Int: true, Const: true}
	assert.Contains(t, strs(Patches([]byte{9, 1, 2, 9}, []Compare{be}, 10)), string([]byte{9, 0x12, 0x34, 9}))

	// Limits: max, and nothing equal to the input or duplicated.
	assert.Len(t, Patches([]byte("aaaaaaaaaa"), []Compare{{Site: 6, A: []byte{'b'}, B: []byte{'a'}, Int: true, Const: true}}, 3), 3)
	assert.Empty(t, Patches([]byte("abc"), []Compare{{Site: 7, A: []byte("zz"), B: []byte("qq")}}, 10))
}
