package engine

import (
	"testing"

	"github.com/seamfuzz/seam/ffi"
)

// A write into a prepared (const) input is seen by Changed.
func TestPreparedInputChanged(t *testing.T) {
	e := &Engine{mem: ffi.NewAllocator(ffi.Guard)}
	in, err := e.NewInput(Bytes([]byte("rules")))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Free()
	q, err := e.PrepareQuote(QuoteArgs{Req: Request{StructSize: RequestSize, ItemCount: 1, Coupon: Bytes([]byte("HALF"))}, ResultStructSize: ResultSize})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Free()
	if in.Changed() || q.Changed() {
		t.Fatal("nothing was written")
	}
	in.blk.Bytes()[0] = 'R'
	q.req.region_id = 9
	if !in.Changed() || !q.Changed() {
		t.Fatal("a write into a const input must be seen")
	}
	q.req.region_id = q.reqCopy.region_id
	q.coupon.blk.Bytes()[3] = 'X'
	if !q.Changed() {
		t.Fatal("a write into the coupon must be seen")
	}
}

// Large inputs of the same Go bytes share one native block, freed with the last of them.
func TestPreparedInputsShareLargeBlocks(t *testing.T) {
	e := &Engine{mem: ffi.NewAllocator(ffi.Guard)}
	big := make([]byte, shareInputsFrom+1)
	a, err := e.NewInput(Bytes(big))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.NewInput(Bytes(big))
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.NewInput(Bytes(big[:len(big)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if a.ptr != b.ptr || a.ptr == c.ptr || len(e.shared) != 2 {
		t.Fatalf("same bytes share, other lengths do not: %p %p %p %d", a.ptr, b.ptr, c.ptr, len(e.shared))
	}
	b.blk.Bytes()[5] = 1
	if a.Changed() {
		t.Fatal("only the last holder compares")
	}
	a.Free()
	if !b.Changed() {
		t.Fatal("the last holder sees the write")
	}
	b.Free()
	c.Free()
	if len(e.shared) != 0 {
		t.Fatal("freed with the last holder")
	}
}
