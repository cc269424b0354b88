package trace

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
)

// Marshal writes t as a trace file that Parse reads back to the same calls: bytes as text
// when they are UTF-8, else base64; handles as "$NAME".
func Marshal(b *boundary.Boundary, t Trace) ([]byte, error) {
	type wcall struct {
		Call string         `json:"call"`
		Args map[string]any `json:"args,omitempty"`
		As   string         `json:"as,omitempty"`
	}
	w := struct {
		ID    string  `json:"id,omitempty"`
		Calls []wcall `json:"calls"`
	}{ID: t.ID}
	for i, c := range t.Calls {
		f := b.Contract.Function(c.Func)
		if f == nil {
			return nil, fmt.Errorf("%s: call %d: %s is not a function of %s", t, i+1, c.Func, b.Contract.Path)
		}
		wc := wcall{Call: c.Func, Args: map[string]any{}, As: c.As}
		for name, a := range c.Args {
			if a.Ref != "" {
				wc.Args[name] = "$" + a.Ref
				continue
			}
			wc.Args[name] = wireValue(f.Param(name), a.Value, a.Consts, "")
		}
		w.Calls = append(w.Calls, wc)
	}
	return json.Marshal(w)
}

// wireValue is one argument as a trace writes it, by its contract role (nil: no role, an
// int), with the constant names the trace read it from (consts, by field; "" the argument).
func wireValue(p *contract.Param, v boundary.Value, consts map[string]string, field string) any {
	if v.Null {
		return nil
	}
	if p != nil {
		switch p.Role {
		case contract.RoleBytes, contract.RoleString:
			return wireBytes(v.Bytes)
		case contract.RoleStruct, contract.RoleOutStruct:
			obj := map[string]any{}
			for name, fv := range v.Fields {
				obj[name] = wireValue(p.Field(name), fv, consts, name)
			}
			return obj
		}
	}
	if c := consts[field]; c != "" {
		return c
	}
	return v.Int
}

func wireBytes(b []byte) map[string]string {
	if utf8.Valid(b) {
		return map[string]string{"text": string(b)}
	}
	return map[string]string{"base64": base64.StdEncoding.EncodeToString(b)}
}
