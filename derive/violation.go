package derive

import (
	"fmt"
	"strings"
)

// Violation is a finding that is not a crash: an engine broke its contract (a status, an
// output rule) or two engines disagree. Kind, Op, Field and Reason are stable across inputs,
// so they form the signature; Detail carries this input's values. Its text is
// "KIND in OP: FIELD: DETAIL (REASON)", which the campaign parses back (fuzz.ParseViolation).
type Violation struct {
	Kind   string // "mismatch" (two engines) or "contract" (one engine vs its contract)
	Op     string // the contract function
	Field  string // status, a parameter, a struct field or array element of an output
	Reason string // rounding drift, status differs, wrong status for over_max, ...
	Detail string
	// Engine is the engine that broke its contract (contract kind only): the same broken rule
	// in two engines is two bugs, not one.
	Engine string
}

// Violation kinds.
const (
	KindContract = "contract"
	KindMismatch = "mismatch"
)

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
	if v.Kind == KindContract && v.Engine != "" {
		sig += " | engine " + v.Engine
	}
	return sig
}

func breach(op, field, reason, format string, args ...any) *Violation {
	return &Violation{Kind: KindContract, Op: op, Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func mismatch(op, field, reason, format string, args ...any) *Violation {
	return &Violation{Kind: KindMismatch, Op: op, Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}
