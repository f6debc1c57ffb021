package cli

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// tailEvent is one line of `tail -o json`: a contract, documented in the
// README. Keys are snake_case and never renamed.
type tailEvent struct {
	Cursor         string   `json:"cursor"`
	EventID        string   `json:"event_id,omitempty"`
	EventType      string   `json:"event_type"`
	UserID         string   `json:"user_id"`
	Payload        *string  `json:"payload,omitempty"`
	PayloadBase64  string   `json:"payload_base64,omitempty"`
	CreatedAt      string   `json:"created_at,omitempty"`
	ReceivedAt     string   `json:"received_at"`
	LatencyMS      *float64 `json:"latency_ms,omitempty"`
	SignatureValid *bool    `json:"signature_valid,omitempty"`
	GapMS          *float64 `json:"gap_ms,omitempty"`
}

// eventPrinter writes events to stdout in the chosen format.
type eventPrinter struct {
	w          io.Writer
	json       bool
	heartbeats bool
	pub        ed25519.PublicKey
	now        func() time.Time
	enc        *json.Encoder
	last       time.Time // last message on a gateway stream, for heartbeat gaps
}

func newEventPrinter(w io.Writer, output string, heartbeats bool, pub ed25519.PublicKey, now func() time.Time) *eventPrinter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &eventPrinter{w: w, json: output == "json", heartbeats: heartbeats, pub: pub, now: now, enc: enc}
}

func (p *eventPrinter) base(eventType, userID string, payload []byte, created *timestamppb.Timestamp) tailEvent {
	now := p.now()
	e := tailEvent{EventType: eventType, UserID: userID, ReceivedAt: now.UTC().Format(time.RFC3339Nano)}
	if utf8.Valid(payload) {
		s := string(payload)
		e.Payload = &s
	} else {
		e.PayloadBase64 = base64.StdEncoding.EncodeToString(payload)
	}
	if created != nil {
		c := created.AsTime()
		e.CreatedAt = c.UTC().Format(time.RFC3339Nano)
		ms := float64(now.Sub(c).Microseconds()) / 1000
		e.LatencyMS = &ms
	}
	return e
}

func (p *eventPrinter) printPush(ev *pushv1.PushEvent) error {
	e := p.base(ev.GetEventType(), ev.GetUserId(), ev.GetPayload(), ev.GetCreatedAt())
	e.Cursor = ev.GetCursor()
	return p.write(e)
}

func (p *eventPrinter) printGateway(ev *gatewayv1.GatewayEvent) error {
	p.last = p.now()
	e := p.base(ev.GetEventType(), ev.GetUserId(), ev.GetPayload(), ev.GetCreatedAt())
	e.Cursor = ev.GetEventId()
	e.EventID = ev.GetEventId()
	if p.pub != nil {
		ok := gateway.Verify(p.pub, ev)
		e.SignatureValid = &ok
	}
	return p.write(e)
}

func (p *eventPrinter) printHeartbeat() error {
	now := p.now()
	var gap *float64
	if !p.last.IsZero() {
		g := float64(now.Sub(p.last).Microseconds()) / 1000
		gap = &g
	}
	p.last = now
	if !p.heartbeats {
		return nil
	}
	e := tailEvent{EventType: gatewayv1.HeartbeatEventType, ReceivedAt: now.UTC().Format(time.RFC3339Nano), GapMS: gap}
	if p.json {
		return p.enc.Encode(e)
	}
	after := ""
	if gap != nil {
		after = fmt.Sprintf("  (%.1fs since the last message)", *gap/1000)
	}
	_, err := fmt.Fprintf(p.w, "%s  %s%s\n", now.Format("15:04:05.000"), gatewayv1.HeartbeatEventType, after)
	return err
}

func (p *eventPrinter) write(e tailEvent) error {
	if p.json {
		return p.enc.Encode(e)
	}
	payload := ""
	if e.Payload != nil {
		payload = *e.Payload
	} else {
		payload = "base64:" + e.PayloadBase64
	}
	user := e.UserID
	if user == "" {
		user = "*"
	}
	extra := ""
	if e.LatencyMS != nil {
		extra = fmt.Sprintf("  latency=%.1fms", *e.LatencyMS)
	}
	if e.SignatureValid != nil {
		if *e.SignatureValid {
			extra += "  signature=valid"
		} else {
			extra += "  signature=INVALID"
		}
	}
	t, _ := time.Parse(time.RFC3339Nano, e.ReceivedAt)
	_, err := fmt.Fprintf(p.w, "%s  %-20s user=%-10s %s  cursor=%s%s\n",
		t.Local().Format("15:04:05.000"), e.EventType, user, payload, e.Cursor, extra)
	return err
}
