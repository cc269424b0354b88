package sanrt

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
typedef void (*ann_fn)(void *);
static void *find_ann(const char *name) { return dlsym(RTLD_DEFAULT, name); }
static void call_ann(void *f, void *addr) { ((ann_fn)f)(addr); }
static char handoff_token[64];
static void *token(int i) { return &handoff_token[i % 64]; }
*/
import "C"

import (
	"sync"
	"unsafe"
)

// ThreadSanitizer cannot see Go's synchronisation (channels, WaitGroups, mutexes): without
// help it reports a race between what one goroutine's thread did and what another's does
// after a perfectly ordered hand-off. Release/Acquire tell it about the edge; without a TSan
// runtime they do nothing.

var (
	annOnce          sync.Once
	release, acquire unsafe.Pointer
)

func load() {
	annOnce.Do(func() {
		r, a := C.CString("__tsan_release"), C.CString("__tsan_acquire")
		defer C.free(unsafe.Pointer(r))
		defer C.free(unsafe.Pointer(a))
		release, acquire = C.find_ann(r), C.find_ann(a)
	})
}

// Token is an address to synchronise on.
func Token(i int) unsafe.Pointer { return C.token(C.int(i)) }

// Release: everything this thread did so far happens before a later Acquire of addr.
func Release(addr unsafe.Pointer) {
	load()
	if release != nil {
		C.call_ann(release, addr)
	}
}

// Acquire: see Release.
func Acquire(addr unsafe.Pointer) {
	load()
	if acquire != nil {
		C.call_ann(acquire, addr)
	}
}
