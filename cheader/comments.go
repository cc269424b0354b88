package cheader

import (
	"bytes"
	"strings"
)

// cc/v4 keeps a declaration's preceding comments in Token.Sep, but it drops
// the comments on preprocessor directive lines (the trailing comment of a
// #define, and every comment between two #defines is folded into the Sep of
// the next C token), so comments are indexed once from the file's bytes and
// attached by position: one rule for declarations, fields, enum constants and
// #defines alike. The scan only separates comments from code (it knows string
// and character literals); the C itself is parsed by cc.

// comment is one comment of the source, or a run of comments that follow each
// other on consecutive lines.
type comment struct {
	startLine, startCol int
	endLine             int
	ownLine             bool // only white space before it on its first line
	restBlank           bool // only white space after it on its last line
	text                string
}

// commentIndex finds the comments around a source position.
type commentIndex struct {
	all     []*comment
	byStart map[int][]*comment
	byEnd   map[int]*comment
}

func indexComments(src []byte) *commentIndex {
	ix := &commentIndex{byStart: map[int][]*comment{}, byEnd: map[int]*comment{}}
	line, lineStart := 1, 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\n':
			line, lineStart = line+1, i+1
		case c == '"' || c == '\'':
			// A literal ends at its quote or, unterminated (an apostrophe in
			// an #error text), at the end of its line.
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' && i+1 < len(src) && src[i+1] != '\n' {
					i++
				}
			}
			if i < len(src) && src[i] == '\n' {
				line, lineStart = line+1, i+1
			}
		case c == '/' && i+1 < len(src) && (src[i+1] == '*' || src[i+1] == '/'):
			start, startLine, startCol := i, line, i-lineStart+1
			var end int
			if src[i+1] == '*' {
				end = len(src)
				if j := bytes.Index(src[i+2:], []byte("*/")); j >= 0 {
					end = i + 2 + j + 2
				}
			} else {
				end = i
				for end < len(src) && src[end] != '\n' {
					end++
				}
			}
			for _, b := range src[start:end] {
				if b == '\n' {
					line++
				}
			}
			if k := bytes.LastIndexByte(src[:end], '\n'); k >= lineStart {
				lineStart = k + 1
			}
			cm := &comment{
				startLine: startLine, startCol: startCol, endLine: line,
				ownLine:   blank(src[bytes.LastIndexByte(src[:start], '\n')+1 : start]),
				restBlank: blank(src[end:lineEnd(src, end)]),
				text:      commentText(string(src[start:end])),
			}
			ix.add(cm)
			i = end - 1
		}
	}
	return ix
}

// add records cm, joining it to the comment on the line above when both stand
// on lines of their own (a block of // lines, or two /* */ blocks).
func (ix *commentIndex) add(cm *comment) {
	if prev := ix.byEnd[cm.startLine-1]; prev != nil && prev.ownLine && prev.restBlank && cm.ownLine {
		prev.text = joinText(prev.text, cm.text)
		prev.endLine, prev.restBlank = cm.endLine, cm.restBlank
		delete(ix.byEnd, cm.startLine-1)
		ix.byEnd[cm.endLine] = prev
		return
	}
	ix.all = append(ix.all, cm)
	ix.byStart[cm.startLine] = append(ix.byStart[cm.startLine], cm)
	ix.byEnd[cm.endLine] = cm
}

// above returns the comment block that ends on the line directly above line
// and stands on lines of its own.
func (ix *commentIndex) above(line int) string {
	if cm := ix.byEnd[line-1]; cm != nil && cm.ownLine && cm.restBlank {
		return cm.text
	}
	return ""
}

// after returns the first comment that starts on line after column col: the
// trailing comment of a field, enum constant or #define.
func (ix *commentIndex) after(line, col int) string {
	for _, cm := range ix.byStart[line] {
		if cm.startCol > col && !cm.ownLine {
			return cm.text
		}
	}
	return ""
}

// leading returns the file's first comment when nothing but white space
// precedes it.
func (ix *commentIndex) leading(src []byte) string {
	if len(ix.all) == 0 {
		return ""
	}
	cm := ix.all[0]
	// The first comment is the file's own when every line above its first
	// line is blank.
	off := 0
	for l := 1; l < cm.startLine; l++ {
		off += bytes.IndexByte(src[off:], '\n') + 1
	}
	if !blank(src[:off]) || !cm.ownLine {
		return ""
	}
	return cm.text
}

// commentText returns the text of a comment without its markers: "/*", "*/",
// the " * " that starts the lines of a block, "//".
func commentText(raw string) string {
	if rest, ok := strings.CutPrefix(raw, "//"); ok {
		return strings.TrimSpace(strings.TrimPrefix(rest, " "))
	}
	raw = strings.TrimSuffix(strings.TrimPrefix(raw, "/*"), "*/")
	lines := strings.Split(raw, "\n")
	for i, l := range lines {
		if i == 0 {
			l = strings.TrimLeft(l, "*") // "/**" doc style
		} else {
			l = strings.TrimLeft(l, " \t")
			if strings.HasPrefix(l, "*") {
				l = l[1:]
			}
		}
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, " "), " \t")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func joinText(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "\n" + b
}

func blank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

func lineEnd(src []byte, off int) int {
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(src)
}
