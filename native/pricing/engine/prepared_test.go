package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/native/pricing/engine"
)

// The prepared form (inputs copied once, outputs in a reused scratch) answers exactly as the
// typed API, call after call.
func TestPreparedCallsMatchTypedAPI(t *testing.T) {
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		s, err := e.NewScratch()
		require.NoError(t, err)
		defer s.Free()
		args := []engine.QuoteArgs{
			{Req: req(10000, 1, 1, "SAVE10"), ResultStructSize: engine.ResultSize},
			{Req: req(10000, 1, 0, ""), ResultStructSize: engine.ResultSize},
			{Req: req(10000, 3, 0, ""), ResultStructSize: engine.ResultSize},
			{Req: req(10000, 1, 0, "x\xff"), ResultStructSize: engine.ResultSize},
			{Req: req(10000, 1, 0, ""), ResultStructSize: engine.ResultSize + 1},
			{Req: engine.Request{StructSize: engine.RequestSize, ItemCount: 1, RegionID: 1, Coupon: engine.Null(3)}, ResultStructSize: engine.ResultSize},
			{NullReq: true, ResultStructSize: engine.ResultSize},
			{Req: req(10000, 1, 0, ""), NullOut: true},
		}
		for _, a := range args {
			q, err := e.PrepareQuote(a)
			require.NoError(t, err)
			wantRes, wantSt := r.QuoteWith(a)
			for i := 0; i < 3; i++ {
				res, st := r.QuotePrepared(q, s)
				assert.Equal(t, wantSt, st, "%+v", a)
				assert.Equal(t, wantRes, res, "%+v", a)
			}
			assert.False(t, q.Changed())
			q.Free()
		}
		for _, region := range []uint32{1, 2, 3, 7} {
			want, wantSt := r.DescribeAll(region)
			for i := 0; i < 2; i++ {
				text, needed, st := r.DescribeScratch(s, region, len(want))
				assert.Equal(t, wantSt, st)
				if wantSt == engine.OK {
					assert.Equal(t, len(want), needed)
					assert.Equal(t, string(want), string(text))
				}
			}
			if len(want) > 0 {
				_, needed, st := r.DescribeScratch(s, region, len(want)-1)
				assert.Equal(t, engine.BadInput, st, "one byte short")
				assert.Equal(t, len(want), needed)
			}
		}
		exported, st := r.Export()
		require.Equal(t, engine.OK, st)
		wantIn, err := e.NewInput(engine.Bytes(exported))
		require.NoError(t, err)
		defer wantIn.Free()
		otherIn, err := e.NewInput(engine.Bytes([]byte("other")))
		require.NoError(t, err)
		defer otherIn.Free()
		for i := 0; i < 3; i++ {
			same, got, st := r.ExportEqual(s, wantIn)
			assert.Equal(t, engine.OK, st)
			assert.True(t, same, "%q", got)
			same, got, _ = r.ExportEqual(s, otherIn)
			assert.False(t, same)
			assert.Equal(t, exported, got)
		}

		text, err := e.NewInput(engine.Bytes([]byte(refRules)))
		require.NoError(t, err)
		defer text.Free()
		bad, err := e.NewInput(engine.Bytes([]byte("1,0,x\n")))
		require.NoError(t, err)
		defer bad.Free()
		null, err := e.NewInput(engine.Null(0))
		require.NoError(t, err)
		defer null.Free()
		assert.False(t, text.Changed())
		text.Free()
		text, err = e.NewInput(engine.Bytes([]byte(refRules)))
		require.NoError(t, err)
		for i := 0; i < 3; i++ {
			h, st := e.NewRulesScratch(s)
			require.Equal(t, engine.OK, st)
			assert.False(t, h.IsNull())
			assert.Equal(t, engine.OK, h.LoadInput(text))
			assert.Equal(t, engine.BadInput, h.LoadInput(bad))
			assert.Equal(t, engine.OK, h.LoadInput(null), "NULL with length 0 is empty rules")
			h.Free()
		}
	})
}

// No per-call allocations on the Go heap.
func TestPreparedCallsDoNotAllocate(t *testing.T) {
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		s, err := e.NewScratch()
		require.NoError(t, err)
		defer s.Free()
		q, err := e.PrepareQuote(engine.QuoteArgs{Req: req(10000, 1, 1, "SAVE10"), ResultStructSize: engine.ResultSize})
		require.NoError(t, err)
		defer q.Free()
		text, err := e.NewInput(engine.Bytes([]byte(refRules)))
		require.NoError(t, err)
		defer text.Free()
		exported, st := r.Export()
		require.Equal(t, engine.OK, st)
		want, err := e.NewInput(engine.Bytes(exported))
		require.NoError(t, err)
		defer want.Free()
		r.DescribeScratch(s, 1, 64) // makes the buffer
		allocs := testing.AllocsPerRun(100, func() {
			r.QuotePrepared(q, s)
			r.DescribeScratch(s, 1, 64)
			r.ExportEqual(s, want)
			e.NewLoadExportFree(s, text, want)
			h, _ := e.NewRulesScratch(s)
			h.LoadInput(text)
			h.Free()
		})
		assert.Zero(t, allocs)
	})
}

// The one-call alloc/free cycle: clean on the reference rules, a differing export reported with
// its bytes.
func TestNewLoadExportFree(t *testing.T) {
	forEach(t, func(t *testing.T, e *engine.Engine) {
		s, err := e.NewScratch()
		require.NoError(t, err)
		defer s.Free()
		r := loaded(t, e, refRules)
		exported, st := r.Export()
		require.Equal(t, engine.OK, st)
		text, err := e.NewInput(engine.Bytes([]byte(refRules)))
		require.NoError(t, err)
		defer text.Free()
		want, err := e.NewInput(engine.Bytes(exported))
		require.NoError(t, err)
		defer want.Free()
		other, err := e.NewInput(engine.Bytes([]byte("something else")))
		require.NoError(t, err)
		defer other.Free()
		bad, err := e.NewInput(engine.Bytes([]byte("1,0,x\n")))
		require.NoError(t, err)
		defer bad.Free()
		for i := 0; i < 3; i++ {
			c := e.NewLoadExportFree(s, text, want)
			assert.Equal(t, engine.Cycle{New: engine.OK, Load: engine.OK, Export: engine.OK, Same: true}, c)
		}
		c := e.NewLoadExportFree(s, text, other)
		assert.False(t, c.Same)
		assert.Equal(t, exported, c.Got)
		c = e.NewLoadExportFree(s, bad, want)
		assert.Equal(t, engine.BadInput, c.Load)
		assert.Equal(t, engine.OK, c.Export)
		assert.False(t, c.Same, "a failed load leaves the rules empty")
		assert.Equal(t, []byte{}, c.Got)
	})
}
