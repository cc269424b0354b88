package engine_test

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seamfuzz/seam/native/pricing/engine"
	"github.com/seamfuzz/seam/native/pricing/engine/enginetest"
)

func TestMain(m *testing.M) { enginetest.Main(m) }

// The reference rule set every quote case below is priced against.
const refRules = `# region,tier,discount_bp,tax_bp[,CODE:extra_bp]
1,0,1000,825
1,1,1500,825,SAVE10:1000
1,2,0,0
2,0,250,2000
7,0,5000,1000,HALF:5000
65535,2,1,1
`

// forEach runs body once per engine (the zlib-rs habit: one table, every implementation).
func forEach(t *testing.T, body func(t *testing.T, e *engine.Engine)) {
	for _, e := range enginetest.Both(t) {
		t.Run(e.Name(), func(t *testing.T) { body(t, e) })
	}
}

func loaded(t *testing.T, e *engine.Engine, text string) *engine.Rules {
	t.Helper()
	r, st := e.NewRules()
	require.Equal(t, engine.OK, st)
	t.Cleanup(r.Free)
	require.Equal(t, engine.OK, r.Load(engine.Bytes([]byte(text))), "rules must load")
	return r
}

func req(subtotal int64, region, tier uint32, coupon string) engine.Request {
	q := engine.NewRequest(1, subtotal, region, tier)
	if coupon != "" {
		q.Coupon = engine.Bytes([]byte(coupon))
	}
	return q
}

func TestQuoteToTheCent(t *testing.T) {
	cases := []struct {
		name                 string
		req                  engine.Request
		final, discount, tax int64
	}{
		{"plain", req(10000, 1, 0, ""), 9742, 1000, 742}, // tax 742.5 -> 742 (even)
		{"round up above half", req(10001, 1, 0, ""), 9744, 1000, 743},
		{"half to even, odd q goes up", req(667, 1, 0, ""), 650, 67, 50}, // tax 49.5 -> 50
		{"half to even, even q stays", req(222, 1, 0, ""), 216, 22, 16},  // tax 16.5 -> 16
		{"coupon matches", req(10000, 1, 1, "SAVE10"), 8119, 2500, 619},
		{"no coupon", req(10000, 1, 1, ""), 9201, 1500, 701},
		{"coupon prefix does not match", req(10000, 1, 1, "SAVE1"), 9201, 1500, 701},
		{"coupon with NUL does not match", req(10000, 1, 1, "SAVE10\x00"), 9201, 1500, 701},
		{"discount capped at 100%", req(12345, 7, 0, "HALF"), 0, 12345, 0},
		{"max subtotal", req(engine.MaxSubtotalCents, 2, 0, ""), 117_000_000_000, 2_500_000_000, 19_500_000_000},
		{"zero rates", req(999, 1, 2, ""), 999, 0, 0},
		{"zero subtotal", req(0, 1, 0, ""), 0, 0, 0},
		{"max region id", req(10000, engine.MaxRegionID, 2, ""), 10000, 1, 1},
	}
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		for _, c := range cases {
			got, st := r.Quote(c.req)
			if assert.Equal(t, engine.OK, st, c.name) {
				assert.Equal(t, engine.Result{FinalPriceCents: c.final, DiscountCents: c.discount, TaxCents: c.tax}, got, c.name)
			}
		}
	})
}

