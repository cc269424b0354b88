package cheader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// go test ./cheader -run '^$' -fuzz FuzzIndexComments -fuzztime 30s
//
// FuzzIndexComments holds the comment index to its invariants on any bytes:
// no panic, comments in order, none ending before it starts, every line of a
// comment's text taken from the source.
func FuzzIndexComments(f *testing.F) {
	for _, s := range []string{
		"/* a */\nint x; /* b */\n// c\n// d\n",
		"\"/* not a comment */\" '/' /* real */",
		"/* unterminated",
		"#error don't /* x */\n",
		"int a; // trailing \\\n continued\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		ix := indexComments(src)
		prev := 0
		for _, cm := range ix.all {
			if cm.startLine < prev || cm.endLine < cm.startLine || cm.startCol < 1 {
				t.Fatalf("comment out of order or shape: %+v after line %d", cm, prev)
			}
			prev = cm.endLine
			// The text is the source's, less markers and indentation.
			for _, l := range strings.Split(cm.text, "\n") {
				if !strings.Contains(string(src), strings.TrimSpace(l)) {
					t.Fatalf("line %q of comment %+v is not in the source", l, cm)
				}
			}
		}
		_ = ix.leading(src)
		for l := 1; l <= prev+1; l++ {
			_ = ix.above(l)
			_ = ix.after(l, 1)
		}
	})
}

// go test ./cheader -run '^$' -fuzz FuzzParse -fuzztime 30s
//
// FuzzParse: any header either parses or gives one error line, never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../native/pricing/include/seam_pricing.h", "../native/tally/include/tally.h"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("struct s { int a; };\nint f(struct s *p);\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		path := filepath.Join(dir, "fuzz.h")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := Parse(path)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		for _, fn := range h.Functions {
			for i, p := range fn.Params {
				if p.Index != i || p.Type == nil || p.Type.Spelling == "" {
					t.Fatalf("%s: parameter %d: %+v", fn.Name, i, p)
				}
			}
		}
	})
}
