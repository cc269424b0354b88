package claims

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// args draws ordinary arguments from the contract's roles: every value inside its range,
// enum or mask, so a call fails only where the state makes it fail. The checks compare a
// concurrent answer with the serial one, so the arguments need not be clever, only valid
// often enough that the calls reach the engine's shared state. The draws are seeded: a
// child that reproduces a row draws what the first run drew.
type args struct {
	b   *boundary.Boundary
	rng *rand.Rand
}

func newArgs(b *boundary.Boundary, seed uint64) *args {
	return &args{b: b, rng: rand.New(rand.NewPCG(seed, 0x5eab))}
}

// call draws the arguments of f, its handle parameters given by type (a parameter of a type
// not in handles is left out, so the boundary refuses the call: the caller only asks for
// functions whose handles it has).
func (a *args) call(f *contract.Function, handles map[string]*boundary.Handle) boundary.Args {
	out := boundary.Args{}
	for _, p := range f.Params {
		a.param(p, out, handles)
	}
	return out
}

func (a *args) param(p *contract.Param, out boundary.Args, handles map[string]*boundary.Handle) {
	switch p.Role {
	case contract.RoleHandle:
		if h := handles[p.Of]; h != nil {
			out[p.Name] = boundary.Of(h)
		}
	case contract.RoleInt:
		out[p.Name] = boundary.Int(a.intValue(p))
	case contract.RoleBytes, contract.RoleString:
		out[p.Name] = boundary.Bytes(a.text(p, shapeWords))
	case contract.RoleStruct:
		fields := map[string]boundary.Value{}
		for _, fp := range p.Fields {
			a.param(fp, fields, handles)
		}
		out[p.Name] = boundary.Struct(fields)
	case contract.RoleOutBuffer:
		out[p.Name] = boundary.Int(4096) // room for any answer the checks read
	}
}

// intValue is a small value from the low end of a range (where tables keep their first
// entries), one of an enum's values, a subset of a mask, or a small number.
func (a *args) intValue(p *contract.Param) int64 {
	switch {
	case p.Range[0] != "":
		lo, _ := a.resolve(p.Range[0])
		hi, ok := a.resolve(p.Range[1])
		if !ok || hi < lo {
			return lo
		}
		return lo + a.rng.Int64N(min(hi-lo, 2)+1)
	case len(p.Enum) > 0:
		v, _ := a.resolve(p.Enum[a.rng.IntN(len(p.Enum))])
		return v
	case p.Flags != "":
		mask, _ := a.resolve(p.Flags)
		return mask & a.rng.Int64()
	}
	return a.rng.Int64N(64)
}

func (a *args) resolve(s string) (int64, bool) {
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return v, true
	}
	return a.b.Header.Const(s)
}

// text is the shape-th candidate of a byte or string argument. Shape 0 is empty; the others
// are the shapes configuration and data texts commonly take, so some fill call among the
// candidates leaves real state behind: a table of lines, each a distinct combination of
// small keys in its leading columns and small numbers after (CSV-like), words, and raw
// bytes where the encoding allows. Each stays under the parameter's max.
func (a *args) text(p *contract.Param, shape int) []byte {
	limit := 4096
	if n, ok := a.resolve(p.Max); ok && n < int64(limit) {
		limit = int(n)
	}
	var b []byte
	switch {
	case shape == 0:
		b = []byte{}
	case shape <= 6: // a table of 2..7 columns
		var s strings.Builder
		for line := 0; line < 9; line++ {
			cols := []string{strconv.Itoa(line / 3), strconv.Itoa(line % 3)}
			for c := 2; c <= shape; c++ {
				cols = append(cols, strconv.Itoa(a.rng.IntN(100)))
			}
			s.WriteString(strings.Join(cols, ",") + "\n")
		}
		b = []byte(s.String())
	case shape == shapeWords:
		words := []string{"alpha", "beta", "gamma", "delta", "alpha", "beta", "alpha"}
		var s strings.Builder
		for i := 0; i < 24; i++ {
			fmt.Fprintf(&s, "%s ", words[a.rng.IntN(len(words))])
		}
		b = []byte(s.String())
	default:
		b = make([]byte, 64)
		for i := range b {
			b[i] = byte(a.rng.IntN(256))
			if p.Encoding == "utf8" || p.Role == contract.RoleString {
				b[i] = 'a' + byte(a.rng.IntN(26))
			}
		}
	}
	if len(b) > limit {
		b = b[:limit]
	}
	return b
}

// textShapes is how many shapes text has.
const textShapes = 9

// shapeWords is the shape of an ordinary call's text: words, never empty (an empty string is
// often a broken precondition).
const shapeWords = 7
