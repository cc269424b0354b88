package loadgen

/*
#cgo CFLAGS: -I${SRCDIR}/../ffi
#cgo LDFLAGS: -lffi
#include "batch.h"
*/
import "C"

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/stress"
	"github.com/seamfuzz/seam/wal"
)

// The workload's native batches (stress.Batcher): a call whose check is "the same return value
// and the same output bytes as alone" (a call on shared state, a function without state) runs
// in C from its descriptor (batch.h); everything else runs in Go, and so does the check of a
// call the C side flagged.

// nativeCall is a stress call a batch can run: its prepared call, and the answer to compare.
type nativeCall interface {
	stress.Call
	native() *nativeForm
	// flagged is Go's check of the call the batch made and flagged (raw: its return value).
	flagged(raw uint64) (int32, error)
}

// nativeForm is what C needs of a call: nil from native() when the call must run in Go.
type nativeForm struct {
	call         *boundary.Prepared
	wantRet      uint64
	want         [][]byte // per region: the span after the call alone
	pass         *uint64  // a return value that passes unlooked (busy), or nil
	countsStatus bool
}

type batch struct {
	b     *C.lg_batch
	pool  int
	calls []nativeCall
	slots []entrySlots // per native entry: where its passes count
	// Counts: the passes of entries since replaced, then (refreshed by Counts) all of them.
	retiredOp, perOp        []int64
	retiredStatus, byStatus [stress.StatusSlots]int64
}

// entrySlots are the op and the status slots (status+1) of an entry's passed calls: the
// answer's and the pass value's.
type entrySlots struct{ op, want, pass int }

// add counts native entry o's passes into perOp and byStatus.
func (sl entrySlots) add(o *C.lg_entry, perOp []int64, byStatus *[stress.StatusSlots]int64) {
	perOp[sl.op] += int64(o.passed_want + o.passed_pass)
	byStatus[sl.want] += int64(o.passed_want)
	byStatus[sl.pass] += int64(o.passed_pass)
}

// NewBatch makes worker's batch of poolSize entries (stress.Batcher), all run in Go until set.
func (w *Workload) NewBatch(_ int, poolSize int, seed uint64, slot *wal.Slot) (stress.NativeBatch, error) {
	if poolSize <= 0 || poolSize&(poolSize-1) != 0 || seed == 0 {
		return nil, fmt.Errorf("batch: pool size %d (a power of two) and seed %d (not 0)", poolSize, seed)
	}
	b := (*C.lg_batch)(C.calloc(1, C.sizeof_lg_batch))
	b.e = (**C.lg_entry)(C.calloc(C.size_t(poolSize), C.size_t(unsafe.Sizeof(uintptr(0)))))
	b.mask, b.x = C.uint64_t(poolSize-1), C.uint64_t(seed)
	if slot != nil {
		// The WAL is a shared file mapping, not Go memory: C may keep pointers into it.
		state, seq := slot.Words()
		b.wal_state, b.wal_seq = (*C.uint32_t)(unsafe.Pointer(state)), (*C.uint64_t)(unsafe.Pointer(seq))
	}
	return &batch{b: b, pool: poolSize, calls: make([]nativeCall, poolSize), slots: make([]entrySlots, poolSize),
		retiredOp: make([]int64, len(w.specs)), perOp: make([]int64, len(w.specs))}, nil
}

// entries are the pool's native entries (C memory).
func (n *batch) entries() []*C.lg_entry { return unsafe.Slice(n.b.e, n.pool) }

// unset makes entry i a Go entry.
func (n *batch) unset(i int) {
	if o := n.entries()[i]; o != nil {
		n.slots[i].add(o, n.retiredOp, &n.retiredStatus)
		C.free(unsafe.Pointer(o))
	}
	n.entries()[i] = nil
	n.calls[i] = nil
}