func TestQuoteStatuses(t *testing.T) {
	valid := req(10000, 1, 0, "")
	with := func(f func(*engine.Request)) engine.Request { q := valid; f(&q); return q }
	coupon := func(b []byte) engine.Request { return with(func(q *engine.Request) { q.Coupon = engine.Bytes(b) }) }
	cases := []struct {
		name string
		args engine.QuoteArgs
		want engine.Status
	}{
		{"valid", engine.QuoteArgs{Req: valid}, engine.OK},
		{"no rule for region", engine.QuoteArgs{Req: req(1, 3, 0, "")}, engine.NoRule},
		{"no rule for tier", engine.QuoteArgs{Req: req(1, 2, 1, "")}, engine.NoRule},
		{"item count 0", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.ItemCount = 0 })}, engine.BadInput},
		{"item count at limit", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.ItemCount = engine.MaxItemCount })}, engine.OK},
		{"item count one past", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.ItemCount = engine.MaxItemCount + 1 })}, engine.BadInput},
		{"negative subtotal", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.SubtotalCents = -1 })}, engine.BadInput},
		{"min int64 subtotal", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.SubtotalCents = math.MinInt64 })}, engine.BadInput},
		{"subtotal one past", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.SubtotalCents = engine.MaxSubtotalCents + 1 })}, engine.BadInput},
		{"max int64 subtotal", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.SubtotalCents = math.MaxInt64 })}, engine.BadInput},
		{"region one past", engine.QuoteArgs{Req: req(1, engine.MaxRegionID+1, 0, "")}, engine.BadInput},
		{"tier one past", engine.QuoteArgs{Req: req(1, 1, engine.TierCount, "")}, engine.BadInput},
		{"tier max uint32", engine.QuoteArgs{Req: req(1, 1, math.MaxUint32, "")}, engine.BadInput},
		{"coupon at limit", engine.QuoteArgs{Req: coupon(bytes.Repeat([]byte("A"), engine.MaxCouponLen))}, engine.OK},
		{"coupon one past", engine.QuoteArgs{Req: coupon(bytes.Repeat([]byte("A"), engine.MaxCouponLen+1))}, engine.BadInput},
		{"coupon empty non-NULL", engine.QuoteArgs{Req: coupon([]byte{})}, engine.OK},
		{"coupon NULL len 0", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.Coupon = engine.Null(0) })}, engine.OK},
		{"coupon NULL len 5", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.Coupon = engine.Null(5) })}, engine.BadInput},
		{"coupon 0xFF", engine.QuoteArgs{Req: coupon([]byte{'A', 0xFF})}, engine.BadInput},
		{"coupon overlong NUL", engine.QuoteArgs{Req: coupon([]byte{0xC0, 0x80})}, engine.BadInput},
		{"coupon surrogate", engine.QuoteArgs{Req: coupon([]byte{0xED, 0xA0, 0x80})}, engine.BadInput},
		{"coupon truncated sequence", engine.QuoteArgs{Req: coupon([]byte{'A', 0xE2, 0x82})}, engine.BadInput},
		{"coupon above U+10FFFF", engine.QuoteArgs{Req: coupon([]byte{0xF4, 0x90, 0x80, 0x80})}, engine.BadInput},
		{"coupon 4-byte valid", engine.QuoteArgs{Req: coupon([]byte("\xF0\x9F\x98\x80"))}, engine.OK},
		{"request struct_size one short", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.StructSize-- })}, engine.BadInput},
		{"request struct_size one over", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.StructSize++ })}, engine.BadInput},
		{"request struct_size 0", engine.QuoteArgs{Req: with(func(q *engine.Request) { q.StructSize = 0 })}, engine.BadInput},
		{"result struct_size one short", engine.QuoteArgs{Req: valid, ResultStructSize: engine.ResultSize - 1}, engine.BadInput},
		{"result struct_size one over", engine.QuoteArgs{Req: valid, ResultStructSize: engine.ResultSize + 1}, engine.BadInput},
		{"NULL request", engine.QuoteArgs{NullReq: true}, engine.BadInput},
		{"NULL result", engine.QuoteArgs{Req: valid, NullOut: true}, engine.BadInput},
	}
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		for _, c := range cases {
			if c.args.ResultStructSize == 0 {
				c.args.ResultStructSize = engine.ResultSize
			}
			_, st := r.QuoteWith(c.args)
			assert.Equal(t, c.want, st, c.name)
		}
		_, st := e.NullRules().Quote(valid)
		assert.Equal(t, engine.BadInput, st, "NULL handle")
		empty, st := e.NewRules()
		require.Equal(t, engine.OK, st)
		defer empty.Free()
		_, st = empty.Quote(valid)
		assert.Equal(t, engine.NoRule, st, "a new handle has no rules")
	})
}

