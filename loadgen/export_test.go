package loadgen

import "github.com/seamfuzz/seam/stress"

// Bare makes k calls of a batch's entries with none of the executor's work around them.
func Bare(b stress.NativeBatch, k int) { b.(*batch).bare(k) }

// Native says whether entry i of a batch runs in C.
func Native(b stress.NativeBatch, i int) bool { return b.(*batch).entries()[i] != nil }
