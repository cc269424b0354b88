package sanrt

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
typedef void (*ann_fn)(void *);
static void *find_release(void) { return dlsym(RTLD_DEFAULT, "__tsan_release"); }
static void *find_acquire(void) { return dlsym(RTLD_DEFAULT, "__tsan_acquire"); }
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
		release, acquire = C.find_release(), C.find_acquire()
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
