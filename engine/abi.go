package engine

/*
#cgo CFLAGS: -I${SRCDIR}/../native/pricing/include
#include <stddef.h>
#include "table.h"
*/
import "C"

// Layout is seam_layout_info.
type Layout = C.seam_layout_info

// Layout calls seam_layout.
func (e *Engine) Layout() Layout {
	var l C.seam_layout_info
	C.t_layout(e.t, &l)
	return l
}
