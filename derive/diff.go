package derive

import (
	"bytes"
	"fmt"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// Reasons of the differential.
const (
	ReasonStatusDiffers = "status differs"
	ReasonUTF8Differs   = "UTF-8 validation differs"
	ReasonValueDiffers  = "value differs"
	ReasonRoundingDrift = "rounding drift"
	ReasonLengthDiffers = "length differs"
	ReasonBytesDiffer   = "bytes differ"
	ReasonCallsDiffer   = "calls differ"
)

// drift is how far apart two integers may be to be called rounding drift.
const drift = 2

// differ compares the calls two engines made for the same program, the first the reference:
// status, return value, every output (ints, bytes, struct fields, array elements), except what
// the contract marks engine-specific and what on_error leaves unspecified.
func (t Target) differ(ra, rb []record, na, nb string) *Violation {
	for i := 0; i < min(len(ra), len(rb)); i++ {
		x, y := ra[i], rb[i]
		f := x.fn
		if y.fn != f {
			break
		}
		where := func() string { return "call " + describe(x) }
		switch f.Returns.Kind {
		case contract.ReturnStatus:
			if x.res.Status != y.res.Status {
				reason := ReasonStatusDiffers
				if utf8Case(x.bad) || utf8Case(y.bad) {
					reason = ReasonUTF8Differs
				}
				return mismatch(f.Name, fieldStatus, reason, "%s=%s %s=%s; %s", na, x.res.Status, nb, y.res.Status, where())
			}
		case contract.ReturnValue:
			if !f.Returns.EngineSpecific && x.res.Ret != y.res.Ret {
				return mismatch(f.Name, fieldReturn, intReason(x.res.Ret, y.res.Ret), "%s=%d %s=%d; %s", na, x.res.Ret, nb, y.res.Ret, where())
			}
		case contract.ReturnString:
			if !f.Returns.EngineSpecific && x.res.Str != y.res.Str {
				return mismatch(f.Name, fieldReturn, bytesReason([]byte(x.res.Str), []byte(y.res.Str)), "%s=%q %s=%q; %s", na, x.res.Str, nb, y.res.Str, where())
			}
		}
		for _, p := range f.Params {
			if p.EngineSpecific || (x.res.Status != "ok" && x.res.Status != "" && p.OnError == contract.OnErrorUnspecified) {
				continue
			}
			a, oka := x.res.Out[p.Name]
			b, okb := y.res.Out[p.Name]
			if !oka && !okb {
				continue
			}
			if field, reason, d := compare(p.Name, a, b); reason != "" {
				return mismatch(f.Name, field, reason, "%s=%s %s=%s; %s", na, d[0], nb, d[1], where())
			}
		}
	}
	if len(ra) != len(rb) {
		return mismatch(fnName(ra, rb), "calls", ReasonCallsDiffer, "%s made %d calls, %s %d", na, len(ra), nb, len(rb))
	}
	return nil
}

func fnName(ra, rb []record) string {
	n := min(len(ra), len(rb))
	if n > 0 {
		return ra[n-1].fn.Name
	}
	if len(ra) > 0 {
		return ra[0].fn.Name
	}
	return rb[0].fn.Name
}

func utf8Case(bad []broken) bool {
	for _, b := range bad {
		if b.pre == contract.PreInvalidUTF8 {
			return true
		}
	}
	return false
}

func intReason(a, b int64) string {
	if d := a - b; d >= -drift && d <= drift {
		return ReasonRoundingDrift
	}
	return ReasonValueDiffers
}

func bytesReason(a, b []byte) string {
	if len(a) != len(b) {
		return ReasonLengthDiffers
	}
	return ReasonBytesDiffer
}

// compare finds the first difference between two outputs, recursively: its field path (array
// elements as [], so one broken field is one signature whatever its index), the reason, and
// the two values as shown in the detail.
func compare(path string, a, b boundary.Value) (string, string, [2]string) {
	show := func(x, y boundary.Value) [2]string { return [2]string{clip(x.String()), clip(y.String())} }
	switch {
	case a.Null != b.Null:
		return path, ReasonValueDiffers, show(a, b)
	case a.Handle != nil || b.Handle != nil:
		if (a.Handle == nil) != (b.Handle == nil) {
			return path, ReasonValueDiffers, show(a, b)
		}
		return "", "", [2]string{}
	case a.Fields != nil || b.Fields != nil:
		for _, k := range sortedKeys(a.Fields) {
			if f, r, d := compare(path+"."+k, a.Fields[k], b.Fields[k]); r != "" {
				return f, r, d
			}
		}
		return "", "", [2]string{}
	case a.Elems != nil || b.Elems != nil:
		if len(a.Elems) != len(b.Elems) {
			return path, ReasonLengthDiffers, [2]string{fmt.Sprintf("%d elements", len(a.Elems)), fmt.Sprintf("%d elements", len(b.Elems))}
		}
		for i := range a.Elems {
			if f, r, d := compare(path+"[]", a.Elems[i], b.Elems[i]); r != "" {
				return f, r, [2]string{fmt.Sprintf("[%d] %s", i, d[0]), fmt.Sprintf("[%d] %s", i, d[1])}
			}
		}
		return "", "", [2]string{}
	case a.Bytes != nil || b.Bytes != nil:
		if !bytes.Equal(a.Bytes, b.Bytes) {
			return path, bytesReason(a.Bytes, b.Bytes), show(a, b)
		}
		return "", "", [2]string{}
	case a.Int != b.Int:
		return path, intReason(a.Int, b.Int), show(a, b)
	}
	return "", "", [2]string{}
}
