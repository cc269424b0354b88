// Package gen turns fuzz bytes into adversarial values for a native boundary: empty, NULL,
// NULL with a length, exact limit and one past, 1 MiB, invalid UTF-8 of every class, extreme
// integers, invalid enum values, capacities around the needed size, wrong struct sizes.
//
// It builds on go-fuzz-headers for ordinary values; go-fuzz-headers cannot produce empty
// values, so the shapes are seam's own choice, made from the same bytes. Everything is
// deterministic in the input bytes, which is what makes a crasher reproducible. It knows
// nothing about the boundary: callers pass limits and example values.
package gen

import (
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/seamfuzz/seam/gen/internal/draw"
)

// Buf is a pointer/length pair destined for native code. Null means the pointer is NULL; Len
// may then be non-zero (NULL with a length is what a careless caller sends). When !Null,
// Len == len(Data).
type Buf struct {
	Data []byte
	Null bool
	Len  int
}

// Gen draws values from fuzz bytes. It never fails: once the bytes run out every draw returns
// a fixed default (zero, empty, the valid value).
type Gen struct{ s draw.Source }

// New starts drawing from data.
func New(data []byte) *Gen { return &Gen{s: draw.New(data)} }

// More reports whether input bytes remain (go-fuzz-headers does not expose its position, so
// exhaustion is learnt from the first draw that fails).
func (g *Gen) More() bool { return !g.s.Done() }

// Fill fills a struct's exported fields from the fuzz bytes (go-fuzz-headers GenerateStruct);
// callers then overwrite fields with adversarial shapes.
func (g *Gen) Fill(v any) { g.s.Struct(v) }

func (g *Gen) byte() (byte, bool) { return g.s.Byte() }

func (g *Gen) u32() (uint32, bool) { return g.s.U32() }

func (g *Gen) u64() (uint64, bool) { return g.s.U64() }

// Choose returns a value in [0, n); 0 when the input is exhausted or n <= 1.
func (g *Gen) Choose(n int) int { return g.s.Choose(n) }

// Bool draws a boolean.
func (g *Gen) Bool() bool { return g.Choose(2) == 1 }

