package contract

import (
	"strings"
	"unicode"

	"github.com/seamfuzz/seam/cheader"
)

// The header's comments are English written to a few conventions (the
// rustls-ffi style: the conventions once at the top, then per function only
// what differs). Check holds the contract to what they claim and Draft starts
// from them; both read them with the helpers below, which look for fixed
// phrases only and never guess at C.

// headerThreads returns the thread claim of a comment's "Threads: ..." sentence.
func headerThreads(doc string) (claim string, ok bool) {
	_, rest, found := strings.Cut(flatten(doc), "Threads:")
	if !found {
		return "", false
	}
	rest = strings.ToLower(strings.TrimSpace(rest))
	for _, w := range []struct{ phrase, claim string }{
		{"not thread-safe", ThreadsNone},
		{"not thread safe", ThreadsNone},
		{"thread-safe", ThreadsSafe},
		{"thread safe", ThreadsSafe},
		{"exclusive", ThreadsExclusive},
		{"per thread", ThreadsPerThread},
		{"per-thread", ThreadsPerThread},
		{"any", ThreadsAny},
	} {
		if strings.HasPrefix(rest, w.phrase) {
			return w.claim, true
		}
	}
	return "", false
}

// flatten joins a comment's lines into one line of single spaces.
func flatten(doc string) string { return strings.Join(strings.Fields(doc), " ") }

// checkSection returns the part of a comment that lists the function's checks:
// from "Checks:" or "Errors:" to the "Threads:" sentence.
func checkSection(doc string) string {
	doc = flatten(doc)
	start := -1
	for _, marker := range []string{"Checks:", "Errors:"} {
		if i := strings.Index(doc, marker); i >= 0 && (start < 0 || i < start) {
			start = i
		}
	}
	if start < 0 {
		return ""
	}
	sec := doc[start:]
	if i := strings.Index(sec, "Threads:"); i >= 0 {
		sec = sec[:i]
	}
	return sec
}

// checkClause is one "condition -> STATUS" of a checks section.
type checkClause struct {
	cond   string
	status string // the constant
}

// checkClauses splits a checks section into its "condition -> CONSTANT"
// clauses, in order; isConst says which words are status constants.
func checkClauses(doc string, isConst func(string) bool) []checkClause {
	sec := checkSection(doc)
	if sec == "" {
		return nil
	}
	_, sec, _ = strings.Cut(sec, ":")
	var out []checkClause
	for {
		i := strings.Index(sec, "->")
		if i < 0 {
			return out
		}
		cond := sec[:i]
		// The condition starts after the previous clause's ';' or '.'.
		if j := strings.LastIndexAny(cond, ";."); j >= 0 {
			cond = cond[j+1:]
		}
		sec = sec[i+2:]
		word := firstWord(sec)
		if isConst(word) {
			out = append(out, checkClause{cond: strings.TrimSpace(cond), status: word})
		}
	}
}

// firstWord returns the identifier that starts s (after spaces).
func firstWord(s string) string {
	s = strings.TrimSpace(s)
	end := strings.IndexFunc(s, func(r rune) bool { return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if end < 0 {
		return s
	}
	return s[:end]
}

// says reports whether the comment holds phrase, ignoring case and line breaks.
func says(doc, phrase string) bool {
	return strings.Contains(strings.ToLower(flatten(doc)), strings.ToLower(phrase))
}

// nullFine reports whether the comment says p may be NULL: a sentence
// "p: ... NULL is fine", or an unlabelled "NULL is fine." in a function with
// one pointer parameter (guessed with more).
func nullFine(fn *cheader.Function, p *cheader.Param) (fine, guessed bool) {
	pointers := 0
	for _, q := range fn.Params {
		if q.Type.Kind == cheader.Pointer {
			pointers++
		}
	}
	for _, s := range sentences(fn.Doc) {
		if !strings.Contains(s, "NULL is fine") {
			continue
		}
		label, _, labelled := strings.Cut(s, ":")
		switch {
		case labelled && !strings.Contains(label, " "):
			if label == p.Name {
				return true, false
			}
		case fn.Params[0] == p || firstPointer(fn) == p:
			return true, pointers > 1
		}
	}
	return false, false
}

func firstPointer(fn *cheader.Function) *cheader.Param {
	for _, q := range fn.Params {
		if q.Type.Kind == cheader.Pointer {
			return q
		}
	}
	return nil
}
