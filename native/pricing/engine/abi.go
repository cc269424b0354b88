package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include <stddef.h>
#include "table.h"
*/
import "C"

// Layout is seam_layout_info.
type Layout = C.seam_layout_info

// Layout calls seam_layout. The engine writes into native memory, not Go's: under TSan a Go
// heap block reused by another goroutine would look like a race (TSan cannot see Go's
// allocator), and a block larger than the struct keeps an engine built against a bigger
// seam_layout_info from writing over anything.
func (e *Engine) Layout() Layout {
	blk, err := e.mem.Alloc(4096)
	must(err)
	defer e.mem.Free(blk)
	clear(blk.Bytes())
	C.t_layout(e.t, (*C.seam_layout_info)(blk.Ptr))
	return *(*C.seam_layout_info)(blk.Ptr)
}
