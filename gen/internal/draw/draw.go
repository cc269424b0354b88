// Package draw reads gen's draws from the fuzz bytes (go-fuzz-headers underneath): the
// byte-level bookkeeping under gen's shapes, kept apart so that libFuzzer mode can instrument
// the shapes (which case of a parameter an input takes) without the reading, whose branches are
// the same for every input: each compare hook there is a switch to the C stack that tells the
// fuzzer nothing. Its methods are not inlined into gen for the same reason (an inlined body is
// instrumented as the caller's code).
package draw

import fuzz "github.com/AdaLogics/go-fuzz-headers"

// Source is the fuzz bytes being drawn from. Once a draw finds them exhausted, every draw fails.
type Source struct {
	c    *fuzz.ConsumeFuzzer
	done bool
}

// New starts drawing from data.
func New(data []byte) Source { return Source{c: fuzz.NewConsumer(data), done: len(data) == 0} }

// Done reports whether a draw found the input exhausted (go-fuzz-headers does not expose its
// position, so exhaustion is learnt from the first draw that fails).
//
//go:noinline
func (s *Source) Done() bool { return s.done }

// Stop marks the input exhausted.
//
//go:noinline
func (s *Source) Stop() { s.done = true }

func (s *Source) ok(err error) bool {
	if err != nil {
		s.done = true
	}
	return err == nil
}

// Byte draws one byte.
//
//go:noinline
func (s *Source) Byte() (byte, bool) {
	if s.done {
		return 0, false
	}
	b, err := s.c.GetByte()
	return b, s.ok(err)
}

// U32 draws four bytes, big-endian.
//
//go:noinline
func (s *Source) U32() (uint32, bool) {
	if s.done {
		return 0, false
	}
	v, err := s.c.GetUint32()
	return v, s.ok(err)
}

// U64 draws eight bytes, big-endian.
//
//go:noinline
func (s *Source) U64() (uint64, bool) {
	if s.done {
		return 0, false
	}
	v, err := s.c.GetUint64()
	return v, s.ok(err)
}

// Choose draws a value in [0, n): one byte when n <= 256, else four; 0 when the input is
// exhausted or n <= 1.
//
//go:noinline
func (s *Source) Choose(n int) int {
	if n <= 1 {
		return 0
	}
	if n <= 256 {
		b, _ := s.Byte()
		return int(b) % n
	}
	v, ok := s.U32()
	if !ok {
		return 0
	}
	return int(v % uint32(n))
}

// Bytes draws a length-prefixed run of bytes (never empty: go-fuzz-headers refuses zero
// length); false, and the input exhausted, when there is none.
//
//go:noinline
func (s *Source) Bytes() ([]byte, bool) {
	if s.done {
		return nil, false
	}
	b, err := s.c.GetBytes()
	if err != nil || len(b) == 0 {
		s.done = true
		return nil, false
	}
	return b, true
}

// String draws a length-prefixed string.
//
//go:noinline
func (s *Source) String() (string, bool) {
	if s.done {
		return "", false
	}
	v, err := s.c.GetString()
	return v, s.ok(err)
}

// Struct fills a struct's exported fields (go-fuzz-headers GenerateStruct).
//
//go:noinline
func (s *Source) Struct(v any) {
	if !s.done {
		s.ok(s.c.GenerateStruct(v))
	}
}
