package sanrt

import (
	"debug/elf"
	"strings"
)

// RuntimeOf inspects a library's dynamic section: an ASan or TSan build imports the runtime's
// symbols (gcc adds libasan/libtsan to DT_NEEDED; rustc -Zsanitizer leaves __asan_* undefined).
func RuntimeOf(path string) (Runtime, error) {
	f, err := elf.Open(path)
	if err != nil {
		return None, err
	}
	defer f.Close()
	libs, _ := f.ImportedLibraries()
	for _, l := range libs {
		switch {
		case strings.HasPrefix(l, "libasan"):
			return ASan, nil
		case strings.HasPrefix(l, "libtsan"):
			return TSan, nil
		}
	}
	syms, _ := f.ImportedSymbols()
	for _, s := range syms {
		switch {
		case strings.HasPrefix(s.Name, "__asan_"):
			return ASan, nil
		case strings.HasPrefix(s.Name, "__tsan_"):
			return TSan, nil
		}
	}
	return None, nil
}
