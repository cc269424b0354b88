// Package lsan runs LeakSanitizer checks on demand. A Go program ends with a raw exit system
// call, never libc's exit(), so LSan's at-exit check does not run when its runtime is preloaded:
// seam calls the check itself, per input or per batch.
package lsan

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
typedef int (*check_fn)(void);
static void *find_check(void) { return dlsym(RTLD_DEFAULT, "__lsan_do_recoverable_leak_check"); }
static int call_check(void *f) { return ((check_fn)f)(); }
*/
import "C"

import (
	"sync"
	"unsafe"
)

var (
	once  sync.Once
	check unsafe.Pointer
)

// Available reports whether a LeakSanitizer runtime is loaded (ASan includes it).
func Available() bool {
	once.Do(func() { check = C.find_check() })
	return check != nil
}

// Check reports leaks found since the last check (the report goes to stderr, as LSan prints
// it). It costs 10-20 ms, so callers check per input only where inputs are few. Without a
// runtime it reports nothing.
func Check() (leaked bool) {
	if !Available() {
		return false
	}
	return C.call_check(check) != 0
}
