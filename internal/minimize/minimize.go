// Package minimize shrinks a failing input while it keeps failing the same way (Go's fuzzer
// does not minimize native crashes). The caller's predicate runs the candidate, in a child
// process, and compares signatures.
package minimize

import (
	"context"
	"errors"
)

// Options bound the work.
type Options struct {
	MaxTries int // 0 = 2000
}

// Stats describe a run.
type Stats struct{ Tries, From, To int }

// Bytes runs delta debugging: remove chunks of halving size, then single bytes, then simplify
// bytes to '0'. The result is never larger than input and still fails (every accepted step was
// checked). When ctx ends or the tries run out, the smallest failing input so far is returned
// with ctx's error.
func Bytes(ctx context.Context, input []byte, stillFails func(context.Context, []byte) (bool, error), opts Options) ([]byte, Stats, error) {
	if opts.MaxTries == 0 {
		opts.MaxTries = 2000
	}
	st := Stats{From: len(input)}
	best := append([]byte(nil), input...)
	try := func(cand []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if st.Tries >= opts.MaxTries {
			return false, errors.New("minimize: out of tries")
		}
		st.Tries++
		return stillFails(ctx, cand)
	}
	finish := func(err error) ([]byte, Stats, error) {
		st.To = len(best)
		return best, st, err
	}
	for chunk := len(best) / 2; chunk >= 1; chunk /= 2 {
		for start := 0; start+chunk <= len(best); {
			cand := append(append([]byte(nil), best[:start]...), best[start+chunk:]...)
			ok, err := try(cand)
			if err != nil {
				return finish(err)
			}
			if ok {
				best = cand // keep start: the next chunk moved into place
				continue
			}
			start += chunk
		}
	}
	for i := 0; i < len(best); i++ {
		if best[i] == '0' {
			continue
		}
		cand := append([]byte(nil), best...)
		cand[i] = '0'
		ok, err := try(cand)
		if err != nil {
			return finish(err)
		}
		if ok {
			best = cand
		}
	}
	return finish(nil)
}
