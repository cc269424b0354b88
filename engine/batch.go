package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../native/pricing/include
#include "batch.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/seamfuzz/seam/ffi"
)

// Batch is one worker's pool of prepared calls, run in native code many calls per cgo crossing
// (batch.h says why and how). Entries are set from Go (SetQuote, SetDescribe, ...); Run makes
// calls of entries picked at random until one is flagged; a flagged entry's outputs are then
// read with Quoted, Described, Exported or Cycled, which are what the Go calls return, so the
// same check decides. A Batch is used by one goroutine.
type Batch struct {
	e    *Engine
	b    *C.seam_batch
	ops  []C.seam_bop
	pool int
}

// BatchMaxOps is the most operations a batch counts per op.
const BatchMaxOps = C.BATCH_MAX_OPS

// NewBatch makes a batch of pool entries (a power of two), all run in Go until set. seed
// starts the xorshift that picks entries (non-zero). walState and walSeq, when not nil, are the
// worker's write-ahead words (wal.Slot.Words).
func (e *Engine) NewBatch(pool int, seed uint64, walState *uint32, walSeq *uint64) (*Batch, error) {
	if pool <= 0 || pool&(pool-1) != 0 {
		return nil, fmt.Errorf("batch: pool size %d is not a power of two", pool)
	}
	if seed == 0 {
		return nil, fmt.Errorf("batch: the xorshift seed must not be 0")
	}
	b := C.batch_alloc(C.size_t(pool))
	if b == nil {
		return nil, fmt.Errorf("batch: mmap of %d entries failed", pool)
	}
	b.t, b.mask, b.x = e.t, C.uint64_t(pool-1), C.uint64_t(seed)
	// The WAL is a shared file mapping, not Go memory: C may keep pointers into it.
	b.wal_state, b.wal_seq = (*C.uint32_t)(unsafe.Pointer(walState)), (*C.uint64_t)(unsafe.Pointer(walSeq))
	return &Batch{e: e, b: b, ops: unsafe.Slice(b.ops, pool), pool: pool}, nil
}

// Close unmaps the batch (entries hold no resources of their own).
func (b *Batch) Close() {
	if b.b != nil {
		C.batch_release(b.b, C.size_t(b.pool))
		b.b, b.ops = nil, nil
	}
}

// statusBits is the mask of statuses for the fast check.
func statusBits(sts ...Status) C.uint32_t {
	var m C.uint32_t
	for _, st := range sts {
		if uint32(st+1) < 32 {
			m |= 1 << uint32(st+1)
		}
	}
	return m
}

// AnyStatus passes every status in a range the batch counts.
var AnyStatus = func() []Status {
	var all []Status
	for st := Status(-1); st < C.BATCH_STATUS_SLOTS-1; st++ {
		all = append(all, st)
	}
	return all
}()

func (b *Batch) entry(i, op int, kind C.uint32_t) *C.seam_bop {
	if op < 0 || op >= BatchMaxOps {
		panic(fmt.Sprintf("batch: op index %d", op))
	}
	o := &b.ops[i]
	*o = C.seam_bop{kind: kind, op: C.uint32_t(op)}
	return o
}

// SetGo makes entry i a call the batch does not run: Run stops before it and Go runs it.
func (b *Batch) SetGo(i int) { b.ops[i] = C.seam_bop{kind: C.BOP_GO} }

// SetQuote makes entry i QuotePrepared(q, s) on r. Statuses in pass are good; a status in
// check is good when the result equals want.
func (b *Batch) SetQuote(i, op int, r Rules, q *PreparedQuote, s *Scratch, pass, check []Status, want Result) {
	o := b.entry(i, op, C.BOP_QUOTE)
	o.rules, o.req, o.result_size = r.p, q.req, q.resultSize
	if !q.nullOut {
		o.out = (*C.pricing_result)(s.result.Ptr)
	}
	o.pass, o.check = statusBits(pass...), statusBits(check...)
	o.want_final, o.want_discount, o.want_tax = C.int64_t(want.FinalPriceCents), C.int64_t(want.DiscountCents), C.int64_t(want.TaxCents)
}

