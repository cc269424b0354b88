package derive

import "github.com/seamfuzz/seam/boundary"

// Results runs data's program on one engine and returns every call's result (for tests that
// look at what the engines did, not only at the verdict).
func Results(t Target, e *boundary.Engine, data []byte) ([]boundary.Result, error) {
	recs, err := t.exec(e, t.decode(data), true)
	var out []boundary.Result
	for _, r := range recs {
		out = append(out, r.res)
	}
	return out, err
}

// FillsByte is the byte that makes a target draw n fills (its leading one bits).
func FillsByte(n int) byte { return byte(0xFF << (8 - min(n, maxFills))) }