// Op picks an index with probability proportional to weights (for operation sequences).
func (g *Gen) Op(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		return 0
	}
	x := g.Choose(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// MiB is the size of the oversized shape; a shared read-only pattern backs it, so choosing it
// costs no allocation (callers copy Data into native memory and must not write it).
const MiB = 1 << 20

var bigPattern = func() []byte {
	b := make([]byte, MiB+1)
	for i := range b {
		b[i] = 'A' + byte(i%26)
	}
	return b
}()

// Invalid UTF-8 fragments, one per class the decoders must refuse.
var invalidUTF8 = []struct {
	name string
	b    []byte
}{
	{"overlong-nul", []byte{0xC0, 0x80}},
	{"overlong-3", []byte{0xE0, 0x80, 0x80}},
	{"overlong-4", []byte{0xF0, 0x80, 0x80, 0x80}},
	{"surrogate-high", []byte{0xED, 0xA0, 0x80}},
	{"surrogate-low", []byte{0xED, 0xBF, 0xBF}},
	{"truncated-3", []byte{0xE2, 0x82}},
	{"truncated-4", []byte{0xF0, 0x9F, 0x98}},
	{"lone-continuation", []byte{0x80}},
	{"byte-ff", []byte{0xFF}},
	{"byte-fe", []byte{0xFE}},
	{"above-10ffff", []byte{0xF4, 0x90, 0x80, 0x80}},
}

// Shape names, in the order Bytes draws them (for tests and Describe).
const (
	ShapeFuzz = iota
	ShapeEmpty
	ShapeNull0
	ShapeNullN
	ShapeLimit
	ShapeLimitPlus1
	ShapeMiB
	ShapeInvalidUTF8
	ShapeNUL
	ShapeExample
	ShapeMutatedExample
	shapeCount
)

// BigOdds: a shape that makes a big buffer (over BigSize bytes: the exact limit or one past it
// of a large limit, the 1 MiB shape) is kept once in BigOdds times it is drawn, by one more
// draw (BigOdds-1 keeps it); otherwise the buffer is the fuzz shape. Such a buffer costs what
// hundreds of small inputs cost (copied into native memory, scanned by the engine, under
// ASan), so drawn as often as the small shapes it would take most of the fuzzing time; rare,
// every limit is still reached, and a fuzzer that keeps inputs for their coverage keeps the
// ones that reach it.
const (
	BigOdds = 32
	BigSize = 4096
)

// big says a shape makes a buffer over BigSize bytes for a parameter of that limit.
func big(shape, limit int) bool {
	switch shape {
	case ShapeMiB:
		return true
	case ShapeLimit, ShapeLimitPlus1:
		return limit+1 > BigSize
	}
	return false
}

// raw draws up to max fuzz bytes (possibly none).
func (g *Gen) raw(max int) []byte {
	if max <= 0 {
		return []byte{}
	}
	b, ok := g.s.Bytes() // length-prefixed; go-fuzz-headers refuses zero length
	if !ok {
		return []byte{}
	}
	if len(b) > max {
		b = b[:max]
	}
	return append([]byte(nil), b...)
}

// sized returns n bytes: the fuzz bytes repeated, or the shared pattern when nothing is left.
func (g *Gen) sized(n int) []byte {
	seed := g.raw(16)
	if len(seed) == 0 {
		return bigPattern[:n:n]
	}
	// The seed repeated, by doubling copies: a loop over a mebibyte of bytes costs
	// milliseconds an input where Go code is compiled with libFuzzer's compare tracing.
	b := make([]byte, n)
	filled := copy(b, seed)
	for filled < n {
		filled += copy(b[filled:], b[:filled])
	}
	return b
}

// inject puts one invalid UTF-8 fragment (or a NUL) into b at a chosen position.
func (g *Gen) inject(b []byte, nul bool) []byte {
	frag := []byte{0}
	if !nul {
		frag = invalidUTF8[g.Choose(len(invalidUTF8))].b
	}
	at := g.Choose(len(b) + 1)
	out := make([]byte, 0, len(b)+len(frag))
	out = append(out, b[:at]...)
	out = append(out, frag...)
	return append(out, b[at:]...)
}

func buf(b []byte) Buf { return Buf{Data: b, Len: len(b)} }

// Bytes draws a byte buffer for a parameter whose limit is `limit` bytes.
func (g *Gen) Bytes(limit int) Buf { return g.BytesFrom(limit, nil) }

// BytesFrom is Bytes with valid examples the caller supplies (coupon codes, rule lines): the
// shape may pick one as is or mutate it, so structured inputs reach past validation.
func (g *Gen) BytesFrom(limit int, examples [][]byte) Buf {
	if g.s.Done() {
		return buf([]byte{})
	}
	shape := g.Choose(shapeCount)
	if len(examples) == 0 && (shape == ShapeExample || shape == ShapeMutatedExample) {
		shape = ShapeFuzz
	}
	if big(shape, limit) && g.Choose(BigOdds) != BigOdds-1 {
		shape = ShapeFuzz
	}
	switch shape {
	case ShapeEmpty:
		return buf([]byte{})
	case ShapeNull0:
		return Buf{Null: true}
	case ShapeNullN:
		lens := []int{1, max(limit, 1), math.MaxInt32}
		return Buf{Null: true, Len: lens[g.Choose(len(lens))]}
	case ShapeLimit:
		return buf(g.sized(limit))
	case ShapeLimitPlus1:
		return buf(g.sized(limit + 1))
	case ShapeMiB:
		return buf(bigPattern[:MiB:MiB])
	case ShapeInvalidUTF8:
		return buf(g.inject(g.validish(limit, examples), false))
	case ShapeNUL:
		return buf(g.inject(g.validish(limit, examples), true))
	case ShapeExample:
		return buf(append([]byte(nil), examples[g.Choose(len(examples))]...))
	case ShapeMutatedExample:
		return buf(g.mutate(examples[g.Choose(len(examples))]))
	}
	return buf(g.raw(limit + 1))
}

// validish is a valid UTF-8 starting point for an injection.
func (g *Gen) validish(limit int, examples [][]byte) []byte {
	if len(examples) > 0 && g.Bool() {
		return append([]byte(nil), examples[g.Choose(len(examples))]...)
	}
	s, ok := g.s.String()
	if !ok || !utf8.ValidString(s) || len(s) > limit {
		return []byte("SAVE10")
	}
	return []byte(s)
}

// mutate applies one small edit: flip a byte, drop one, duplicate one, or append fuzz bytes.
func (g *Gen) mutate(b []byte) []byte {
	out := append([]byte(nil), b...)
	if len(out) == 0 {
		return g.raw(8)
	}
	i := g.Choose(len(out))
	switch g.Choose(4) {
	case 0:
		v, _ := g.byte()
		out[i] = v
	case 1:
		out = append(out[:i], out[i+1:]...)
	case 2:
		out = append(out[:i+1], out[i:]...)
	default:
		out = append(out, g.raw(8)...)
	}
	return out
}

// Text assembles a multi-line text from line templates with line-level mutations (duplicated
// lines, CRLF, no final newline, comments, over-long lines), kept around the byte limit.
func (g *Gen) Text(lines [][]byte, limit int) Buf {
	if g.s.Done() || len(lines) == 0 {
		return buf([]byte{})
	}
	if g.Choose(8) == 0 {
		return g.BytesFrom(limit, lines) // whole-buffer shapes: NULL, limit, invalid UTF-8...
	}
	var out []byte
	n := 1 + g.Choose(12)
	crlf := g.Choose(4) == 0
	for i := 0; i < n && !g.s.Done(); i++ {
		if out == nil {
			out = make([]byte, 0, 32*n) // most lines are a rule or a comment of tens of bytes
		}
		var line []byte
		switch g.Choose(10) {
		case 0:
			line = g.mutate(lines[g.Choose(len(lines))])
		case 1:
			line = append([]byte("#"), g.raw(64)...)
		case 2:
			line = append([]byte("#"), bigPattern[:min(limit, 300)]...) // around a line limit
		case 3:
			if len(out) > 0 { // repeat the previous line
				line = nil
				out = append(out, out[:min(len(out), 64)]...)
				continue
			}
			line = lines[0]
		default:
			line = lines[g.Choose(len(lines))]
		}
		out = append(out, line...)
		if crlf {
			out = append(out, '\r')
		}
		out = append(out, '\n')
	}
	if len(out) > 0 && g.Choose(4) == 0 {
		out = out[:len(out)-1] // no final newline
	}
	if len(out) > limit+1 {
		out = out[:limit+1]
	}
	return buf(out)
}

// Uint32 draws an integer for a field whose valid values end at limit: 0, 1, limit-1, limit,
// limit+1, MaxUint32, MaxUint32-1, valid, or arbitrary.
func (g *Gen) Uint32(valid, limit uint32) uint32 {
	if g.s.Done() {
		return valid
	}
	switch g.Choose(10) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return limit - 1
	case 3:
		return limit
	case 4:
		return limit + 1
	case 5:
		return math.MaxUint32
	case 6:
		return math.MaxUint32 - 1
	case 7:
		if v, ok := g.u32(); ok {
			return v
		}
		return valid
	case 8:
		if limit > 0 {
			return uint32(g.Choose(int(min(limit, 1<<20))))
		}
	}
	return valid
}

