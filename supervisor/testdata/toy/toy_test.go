package toy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/seamfuzz/seam/wal"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("SEAM_FUZZ_LOGDIR"); dir != "" && strings.Contains(strings.Join(os.Args, " "), "-test.fuzzworker") {
		f, _ := os.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.log", os.Getpid())))
		syscall.Dup2(int(f.Fd()), 2)
		w, _ := wal.Create(filepath.Join(dir, fmt.Sprintf("worker-%d.wal", os.Getpid())), 1, 4096)
		slot = w.Slot(0)
	}
	os.Exit(m.Run())
}

var slot *wal.Slot

func FuzzToy(f *testing.F) {
	f.Add([]byte("ab"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if slot != nil {
			slot.Begin(0, b)
			defer slot.End()
		}
		if err := Check(b); err != nil {
			t.Fatal(err)
		}
	})
}
