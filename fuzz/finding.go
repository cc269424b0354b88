package fuzz

import (
	"errors"
	"fmt"
	"strings"
)

// Violation is a finding that is not a crash: an engine broke the header (status, arithmetic,
// format) or two engines disagree. Kind, Op, Field and Reason are stable across inputs, so
// they form the signature; Detail carries this input's values.
type Violation struct {
	Kind   string // "mismatch" (two engines) or "contract" (one engine vs the header)
	Op     string // the contract function
	Field  string // status, final_price_cents, text, bytes, ...
	Reason string // rounding drift, UTF-8 validation differs, status differs, ...
	Detail string
	// Engine is seam_engine_name() of the engine that broke the header (contract kind only):
	// the same broken rule in the C++ and in the Rust engine is two bugs, not one.
	Engine string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("%s in %s: %s: %s (%s)", v.Kind, v.Op, v.Field, v.Detail, v.Reason)
}

// Type is the finding's crash-type equivalent for reports and SARIF rules.
func (v *Violation) Type() string {
	return v.Kind + "-" + strings.ReplaceAll(v.Reason, " ", "-")
}

// Signature is the dedup key: the same broken rule found twice is one finding.
func (v *Violation) Signature() string {
	sig := fmt.Sprintf("%s | %s | %s | %s", v.Type(), v.Op, v.Field, v.Reason)
	if v.Kind == "contract" && v.Engine != "" {
		sig += " | engine " + v.Engine
	}
	return sig
}

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