// Int64 draws an integer for a field valid in [0, limit]: 0, -1, 1, limit, limit+1, extremes,
// the smallest value whose product with 10000 overflows, or arbitrary.
func (g *Gen) Int64(limit int64) int64 {
	if g.s.Done() {
		return 0
	}
	switch g.Choose(11) {
	case 0:
		return 0
	case 1:
		return -1
	case 2:
		return 1
	case 3:
		return limit
	case 4:
		return limit + 1
	case 5:
		return math.MinInt64
	case 6:
		return math.MaxInt64
	case 7:
		return math.MaxInt64/10000 + 1
	case 8:
		v, _ := g.u64()
		return int64(v)
	}
	if limit > 0 {
		if v, ok := g.u64(); ok {
			return int64(v % uint64(limit+1))
		}
	}
	return 0
}

// Enum draws a value for an enum of count values: valid most of the time, else count,
// count+1, MaxUint32 or the sign bit.
func (g *Gen) Enum(count uint32) uint32 {
	if g.s.Done() || count == 0 {
		return 0
	}
	switch g.Choose(8) {
	case 0:
		return []uint32{count, count + 1, math.MaxUint32, 0x80000000}[g.Choose(4)]
	}
	return uint32(g.Choose(int(count)))
}

// Cap draws a buffer capacity around needed: 0, needed-1, needed, needed+1, small, large.
func (g *Gen) Cap(needed int) int {
	if g.s.Done() {
		return needed
	}
	switch g.Choose(7) {
	case 0:
		return 0
	case 1:
		return max(needed-1, 0)
	case 2:
		return needed + 1
	case 3:
		return g.Choose(16)
	case 4:
		return needed + 4096
	}
	return needed
}

// StructSize draws a struct_size value: correct most of the time, else off by one, 0, max.
func (g *Gen) StructSize(correct uint32) uint32 {
	if g.s.Done() {
		return correct
	}
	switch g.Choose(12) {
	case 0:
		return correct - 1
	case 1:
		return correct + 1
	case 2:
		return 0
	case 3:
		return math.MaxUint32
	}
	return correct
}

// Describe is a short human form of a buffer, for logs and findings.
func Describe(b Buf) string {
	if b.Null {
		return fmt.Sprintf("NULL len=%d", b.Len)
	}
	s := fmt.Sprintf("len=%d", len(b.Data))
	if !utf8.Valid(b.Data) {
		for i := 0; i < len(b.Data); {
			r, n := utf8.DecodeRune(b.Data[i:])
			if r == utf8.RuneError && n <= 1 {
				s += fmt.Sprintf(" invalid-utf8@%d", i)
				break
			}
			i += n
		}
	}
	if len(b.Data) <= 40 {
		s += fmt.Sprintf(" %q", b.Data)
	}
	return s
}
