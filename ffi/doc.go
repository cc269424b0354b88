// Package ffi is seam's generic boundary to native code: it loads shared libraries at run time
// (Open, Sym), hands them memory whose end is where the data ends (Allocator, Block, OutBlock)
// and calls any exported function through one C call path per call shape (Call, Prepare,
// CallDesc). It knows no boundary: the contract-driven layer above it says which function
// takes which kinds of arguments.
package ffi