func TestLoadStatuses(t *testing.T) {
	line := func(region, tier int) string { return fmt.Sprintf("%d,%d,0,0\n", region, tier) }
	nRules := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(line(i/3, i%3))
		}
		return b.String()
	}
	// A text of exactly n bytes: comment lines (full length) then padding.
	sized := func(n int) string {
		var b strings.Builder
		for b.Len()+engine.MaxLineLen+1 <= n {
			b.WriteString("#" + strings.Repeat("x", engine.MaxLineLen-1) + "\n")
		}
		if rest := n - b.Len(); rest > 0 {
			b.WriteString("#" + strings.Repeat("y", rest-1))
		}
		return b.String()
	}
	code32 := strings.Repeat("C", engine.MaxCouponLen)
	cases := []struct {
		name string
		text engine.In
		want engine.Status
	}{
		{"NULL with len 0", engine.Null(0), engine.OK},
		{"NULL with len 5", engine.Null(5), engine.BadInput},
		{"empty", engine.Bytes([]byte{}), engine.OK},
		{"reference", engine.Bytes([]byte(refRules)), engine.OK},
		{"text at limit", engine.Bytes([]byte(sized(engine.MaxRulesText))), engine.OK},
		{"text one past", engine.Bytes([]byte(sized(engine.MaxRulesText + 1))), engine.BadInput},
		{"line at limit", engine.Bytes([]byte("#" + strings.Repeat("z", engine.MaxLineLen-1) + "\n")), engine.OK},
		{"line one past", engine.Bytes([]byte("#" + strings.Repeat("z", engine.MaxLineLen) + "\n")), engine.BadInput},
		{"line at limit with CRLF", engine.Bytes([]byte("#" + strings.Repeat("z", engine.MaxLineLen-1) + "\r\n")), engine.OK},
		{"rules at limit", engine.Bytes([]byte(nRules(engine.MaxRules))), engine.OK},
		{"rules one past", engine.Bytes([]byte(nRules(engine.MaxRules + 1))), engine.BadInput},
		{"CRLF and no final newline", engine.Bytes([]byte("1,0,1,1\r\n2,0,1,1\r")), engine.OK},
		{"NUL in a comment", engine.Bytes([]byte("# a\x00b\n1,0,1,1\n")), engine.OK},
		{"NUL in a rule", engine.Bytes([]byte("1,0,1,1\x00\n")), engine.BadInput},
		{"invalid UTF-8 in a comment", engine.Bytes([]byte("#\xff\n")), engine.BadInput},
		{"overlong in a comment", engine.Bytes([]byte("#\xc0\x80\n")), engine.BadInput},
		{"surrogate in a comment", engine.Bytes([]byte("#\xed\xa0\x80\n")), engine.BadInput},
		{"valid UTF-8 in a comment", engine.Bytes([]byte("# prix réduit ✓ 😀\n1,0,1,1\n")), engine.OK},
		{"too few fields", engine.Bytes([]byte("1,0,1000\n")), engine.BadInput},
		{"too many fields", engine.Bytes([]byte("1,0,0,0,A:1,B:2\n")), engine.BadInput},
		{"bp at limit", engine.Bytes([]byte("1,0,10000,10000,A:10000\n")), engine.OK},
		{"discount one past", engine.Bytes([]byte("1,0,10001,0\n")), engine.BadInput},
		{"tax one past", engine.Bytes([]byte("1,0,0,10001\n")), engine.BadInput},
		{"extra one past", engine.Bytes([]byte("1,0,0,0,A:10001\n")), engine.BadInput},
		{"tier one past", engine.Bytes([]byte("1,3,0,0\n")), engine.BadInput},
		{"region at limit", engine.Bytes([]byte("65535,0,0,0\n")), engine.OK},
		{"region one past", engine.Bytes([]byte("65536,0,0,0\n")), engine.BadInput},
		{"five digits with zeros", engine.Bytes([]byte("00001,0,00000,0\n")), engine.OK},
		{"six digits", engine.Bytes([]byte("000001,0,0,0\n")), engine.BadInput},
		{"empty field", engine.Bytes([]byte("1,,0,0\n")), engine.BadInput},
		{"sign", engine.Bytes([]byte("+1,0,0,0\n")), engine.BadInput},
		{"leading space", engine.Bytes([]byte(" 1,0,0,0\n")), engine.BadInput},
		{"trailing space", engine.Bytes([]byte("1,0,0,0 \n")), engine.BadInput},
		{"lowercase code", engine.Bytes([]byte("1,0,0,0,save:1\n")), engine.BadInput},
		{"empty code", engine.Bytes([]byte("1,0,0,0,:1\n")), engine.BadInput},
		{"code without bp", engine.Bytes([]byte("1,0,0,0,SAVE\n")), engine.BadInput},
		{"code at limit", engine.Bytes([]byte("1,0,0,0," + code32 + ":1\n")), engine.OK},
		{"code one past", engine.Bytes([]byte("1,0,0,0," + code32 + "C:1\n")), engine.BadInput},
		{"duplicate region,tier", engine.Bytes([]byte("1,0,0,0\n1,0,5,5\n")), engine.BadInput},
		{"lone CR mid-line", engine.Bytes([]byte("1,0,0\r,0\n")), engine.BadInput},
	}
	forEach(t, func(t *testing.T, e *engine.Engine) {
		for _, c := range cases {
			r, st := e.NewRules()
			require.Equal(t, engine.OK, st)
			assert.Equal(t, c.want, r.Load(c.text), c.name)
			r.Free()
		}
		assert.Equal(t, engine.BadInput, e.NullRules().Load(engine.Bytes([]byte(refRules))), "NULL handle")
		assert.Equal(t, engine.BadInput, e.NewRulesNullOut(), "pricing_rules_new(NULL)")
	})
}

