package claims

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

func load(t *testing.T, boundary string) *contract.Contract {
	c, err := contract.Load(filepath.Join("..", "native", boundary, "contract.yaml"))
	require.NoError(t, err)
	return c
}

// Each claim gets its check; none is never run, and a handle type's row blames the
// functions that share its claim.
func TestPlanFollowsTheClaims(t *testing.T) {
	what := func(c *contract.Contract) map[string]string {
		m := map[string]string{}
		for _, ch := range Plan(c) {
			name := ch.Subject
			if ch.IsType {
				name = "type " + name
			}
			m[name] = ch.What
			if !ch.Runs() {
				m[name] = "not run: " + ch.Why
			}
		}
		return m
	}
	pricing := what(load(t, "pricing"))
	assert.Equal(t, map[string]string{
		"seam_abi_version": checkParallel, "seam_engine_name": checkParallel, "seam_layout": checkParallel,
		"pricing_rules_new": checkParallel, "pricing_rules_load": checkExclusive, "pricing_quote": checkShared,
		"pricing_rules_describe": checkShared, "pricing_rules_export": checkShared, "seam_bytes_free": checkParallel,
		"pricing_rules_free": checkExclusive, "seam_last_error": checkPerThread, "type pricing_rules": checkType,
	}, pricing)
	tally := what(load(t, "tally"))
	for _, n := range []string{"tally_feed", "tally_finish", "tally_count", "tally_top", "tally_free", "type tally"} {
		assert.Equal(t, "not run: "+NotSharedWhy, tally[n], n)
	}
	assert.Equal(t, checkParallel, tally["tally_checksum"])
	assert.Equal(t, checkParallel, tally["tally_entries_free"], "its allocator runs on a private handle per thread")

	for _, ch := range Plan(load(t, "pricing")) {
		if ch.IsType {
			assert.Equal(t, []string{"pricing_rules_load", "pricing_rules_free"}, ch.Blames)
		}
	}
}

// A race is put on the functions at the top of its accesses' stacks, never on a function
// that only made the memory (the allocation stack), and on the exclusive one when an
// exclusive call raced a reader.
func TestBlameNamesTheFunctionWhoseClaimBreaks(t *testing.T) {
	c := load(t, "pricing")
	quoteQuote := `==================
WARNING: ThreadSanitizer: data race (pid=4242)
  Read of size 8 at 0x7f00 by thread T3:
    #0 pricing_quote::$_0::operator()() const /src/pricing.cpp:323 (libseam_cpp.so+0x1)
    #1 int guard<pricing_quote::$_0>(pricing_quote::$_0) /src/pricing.cpp:40 (libseam_cpp.so+0x2)
    #2 pricing_quote /src/pricing.cpp:300 (libseam_cpp.so+0x3)
    #3 seam_ffi_call4 ffi.c:10 (seam+0x4)

  Previous write of size 8 at 0x7f00 by thread T5:
    #0 pricing_quote::$_0::operator()() const /src/pricing.cpp:327 (libseam_cpp.so+0x5)
    #1 seam_ffi_call4 ffi.c:10 (seam+0x4)

  Location is global 'cached_key' of size 8 at 0x7f00 (libseam_cpp.so+0x9)

  Thread T3 (tid=11, running) created by main thread at:
    #0 pthread_create tsan_interceptors.cpp:1022 (libtsan.so.2+0x1)
    #1 pricing_rules_new /src/pricing.cpp:1 (libseam_cpp.so+0x7)

SUMMARY: ThreadSanitizer: data race /src/pricing.cpp:323 in pricing_quote::$_0::operator()() const
`
	assert.Equal(t, []string{"pricing_quote"}, Blame(quoteQuote, c))

	loadQuote := `WARNING: ThreadSanitizer: data race (pid=1)
  Write of size 8 at 0x7b by thread T1:
    #0 std::map<int, rule>::swap(std::map<int, rule>&) /usr/include/c++/12/bits/stl_map.h:1 (libseam_cpp.so+0x1)
    #1 pricing_rules_load /src/pricing.cpp:291 (libseam_cpp.so+0x2)

  Previous read of size 8 at 0x7b by thread T2:
    #0 pricing_quote /src/pricing.cpp:310 (libseam_cpp.so+0x3)

  Location is heap block of size 96 at 0x7b allocated by main thread:
    #0 operator new(unsigned long) (libtsan.so.2+0x1)
    #1 pricing_rules_new /src/pricing.cpp:270 (libseam_cpp.so+0x4)
`
	assert.Equal(t, []string{"pricing_rules_load", "pricing_quote"}, Blame(loadQuote, c))
	assert.Equal(t, []string{"pricing_rules_load"}, culprits(Blame(loadQuote, c), c), "the exclusive call should have refused")
	assert.Equal(t, []string{"pricing_quote"}, culprits(Blame(quoteQuote, c), c))

	assert.Nil(t, Blame("==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n    #0 pricing_quote x.cpp:1\n", c))
	assert.Nil(t, Blame("WARNING: ThreadSanitizer: data race (pid=1)\n  Write of size 8 at 0x1 by thread T1:\n    #0 helper x.cpp:1\n", c),
		"no contract function in the stacks: the row whose check ran keeps it")
}

// Ordinary arguments stay inside the contract's ranges and enums, the same for the same seed
// (each thread and the serial part draw the same pool).
func TestArgsAreOrdinaryAndRepeatable(t *testing.T) {
	b := openBoundary(t, "pricing")
	f := b.Contract.Function("pricing_quote")
	a1, a2 := newArgs(b, 9).call(f, nil), newArgs(b, 9).call(f, nil)
	assert.Equal(t, a1, a2)
	req := a1["req"].Fields
	require.NotNil(t, req)
	assert.GreaterOrEqual(t, req["item_count"].Int, int64(1))
	assert.Contains(t, []int64{0, 1, 2}, req["customer_tier"].Int)
}

func openBoundary(t *testing.T, name string) *boundary.Boundary {
	b, err := boundary.Load(filepath.Join("..", "native", name, "contract.yaml"))
	require.NoError(t, err)
	return b
}
