// Fuzz target "request": one production request (rules + quote) in seam's binary corpus form, as
// `seam repro` stores a logged request. It replays the request on each engine against the spec
// model and, with two engines, compares them.
//
//	go test ./fuzz -run='^$' -fuzz='^FuzzRequest$' -fuzztime=1m      (or: seam fuzz -target request)
package fuzz

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/seamfuzz/seam/engine"
)

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
// CouponHex otherwise, so every byte survives the round trip.
type RequestJSON struct {
	ItemCount     uint32 `json:"item_count"`
	SubtotalCents int64  `json:"subtotal_cents"`
	RegionID      uint32 `json:"region_id"`
	CustomerTier  uint32 `json:"customer_tier"`
	Coupon        string `json:"coupon,omitempty"`
	CouponHex     string `json:"coupon_hex,omitempty"`
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

// requestMagic starts the corpus form of a production request.
const requestMagic = "SEAMREQ1"

// EncodeRequest is the corpus bytes of a production request (lossless; see DecodeRequest).
func EncodeRequest(p ProductionRequest) []byte {
	var b bytes.Buffer
	b.WriteString(requestMagic)
	str := func(s []byte) {
		binary.Write(&b, binary.LittleEndian, uint32(len(s)))
		b.Write(s)
	}
	str([]byte(p.RequestID))
	str([]byte(p.Engine))
	binary.Write(&b, binary.LittleEndian, p.Request.ItemCount)
	binary.Write(&b, binary.LittleEndian, p.Request.SubtotalCents)
	binary.Write(&b, binary.LittleEndian, p.Request.RegionID)
	binary.Write(&b, binary.LittleEndian, p.Request.CustomerTier)
	str(p.coupon())
	str(p.rules())
	return b.Bytes()
}

// DecodeRequest is the inverse of EncodeRequest; the JSON form uses coupon/rules strings when
// the bytes are valid UTF-8 and the _hex fields otherwise.
func DecodeRequest(data []byte) (ProductionRequest, error) {
	var p ProductionRequest
	if !bytes.HasPrefix(data, []byte(requestMagic)) {
		return p, errors.New("not a production request (no SEAMREQ1 header)")
	}
	r := bytes.NewReader(data[len(requestMagic):])
	str := func() ([]byte, error) {
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, err
		}
		if int64(n) > int64(r.Len()) {
			return nil, errors.New("length past the end")
		}
		s := make([]byte, n)
		_, err := io.ReadFull(r, s)
		return s, err
	}
	id, err := str()
	if err != nil {
		return p, fmt.Errorf("request_id: %w", err)
	}
	eng, err := str()
	if err != nil {
		return p, fmt.Errorf("engine: %w", err)
	}
	q := &p.Request
	for _, f := range []any{&q.ItemCount, &q.SubtotalCents, &q.RegionID, &q.CustomerTier} {
		if err := binary.Read(r, binary.LittleEndian, f); err != nil {
			return p, fmt.Errorf("request fields: %w", err)
		}
	}
	coupon, err := str()
	if err != nil {
		return p, fmt.Errorf("coupon: %w", err)
	}
	rules, err := str()
	if err != nil {
		return p, fmt.Errorf("rules: %w", err)
	}
	if r.Len() != 0 {
		return p, fmt.Errorf("%d bytes after the rules", r.Len())
	}
	p.RequestID, p.Engine = string(id), string(eng)
	if utf8.Valid(coupon) {
		q.Coupon = string(coupon)
	} else {
		q.CouponHex = hex.EncodeToString(coupon)
	}
	if utf8.Valid(rules) {
		p.Rules = string(rules)
	} else {
		p.RulesHex = hex.EncodeToString(rules)
	}
	return p, nil
}

var requestTarget = register(Target{
	Name: "request", FuzzFunc: "FuzzRequest", one: runRequestOne, pair: runRequestPair,
	Seeds: [][]byte{EncodeRequest(ProductionRequest{RequestID: "seed-1", Request: RequestJSON{ItemCount: 1, SubtotalCents: 10000, RegionID: 1}, Rules: RefRules})},
})

func (p ProductionRequest) quoteArgs() engine.QuoteArgs {
	q := engine.NewRequest(p.Request.ItemCount, p.Request.SubtotalCents, p.Request.RegionID, p.Request.CustomerTier)
	q.Coupon = engine.Bytes(p.coupon())
	return engine.QuoteArgs{Req: q, ResultStructSize: engine.ResultSize}
}

// Verbose makes the request target print each engine's answer (seam repro sets it).
var Verbose = os.Getenv("SEAM_REPRO_VERBOSE") != ""

func runRequestOne(e *engine.Engine, data []byte) error {
	p, err := DecodeRequest(data)
	if err != nil {
		return nil // not a request: nothing to replay (arbitrary fuzz bytes land here)
	}
	r, err := mustNew(e)
	if err != nil {
		return err
	}
	defer r.Free()
	text := engine.Bytes(p.rules())
	lst := r.Load(text)
	if Verbose {
		fmt.Printf("engine=%s load=%v", e.Name(), lst)
		if res, st := r.Quote(p.quoteArgs().Req); st == engine.OK {
			fmt.Printf(" quote=%v final=%d discount=%d tax=%d\n", st, res.FinalPriceCents, res.DiscountCents, res.TaxCents)
		} else {
			fmt.Printf(" quote=%v\n", st)
		}
	}
	if err := expectOneOf("pricing_rules_load", lst, loadAllowed(text)...); err != nil {
		return err
	}
	return checkQuote(e, r, p.quoteArgs(), false)
}

// runRequestPair checks each engine, then compares them: the rollout's shadow compare.
func runRequestPair(a, b *engine.Engine, data []byte) error {
	p, err := DecodeRequest(data)
	if err != nil {
		return nil
	}
	ra, err := mustNew(a)
	if err != nil {
		return err
	}
	defer ra.Free()
	rb, err := mustNew(b)
	if err != nil {
		return err
	}
	defer rb.Free()
	text := engine.Bytes(p.rules())
	if err := compareStatus("pricing_rules_load", a, b, ra.Load(text), rb.Load(text), !utf8.Valid(text.Data)); err != nil {
		return err
	}
	q := p.quoteArgs()
	resA, stA := ra.QuoteWith(q)
	resB, stB := rb.QuoteWith(q)
	if err := compareStatus("pricing_quote", a, b, stA, stB, !utf8.Valid(p.coupon())); err != nil {
		return err
	}
	if stA == engine.OK {
		if field, detail, reason, ok := ResultDiff(resA, resB, a.Name(), b.Name()); ok {
			return mismatch("pricing_quote", field, reason, "%s for request %s", detail, p.RequestID)
		}
	}
	return nil
}
