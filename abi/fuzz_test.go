package abi_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/seamfuzz/seam/abi"
)

// FuzzReadDWARF feeds ReadDWARF mutated libraries: DWARF is input the engine's toolchain
// wrote, and a malformed one must give an error, never a panic or a hang.
// go test ./abi -run '^$' -fuzz FuzzReadDWARF -fuzztime 30s
func FuzzReadDWARF(f *testing.F) {
	for _, dv := range []string{"-gdwarf-4", "-gdwarf-5"} {
		b, err := os.ReadFile(buildCFor(f, dv, "-O1"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "lib.so")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := abi.ReadDWARF(p)
		if err == nil {
			abi.Compare(l, map[abi.Key]abi.Layout{{Func: "order_submit", Param: 0}: orderHeader})
		}
	})
}
