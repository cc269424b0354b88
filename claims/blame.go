package claims

import (
	"regexp"
	"slices"
	"strings"

	"github.com/seamfuzz/seam/contract"
)

var (
	tsanStartRe  = regexp.MustCompile(`WARNING: ThreadSanitizer: `)
	tsanAccessRe = regexp.MustCompile(`(?i)^\s*(previous )?(atomic )?(read|write) of size \d+`)
	frameRe      = regexp.MustCompile(`^\s*#\d+\s`)
	identRe      = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
)

// Blame names the contract functions the first ThreadSanitizer report in out is about: for
// each access of the race, the contract function nearest the top of its stack. Nil when out
// holds no TSan report, or its stacks name no contract function.
func Blame(out string, c *contract.Contract) []string {
	lines := strings.Split(out, "\n")
	start := slices.IndexFunc(lines, tsanStartRe.MatchString)
	if start < 0 {
		return nil
	}
	var funcs []string
	inAccess, found := false, false
	for _, l := range lines[start+1:] {
		switch {
		case tsanStartRe.MatchString(l) || strings.HasPrefix(l, "SUMMARY:"):
			return funcs
		case tsanAccessRe.MatchString(l):
			inAccess, found = true, false
		case frameRe.MatchString(l):
			if !inAccess || found {
				continue
			}
			if fn := contractFunc(l, c); fn != "" {
				found = true
				if !slices.Contains(funcs, fn) {
					funcs = append(funcs, fn)
				}
			}
		default:
			inAccess = false
		}
	}
	return funcs
}

// culprits are the functions of a race whose claim it breaks: when one of them claims
// exclusive, only the exclusive ones (an exclusive call racing with a reader should have
// refused; the reader did nothing wrong).
func culprits(funcs []string, c *contract.Contract) []string {
	var ex []string
	for _, f := range funcs {
		if c.Function(f).Threads == contract.ThreadsExclusive {
			ex = append(ex, f)
		}
	}
	if len(ex) > 0 {
		return ex
	}
	return funcs
}

// contractFunc is the contract function a frame line names, or "".
func contractFunc(frame string, c *contract.Contract) string {
	for _, id := range identRe.FindAllString(frame, -1) {
		if c.Function(id) != nil {
			return id
		}
	}
	return ""
}