func TestLoadIsAtomicAndReplaces(t *testing.T) {
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		before, st := r.Quote(req(10000, 1, 0, ""))
		require.Equal(t, engine.OK, st)
		assert.Equal(t, engine.BadInput, r.Load(engine.Bytes([]byte("1,0,5000,0\nbroken\n"))))
		after, st := r.Quote(req(10000, 1, 0, ""))
		require.Equal(t, engine.OK, st, "a failed load keeps the old rules")
		assert.Equal(t, before, after)
		require.Equal(t, engine.OK, r.Load(engine.Bytes([]byte("1,0,5000,0\n"))))
		got, st := r.Quote(req(10000, 1, 0, ""))
		require.Equal(t, engine.OK, st)
		assert.Equal(t, int64(5000), got.FinalPriceCents, "a good load replaces the rules")
		_, st = r.Quote(req(10000, 2, 0, ""))
		assert.Equal(t, engine.NoRule, st, "rules not in the new text are gone")
	})
}

func TestDescribe(t *testing.T) {
	want := "tier=0 discount_bp=1000 tax_bp=825\n" +
		"tier=1 discount_bp=1500 tax_bp=825 coupon=SAVE10 extra_bp=1000\n" +
		"tier=2 discount_bp=0 tax_bp=0\n"
	n := len(want)
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		type c struct {
			name   string
			args   engine.DescribeArgs
			st     engine.Status
			needed int
			text   string
		}
		for _, x := range []c{
			{"cap 0, NULL buf", engine.DescribeArgs{Region: 1, Cap: 0, NullBuf: true}, engine.BadInput, n, ""},
			{"cap 0", engine.DescribeArgs{Region: 1, Cap: 0}, engine.BadInput, n, ""},
			{"cap one short", engine.DescribeArgs{Region: 1, Cap: n - 1}, engine.BadInput, n, ""},
			{"cap exact", engine.DescribeArgs{Region: 1, Cap: n}, engine.OK, n, want},
			{"cap one over", engine.DescribeArgs{Region: 1, Cap: n + 1}, engine.OK, n, want},
			{"region without rules", engine.DescribeArgs{Region: 3, Cap: 64}, engine.NoRule, 0, ""},
			{"region one past", engine.DescribeArgs{Region: engine.MaxRegionID + 1, Cap: 64}, engine.BadInput, -2, ""},
			{"NULL buf with cap", engine.DescribeArgs{Region: 1, Cap: 8, NullBuf: true}, engine.BadInput, -2, ""},
			{"NULL needed", engine.DescribeArgs{Region: 1, Cap: n, NullNeeded: true}, engine.BadInput, -1, ""},
		} {
			text, needed, st := r.Describe(x.args)
			assert.Equal(t, x.st, st, x.name)
			if x.needed != -2 { // -2: the header does not fix *needed for this error
				assert.Equal(t, x.needed, needed, x.name+": *needed")
			}
			if x.st == engine.OK {
				assert.Equal(t, x.text, string(text), x.name)
			}
		}
		got, st := r.DescribeAll(7)
		require.Equal(t, engine.OK, st)
		assert.Equal(t, "tier=0 discount_bp=5000 tax_bp=1000 coupon=HALF extra_bp=5000\n", string(got))
		_, _, st = e.NullRules().Describe(engine.DescribeArgs{Region: 1, Cap: 8})
		assert.Equal(t, engine.BadInput, st, "NULL handle")
	})
}

