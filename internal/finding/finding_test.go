package finding

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seamfuzz/seam/internal/isolate"
)

// issue 16: a child that hung in the leak check after its input is a leak finding, never an
// engine hang.
func TestHangInLeakCheckIsALeak(t *testing.T) {
	f, ok := FromResult(isolate.Result{Outcome: isolate.Hung, InLeakCheck: true, Output: []byte("seam: the LeakSanitizer check ...")}, nil)
	assert.True(t, ok)
	assert.Equal(t, "leak", f.Kind)
	assert.Equal(t, "leak-check-timeout", f.Signature)
	f, _ = FromResult(isolate.Result{Outcome: isolate.Hung, Output: []byte("seam: hang: no progress")}, nil)
	assert.Equal(t, "hang", f.Kind, "a hang in the input is still a hang")
}
