// Package toy is a fuzz target for the supervisor's own test: it fails (t.Fatal) on inputs
// starting with 'F', and kills its process (a stand-in for a native crash) on 'C'.
package toy

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// Check is the toy's logic under test.
func Check(b []byte) error {
	if len(b) > 1 && b[0] == 'C' {
		fmt.Fprintln(os.Stderr, "==1==ERROR: toy crash report for input", len(b))
		syscall.Kill(os.Getpid(), syscall.SIGABRT)
		// A real native crash is synchronous: the calling thread never returns.
		time.Sleep(time.Minute)
	}
	if len(b) > 1 && b[0] == 'F' {
		return fmt.Errorf("mismatch in toy: field: x (reason)")
	}
	return nil
}