// slot is the status slot of a passed call's return value (Counts), ok false when it has none.
func slot(countsStatus bool, ret uint64) (int, bool) {
	if !countsStatus {
		return 1, true // counted as status 0
	}
	s := int(int32(ret)) + 1
	return s, s >= 0 && s < stress.StatusSlots
}

// Set makes entry i run c (of op index op): natively when it has a native form whose answer
// Counts can count (the rest is Go's to count).
func (n *batch) Set(i, op int, c stress.Call) error {
	n.unset(i)
	nc, ok := c.(nativeCall)
	if !ok {
		return nil
	}
	form := nc.native()
	if form == nil {
		return nil
	}
	want, ok := slot(form.countsStatus, form.wantRet)
	if !ok {
		return nil
	}
	sl := entrySlots{op: op, want: want}
	regions := form.call.Regions()
	head := C.sizeof_lg_entry + len(regions)*C.sizeof_lg_region
	size := head
	for _, r := range regions {
		size += 2 * len(r.Span)
	}
	block := C.calloc(1, C.size_t(size))
	o := (*C.lg_entry)(block)
	d := form.call.Desc
	o.d = *(*C.seam_ffi_desc)(unsafe.Pointer(&d))
	o.want_ret = C.uint64_t(form.wantRet)
	if form.pass != nil {
		if pass, ok := slot(form.countsStatus, *form.pass); ok {
			sl.pass, o.has_pass, o.pass_ret = pass, 1, C.uint64_t(*form.pass)
		}
	}
	o.dirty = 1 // what the spans hold now is not known
	images := unsafe.Slice((*byte)(block), size)[head:]
	image := func(b []byte) *C.uint8_t {
		p := (*C.uint8_t)(unsafe.Pointer(&images[0]))
		images = images[copy(images, b):]
		return p
	}
	for k, r := range regions {
		cr := (*C.lg_region)(unsafe.Add(block, C.sizeof_lg_entry+k*C.sizeof_lg_region))
		cr.span, cr.len = (*C.uint8_t)(unsafe.Pointer(&r.Span[0])), C.size_t(len(r.Span))
		cr.data, cr.data_len = C.size_t(r.Data), C.size_t(r.Len)
		cr.init, cr.want = image(r.Init), image(form.want[k])
		if d := r.Data; !bytes.Equal(r.Init[d:d+r.Len], form.want[k][d:d+r.Len]) {
			o.restore = 1
		}
	}
	o.nregions = C.uint32_t(len(regions))
	n.entries()[i], n.calls[i], n.slots[i] = o, nc, sl
	return nil
}

// Run makes up to k calls in one crossing (stress.NativeBatch).
func (n *batch) Run(k int) (passed, flagged int, inGo bool) {
	C.lg_run(C.uintptr_t(uintptr(unsafe.Pointer(n.b))), C.int64_t(k))
	return int(n.b.passed), int(n.b.flagged), n.b.flag_go != 0
}

// bare makes k calls without the executor's work around each (lg_bare).
func (n *batch) bare(k int) { C.lg_bare(C.uintptr_t(uintptr(unsafe.Pointer(n.b))), C.int64_t(k)) }

// Check is Go's verdict on the flagged entry i.
func (n *batch) Check(i int) (int32, error) { return n.calls[i].flagged(uint64(n.b.flag_ret)) }

// Counts are the passed calls per op and per status+1, cumulative (stress.NativeBatch).
func (n *batch) Counts() (perOp, byStatus []int64) {
	copy(n.perOp, n.retiredOp)
	n.byStatus = n.retiredStatus
	for i, o := range n.entries() {
		if o != nil {
			n.slots[i].add(o, n.perOp, &n.byStatus)
		}
	}
	return n.perOp, n.byStatus[:]
}

// Close frees the batch (the calls are released by the loops).
func (n *batch) Close() {
	for i := range n.pool {
		n.unset(i)
	}
	C.free(unsafe.Pointer(n.b.e))
	C.free(unsafe.Pointer(n.b))
}
