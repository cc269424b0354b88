package gen

import (
	"bytes"
	"math/rand"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inputs(n int) [][]byte {
	r := rand.New(rand.NewSource(1))
	out := make([][]byte, n)
	for i := range out {
		b := make([]byte, 1+r.Intn(64))
		r.Read(b)
		out[i] = b
	}
	return out
}

// Every adversarial shape must be reachable from some input.
func TestEveryShapeIsReachable(t *testing.T) {
	const limit = 32
	examples := [][]byte{[]byte("SAVE10"), []byte("HALF")}
	seen := map[string]bool{}
	for _, in := range inputs(5000) {
		b := New(in).BytesFrom(limit, examples)
		switch {
		case b.Null && b.Len == 0:
			seen["null-0"] = true
		case b.Null && b.Len > 0:
			seen["null-n"] = true
		case len(b.Data) == 0:
			seen["empty"] = true
		case len(b.Data) == limit:
			seen["limit"] = true
		case len(b.Data) == limit+1:
			seen["limit+1"] = true
		case len(b.Data) == MiB:
			seen["1MiB"] = true
		}
		if !b.Null && !utf8.Valid(b.Data) {
			seen["invalid-utf8"] = true
		}
		if !b.Null && utf8.Valid(b.Data) && bytes.IndexByte(b.Data, 0) >= 0 {
			seen["nul-inside"] = true
		}
		for _, e := range examples {
			if bytes.Equal(b.Data, e) {
				seen["example"] = true
			}
		}
		if !b.Null {
			require.Equal(t, len(b.Data), b.Len, "Len must match Data when not NULL")
		}
	}
	for _, s := range []string{"null-0", "null-n", "empty", "limit", "limit+1", "1MiB", "invalid-utf8", "nul-inside", "example"} {
		assert.True(t, seen[s], "shape %s never drawn", s)
	}
}

func TestEveryInvalidUTF8ClassIsInvalid(t *testing.T) {
	for _, c := range invalidUTF8 {
		assert.False(t, utf8.Valid(c.b), c.name)
		assert.False(t, utf8.Valid(append([]byte("ok"), c.b...)), c.name)
	}
}

func TestDeterministic(t *testing.T) {
	for _, in := range inputs(200) {
		a, b := New(in), New(in)
		assert.Equal(t, a.Bytes(64), b.Bytes(64))
		assert.Equal(t, a.Uint32(1, 100), b.Uint32(1, 100))
		assert.Equal(t, a.Int64(1000), b.Int64(1000))
		assert.Equal(t, a.Text([][]byte{[]byte("x,y")}, 100), b.Text([][]byte{[]byte("x,y")}, 100))
	}
}

func TestExhaustedInputGivesDefaults(t *testing.T) {
	g := New(nil)
	assert.False(t, g.More())
	assert.Equal(t, Buf{Data: []byte{}}, g.Bytes(10))
	assert.Equal(t, uint32(7), g.Uint32(7, 10))
	assert.Equal(t, uint32(40), g.StructSize(40))
	assert.Equal(t, 12, g.Cap(12))
	assert.Equal(t, 0, g.Choose(5))
}

func TestIntegersReachTheirEdges(t *testing.T) {
	seen := map[int64]bool{}
	enum := map[uint32]bool{}
	caps := map[int]bool{}
	for _, in := range inputs(3000) {
		g := New(in)
		seen[g.Int64(1000)] = true
		enum[g.Enum(3)] = true
		caps[g.Cap(10)] = true
	}
	for _, v := range []int64{0, -1, 1000, 1001, -1 << 63, 1<<63 - 1} {
		assert.True(t, seen[v], "Int64 never gave %d", v)
	}
	for _, v := range []uint32{0, 1, 2, 3, 4, 0xFFFFFFFF, 0x80000000} {
		assert.True(t, enum[v], "Enum never gave %d", v)
	}
	for _, v := range []int{0, 9, 10, 11} {
		assert.True(t, caps[v], "Cap never gave %d", v)
	}
}

func TestDescribe(t *testing.T) {
	assert.Equal(t, "NULL len=5", Describe(Buf{Null: true, Len: 5}))
	assert.Contains(t, Describe(Buf{Data: []byte("a\xffb"), Len: 3}), "invalid-utf8@1")
}

func FuzzGen(f *testing.F) {
	for _, in := range inputs(8) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := New(data)
		for i := 0; i < 8 && g.More(); i++ {
			b := g.BytesFrom(32, [][]byte{[]byte("A")})
			if !b.Null && b.Len != len(b.Data) {
				t.Fatalf("Len %d != len(Data) %d", b.Len, len(b.Data))
			}
			g.Text([][]byte{[]byte("1,0,0,0")}, 512)
			g.Uint32(1, 10)
			g.Int64(10)
			g.Enum(3)
			g.Cap(5)
			g.StructSize(40)
			g.Op([]int{1, 2, 3})
		}
	})
}

func BenchmarkBytes(b *testing.B) {
	in := inputs(64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		New(in[i%len(in)]).Bytes(32)
	}
}

// A limit-sized buffer is the seed repeated, cut at exactly the size asked for.
func TestSizedRepeatsTheSeed(t *testing.T) {
	data := []byte("\x00\x00\x00\x05abcdefXYZ")
	for _, n := range []int{0, 1, 4, 5, 6, 1000, 1<<20 + 1} {
		seed := New(data).raw(16)
		require.NotEmpty(t, seed)
		b := New(data).sized(n)
		require.Len(t, b, n)
		for i := range b {
			if b[i] != seed[i%len(seed)] {
				t.Fatalf("n=%d: byte %d is %q, want %q", n, i, b[i], seed[i%len(seed)])
			}
		}
	}
}

// The shapes that make a big buffer (the exact limit and one past a large limit, 1 MiB) are
// drawn once in BigOdds times the others are, and every one of them is still drawn.
func TestBigShapesAreRareButReached(t *testing.T) {
	const limit = 65536
	big := map[int]int{}
	n := 0
	for _, in := range inputs(40000) {
		b := New(in).Bytes(limit)
		if len(b.Data) > BigSize {
			big[len(b.Data)]++
		}
		n++
	}
	for _, size := range []int{limit, limit + 1, MiB} {
		assert.Positive(t, big[size], "a buffer of %d bytes never drawn", size)
	}
	total := big[limit] + big[limit+1] + big[MiB]
	// 3 of the 11 shapes, kept one time in BigOdds: under 1% of the draws.
	assert.Less(t, float64(total)/float64(n), 3.0/11/BigOdds*1.5, "%d big buffers in %d draws", total, n)
}
