package spec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/seamfuzz/seam/trace"
)

// A pricing service logs each request it served as one JSON object (JSON Lines for a day):
//
//	{"request_id": "req-1", "engine": "cpp", "request": {"item_count": 1, "subtotal_cents": 10000,
//	 "region_id": 1, "customer_tier": 0, "coupon": "SAVE10"}, "rules": "1,0,1000,825\n"}
//
// seam repro replays such a record as the call trace it stands for: pricing_rules_new,
// pricing_rules_load with the rules text, pricing_quote with the request.
func init() { trace.RegisterLogFormat("pricing", RequestTrace) }

// ProductionRequest is a request as a pricing service logs it.
type ProductionRequest struct {
	RequestID string      `json:"request_id"`
	Engine    string      `json:"engine,omitempty"` // the engine that served it in production
	Request   RequestJSON `json:"request"`
	Rules     string      `json:"rules"`
	// RulesHex carries rules text that is not valid UTF-8 (JSON strings cannot); it replaces
	// Rules when set.
	RulesHex string `json:"rules_hex,omitempty"`
}

// RequestJSON is pricing_request's logged form. Coupon is a string when it is valid UTF-8 and
// CouponHex otherwise, so every byte survives.
type RequestJSON struct {
	ItemCount     uint32 `json:"item_count"`
	SubtotalCents int64  `json:"subtotal_cents"`
	RegionID      uint32 `json:"region_id"`
	CustomerTier  uint32 `json:"customer_tier"`
	Coupon        string `json:"coupon,omitempty"`
	CouponHex     string `json:"coupon_hex,omitempty"`
}

// RequestTrace converts one logged request into its call trace; a JSON object without a
// "request" key is not a logged request.
func RequestTrace(line []byte) ([]byte, bool, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(line, &probe) != nil {
		return nil, false, nil
	}
	if _, ok := probe["request"]; !ok {
		return nil, false, nil
	}
	p, err := ParseProductionRequest(line)
	if err != nil {
		return nil, true, err
	}
	out, err := json.Marshal(p.trace())
	return out, true, err
}

// ParseProductionRequest decodes one logged request strictly: unknown fields and malformed JSON
// are errors naming the field or byte offset.
func ParseProductionRequest(b []byte) (ProductionRequest, error) {
	var p ProductionRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return p, fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return p, fmt.Errorf("field %q at byte %d: want %s, got %s", te.Field, te.Offset, te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return p, fmt.Errorf("unknown field %s at byte %d (known: request_id, engine, request{item_count, subtotal_cents, region_id, customer_tier, coupon, coupon_hex}, rules, rules_hex)",
				strings.TrimPrefix(err.Error(), "json: unknown field "), dec.InputOffset())
		}
		return p, fmt.Errorf("bad request JSON at byte %d: %v", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return p, fmt.Errorf("trailing data after the request object at byte %d", dec.InputOffset())
	}
	if p.Request.Coupon != "" && p.Request.CouponHex != "" {
		return p, errors.New("request has both coupon and coupon_hex: give one")
	}
	if _, err := hex.DecodeString(p.Request.CouponHex); err != nil {
		return p, fmt.Errorf("field coupon_hex: %v", err)
	}
	if _, err := hex.DecodeString(p.RulesHex); err != nil {
		return p, fmt.Errorf("field rules_hex: %v", err)
	}
	return p, nil
}

func (p ProductionRequest) coupon() []byte {
	if p.Request.CouponHex != "" {
		b, _ := hex.DecodeString(p.Request.CouponHex)
		return b
	}
	return []byte(p.Request.Coupon)
}

func (p ProductionRequest) rules() []byte {
	if p.RulesHex != "" {
		b, _ := hex.DecodeString(p.RulesHex)
		return b
	}
	return []byte(p.Rules)
}

// traceBytes is a trace's bytes argument: text when it is valid UTF-8 (what a JSON string
// holds), base64 otherwise.
func traceBytes(b []byte) map[string]any {
	if utf8.Valid(b) {
		return map[string]any{"text": string(b)}
	}
	return map[string]any{"base64": b} // encoding/json writes []byte as base64
}

// trace is the request's calls, by the contract's parameter and field names.
func (p ProductionRequest) trace() map[string]any {
	q := p.Request
	return map[string]any{"id": p.RequestID, "calls": []map[string]any{
		{"call": "pricing_rules_new", "args": map[string]any{}, "as": "r"},
		{"call": "pricing_rules_load", "args": map[string]any{"r": "$r", "text": traceBytes(p.rules())}},
		{"call": "pricing_quote", "args": map[string]any{"r": "$r", "req": map[string]any{
			"item_count": q.ItemCount, "subtotal_cents": q.SubtotalCents, "region_id": q.RegionID,
			"customer_tier": q.CustomerTier, "coupon": traceBytes(p.coupon()),
		}}},
	}}
}