// Quoted is entry i's result after Run flagged it, as QuotePrepared returns it.
func (b *Batch) Quoted(i int, st Status) Result { return resultOf(b.ops[i].out, st) }

// SetDescribe makes entry i DescribeScratch(s, region, want.Len()) on r: every status but OK is
// good, and OK is good when the text is want.
func (b *Batch) SetDescribe(i, op int, r Rules, s *Scratch, region uint32, want *Input) error {
	blk, err := s.describeBuf(want.Len())
	if err != nil {
		return err
	}
	o := b.entry(i, op, C.BOP_DESCRIBE)
	o.rules, o.region, o.buf, o.cap, o.needed = r.p, C.uint32_t(region), (*C.uint8_t)(blk.Ptr), C.size_t(want.Len()), (*C.size_t)(s.needed.Ptr)
	o.pass, o.check = statusBits(AnyStatus...)&^statusBits(OK), statusBits(OK)
	o.want, o.want_len = want.ptr, want.n
	return nil
}

// Described is entry i's text and *needed after Run flagged it, as DescribeScratch returns them.
func (b *Batch) Described(i int, st Status) (text []byte, needed int) {
	o := &b.ops[i]
	return described(ffi.Block{Ptr: unsafe.Pointer(o.buf), Len: int(o.cap)}, int(o.cap), o.needed, st)
}

// SetExport makes entry i ExportEqual(s, want) on r.
func (b *Batch) SetExport(i, op int, r Rules, s *Scratch, want *Input) {
	o := b.entry(i, op, C.BOP_EXPORT)
	o.rules, o.want, o.want_len = r.p, want.ptr, want.n
	o.eout, o.eout_len = s.exportOut()
}

// Exported is what ExportEqual returns for entry i after Run flagged it (and frees the bytes).
func (b *Batch) Exported(i int, st Status) (same bool, got []byte, _ Status) {
	o := &b.ops[i]
	return exported(b.e, st, o.same != 0, o.eout, o.eout_len)
}

// SetLoad makes entry i LoadInput(text) on r; statuses in pass are good.
func (b *Batch) SetLoad(i, op int, r Rules, text *Input, pass []Status) {
	o := b.entry(i, op, C.BOP_LOAD)
	o.rules, o.text, o.text_len, o.pass = r.p, text.ptr, text.n, statusBits(pass...)
}

// SetCycle makes entry i NewLoadExportFree(s, text, want): good when every step behaves and the
// export is want (or an error without bytes). The status counted is the load's.
func (b *Batch) SetCycle(i, op int, s *Scratch, text, want *Input) {
	o := b.entry(i, op, C.BOP_CYCLE)
	outp, lenp := s.exportOut()
	o.cycle = C.seam_cycle{handle: (**C.pricing_rules)(s.handle.Ptr), text: text.ptr, text_len: text.n,
		out: outp, out_len: lenp, want: want.ptr, want_len: want.n}
}

// Cycled is what NewLoadExportFree returns for entry i after Run flagged it (and frees what
// the cycle left).
func (b *Batch) Cycled(i int) Cycle { return cycled(b.e, &b.ops[i].cycle) }

// Run makes up to n calls. passed counts the calls the fast check passed (already in Counts);
// flagged is the entry Run stopped at, or -1: when inGo it was not run and Go must run it,
// otherwise it was run, its status is st and its outputs wait for Go's check (they are valid
// until the next Run).
func (b *Batch) Run(n int) (passed, flagged int, st Status, inGo bool) {
	C.u_batch_run(cp(unsafe.Pointer(b.b)), C.int64_t(n))
	return int(b.b.passed), int(b.b.flagged), Status(b.b.flag_status), b.b.flag_go != 0
}

// Counts are the passed calls per op index and per status+1 (-1..14), cumulative; views of
// native memory, read by the batch's goroutine.
func (b *Batch) Counts() (perOp, byStatus []int64) {
	return unsafe.Slice((*int64)(unsafe.Pointer(&b.b.per_op[0])), C.BATCH_MAX_OPS),
		unsafe.Slice((*int64)(unsafe.Pointer(&b.b.by_status[0])), C.BATCH_STATUS_SLOTS)
}
