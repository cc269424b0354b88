package derive

import (
	"slices"
	"sync"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// What the contract says about a function or parameter is the same for every input, and a fuzz
// input makes tens of calls: each fact is worked out once, on first use, and kept with the
// contract's own value (a *contract.Function or *contract.Param) as its key. The stress
// workload draws arguments from many goroutines at once, hence the sync.Map.
var (
	pools    sync.Map // *contract.Param -> [][]byte
	repeats  sync.Map // *contract.Function -> bool
	preStats sync.Map // *contract.Function -> []string
	queries  sync.Map // *contract.Function -> boundary.Args
)

// pool is what a bytes or string parameter's values are drawn from besides gen's shapes: its
// examples, then its dictionary's fragments.
func pool(p *contract.Param) [][]byte {
	if v, ok := pools.Load(p); ok {
		return v.([][]byte)
	}
	v, _ := pools.LoadOrStore(p, append(slices.Clip(p.Examples), p.Tokens...))
	return v.([][]byte)
}

// repeatedCall is repeatable(c, f), once per function.
func repeatedCall(c *contract.Contract, f *contract.Function) bool {
	if v, ok := repeats.Load(f); ok {
		return v.(bool)
	}
	v, _ := repeats.LoadOrStore(f, repeatable(c, f))
	return v.(bool)
}

// lengthQuery are the arguments that ask the last-error function lf for its message's length:
// every out_buffer of capacity 0. The map is shared by every call: boundary only reads it.
func lengthQuery(lf *contract.Function) boundary.Args {
	if v, ok := queries.Load(lf); ok {
		return v.(boundary.Args)
	}
	args := boundary.Args{}
	for _, p := range lf.Params {
		if p.Role == contract.RoleOutBuffer {
			args[p.Name] = boundary.Int(0)
		}
	}
	v, _ := queries.LoadOrStore(lf, args)
	return v.(boundary.Args)
}