func TestExportRoundTrip(t *testing.T) {
	canonical := "1,0,1000,825\n1,1,1500,825,SAVE10:1000\n1,2,0,0\n2,0,250,2000\n7,0,5000,1000,HALF:5000\n65535,2,1,1\n"
	forEach(t, func(t *testing.T, e *engine.Engine) {
		// Shuffled, with comments, zeros and CRLF: export is canonical.
		r := loaded(t, e, "# x\r\n65535,2,01,1\r\n7,0,5000,1000,HALF:5000\n2,0,250,2000\n1,2,0,0\n1,1,1500,825,SAVE10:1000\n1,0,1000,00825")
		out, st := r.Export()
		require.Equal(t, engine.OK, st)
		assert.Equal(t, canonical, string(out))
		again := loaded(t, e, string(out))
		out2, st := again.Export()
		require.Equal(t, engine.OK, st)
		assert.Equal(t, out, out2, "loading the export gives the same rules")
		for i := 0; i < 200; i++ { // repeated alloc/free
			o, st := r.Export()
			require.Equal(t, engine.OK, st)
			require.Len(t, o, len(canonical))
		}
		empty := loaded(t, e, "")
		o, st := empty.Export()
		assert.Equal(t, engine.OK, st)
		assert.Empty(t, o)
		_, st = r.ExportWith(engine.ExportArgs{NullOut: true})
		assert.Equal(t, engine.BadInput, st)
		_, st = r.ExportWith(engine.ExportArgs{NullLen: true})
		assert.Equal(t, engine.BadInput, st)
		_, st = e.NullRules().Export()
		assert.Equal(t, engine.BadInput, st)
		e.FreeBytes(nil, 0)  // NULL is fine
		e.NullRules().Free() // NULL is fine
	})
}

// Two threads fail differently at the same time; each must read its own message back.
func TestLastErrorIsPerThread(t *testing.T) {
	forEach(t, func(t *testing.T, e *engine.Engine) {
		r := loaded(t, e, refRules)
		var wg sync.WaitGroup
		var ready sync.WaitGroup
		msgs := make([]string, 2)
		statuses := make([]engine.Status, 2)
		ready.Add(2)
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
				if i == 0 {
					statuses[i] = r.Load(engine.Null(3))
				} else {
					_, statuses[i] = r.Quote(req(1, 3, 0, ""))
				}
				ready.Done()
				ready.Wait() // both failed before either reads
				msgs[i] = e.LastError()
			}(i)
		}
		wg.Wait()
		assert.Equal(t, []engine.Status{engine.BadInput, engine.NoRule}, statuses)
		assert.NotEmpty(t, msgs[0])
		assert.NotEmpty(t, msgs[1])
		assert.NotEqual(t, msgs[0], msgs[1], "each thread sees its own last error")

		// Truncation: the full length is returned, at most cap bytes written.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		require.Equal(t, engine.BadInput, r.Load(engine.Null(1)))
		full := e.LastError()
		part, n := e.LastErrorRaw(3)
		assert.Equal(t, len(full), n)
		assert.Equal(t, full[:3], string(part))
		_, n = e.LastErrorRaw(0)
		assert.Equal(t, len(full), n)
		// A success leaves the slot unchanged.
		_, st := r.Quote(req(1, 1, 0, ""))
		require.Equal(t, engine.OK, st)
		assert.Equal(t, full, e.LastError())
	})
}
