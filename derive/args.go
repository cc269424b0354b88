package derive

import (
	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/gen"
)

// CallArgs draws the arguments of one call of f from g, each shaped by its parameter's role
// exactly as the fuzz targets draw them (the stress workload shares this, so the two never
// disagree on what a valid or a broken value is). Handle parameters are left out: the caller
// supplies its own handles. ordinary draws only valid values. Buffers stay small (a 1 MiB
// shape is the function targets' business). probe names an out_buffer whose capacity must be
// the needed size plus delta, learnt from a call with capacity 0 first; "" when none.
func CallArgs(b *boundary.Boundary, f *contract.Function, g *gen.Gen, ordinary bool) (args boundary.Args, probe string, delta int64) {
	d := &decoder{g: g, b: b, small: true}
	s := step{fn: f, args: boundary.Args{}, makes: -1}
	for _, p := range f.Params {
		if p.Role != contract.RoleHandle {
			d.param(&s, f, p, s.args, ordinary)
		}
	}
	return s.args, s.probe, s.delta
}
