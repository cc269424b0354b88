package fuzz

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seamfuzz/seam/derive"
)

// Violation is a finding that is not a crash (see derive.Violation): every target derived from
// a contract reports this one type, so one parser signs them all.
type Violation = derive.Violation

func contract(op, field, reason, format string, args ...any) *Violation {
	return &Violation{Kind: "contract", Op: op, Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func mismatch(op, field, reason, format string, args ...any) *Violation {
	return &Violation{Kind: "mismatch", Op: op, Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// AsViolation extracts a Violation from a target error, or nil.
func AsViolation(err error) *Violation {
	var v *Violation
	if errors.As(err, &v) {
		return v
	}
	return nil
}

// ParseViolation recovers a violation from its Error() text (as a go test failure prints it),
// so the supervisor can sign findings it only sees as output.
func ParseViolation(msg string) *Violation {
	for _, kind := range []string{"contract", "mismatch"} {
		i := strings.Index(msg, kind+" in ")
		if i < 0 {
			continue
		}
		rest := msg[i+len(kind)+4:]
		op, rest, ok := strings.Cut(rest, ": ")
		if !ok {
			continue
		}
		field, rest, ok := strings.Cut(rest, ": ")
		if !ok {
			continue
		}
		j := strings.LastIndex(rest, " (")
		if j < 0 || !strings.HasSuffix(strings.TrimSpace(rest), ")") {
			continue
		}
		reason := strings.TrimSuffix(strings.TrimSpace(rest[j+2:]), ")")
		return &Violation{Kind: kind, Op: op, Field: field, Reason: reason, Detail: rest[:j], Engine: engineBefore(msg[:i])}
	}
	return nil
}

// engineBefore returns X from the "engine=X: " that Target.Run puts right before a violation.
func engineBefore(prefix string) string {
	prefix = strings.TrimSuffix(prefix, ": ")
	i := strings.LastIndex(prefix, "engine=")
	if i < 0 || strings.ContainsAny(prefix[i:], " :") {
		return ""
	}
	return prefix[i+len("engine="):]
}

// SignViolation signs a target's non-crash finding from its message (finding.Violation).
func SignViolation(msg string) (signature, typ string, ok bool) {
	v := ParseViolation(msg)
	if v == nil {
		return "", "", false
	}
	return v.Signature(), v.Type(), true
}
