package covbridge

/*
typedef int (*int_fn)(int);
static int call_int(void *f, int x) { return ((int_fn)f)(x); }
*/
import "C"

import "unsafe"

// callInt calls a native int(int) function; the bridge's own test uses it.
func callInt(f unsafe.Pointer, x int) int { return int(C.call_int(f, C.int(x))) }
