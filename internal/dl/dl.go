// Package dl loads shared libraries at run time and resolves their symbols, so one Go binary can
// drive any build variant of any engine (or a user's own library) without being rebuilt.
package dl

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"
)

// Library is an open shared library.
type Library struct {
	Path   string
	handle unsafe.Pointer
}

// dlerror is process-global state; serialise the call+dlerror pairs.
var mu sync.Mutex

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
	cpath := C.CString(abs)
	defer C.free(unsafe.Pointer(cpath))
	mu.Lock()
	defer mu.Unlock()
	h := C.dlopen(cpath, C.RTLD_NOW|C.RTLD_LOCAL)
	if h == nil {
		return nil, fmt.Errorf("load %s: %s", path, C.GoString(C.dlerror()))
	}
	return &Library{Path: abs, handle: h}, nil
}

// ErrNoSymbol is wrapped by Sym when the library does not export the name.
var ErrNoSymbol = errors.New("symbol not found")

// Sym returns the address of an exported symbol.
func (l *Library) Sym(name string) (unsafe.Pointer, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	mu.Lock()
	defer mu.Unlock()
	C.dlerror()
	p := C.dlsym(l.handle, cname)
	if p == nil {
		return nil, fmt.Errorf("%s: %s: %w", l.Path, name, ErrNoSymbol)
	}
	return p, nil
}

// Close unloads the library. Nothing obtained from it may be used afterwards.
func (l *Library) Close() error {
	mu.Lock()
	defer mu.Unlock()
	if C.dlclose(l.handle) != 0 {
		return fmt.Errorf("unload %s: %s", l.Path, C.GoString(C.dlerror()))
	}
	return nil
}

// ProcessHas reports whether a symbol is already visible in the process (for example a
// sanitizer runtime's __asan_init), without loading anything.
func ProcessHas(name string) bool {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	mu.Lock()
	defer mu.Unlock()
	return C.dlsym(C.RTLD_DEFAULT, cname) != nil
}
