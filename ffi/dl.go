package ffi

// Loading: one Go binary drives any build variant of any engine (or a user's own library)
// without being rebuilt, because libraries are dlopen'ed at run time.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <string.h>

// Each helper does its dlerror() in the same C call: dlerror is per thread, and a goroutine
// can move to another thread between two cgo calls. The message is copied out at once.
static void copy_error(char *buf, size_t n) {
	const char *e = dlerror();
	if (n == 0) return;
	strncpy(buf, e ? e : "unknown dl error", n - 1);
	buf[n - 1] = 0;
}
static void *open_now(const char *path, char *err, size_t n) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) copy_error(err, n);
	return h;
}
static void *find_sym(void *h, const char *name) {
	dlerror();
	return dlsym(h ? h : RTLD_DEFAULT, name);
}
static int close_lib(void *h, char *err, size_t n) {
	int rc = dlclose(h);
	if (rc != 0) copy_error(err, n);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"
)

// Library is an open shared library.
type Library struct {
	Path   string
	handle unsafe.Pointer
}

// cstring returns s NUL-terminated in Go memory, which C may read during the call. Not
// C.CString: a malloc on one thread freed on another after the goroutine moved is a data race
// to ThreadSanitizer, which cannot see Go's scheduler.
func cstring(s string) *C.char {
	b := append([]byte(s), 0)
	return (*C.char)(unsafe.Pointer(&b[0]))
}

const errLen = 1024

func errString(b []byte) string { return C.GoString((*C.char)(unsafe.Pointer(&b[0]))) }

// Open loads the library at path with every symbol bound now (RTLD_NOW), so a library that
// cannot resolve its own dependencies fails here instead of in the middle of a fuzz run.
func Open(path string) (*Library, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	msg := make([]byte, errLen)
	h := C.open_now(cstring(abs), (*C.char)(unsafe.Pointer(&msg[0])), errLen)
	if h == nil {
		return nil, fmt.Errorf("load %s: %s", path, errString(msg))
	}
	return &Library{Path: abs, handle: h}, nil
}

// ErrNoSymbol is wrapped by Sym when the library does not export the name.
var ErrNoSymbol = errors.New("symbol not found")

// Sym returns the address of an exported symbol.
func (l *Library) Sym(name string) (unsafe.Pointer, error) {
	p := C.find_sym(l.handle, cstring(name))
	if p == nil {
		return nil, fmt.Errorf("%s: %s: %w", l.Path, name, ErrNoSymbol)
	}
	return p, nil
}

// Close unloads the library. Nothing obtained from it may be used afterwards.
func (l *Library) Close() error {
	msg := make([]byte, errLen)
	if C.close_lib(l.handle, (*C.char)(unsafe.Pointer(&msg[0])), errLen) != 0 {
		return fmt.Errorf("unload %s: %s", l.Path, errString(msg))
	}
	return nil
}

// ProcessHas reports whether a symbol is already visible in the process (for example a
// sanitizer runtime's __asan_init), without loading anything.
func ProcessHas(name string) bool {
	return C.find_sym(nil, cstring(name)) != nil
}
