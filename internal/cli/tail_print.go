package cli

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// tailEvent is one line of `tail -o json`: a contract, documented in the
// README. Keys are snake_case and never renamed.
type tailEvent struct {
	Cursor         string   `json:"cursor,omitempty"`
	EventID        string   `json:"event_id,omitempty"`
	EventType      string   `json:"event_type"`
	UserID         string   `json:"user_id"`
	Payload        *string  `json:"payload,omitempty"`
	PayloadBase64  string   `json:"payload_base64,omitempty"`
	CreatedAt      string   `json:"created_at,omitempty"`
	ReceivedAt     string   `json:"received_at"`
	LatencyMS      *float64 `json:"latency_ms,omitempty"`
	SignatureValid *bool    `json:"signature_valid,omitempty"`
	Replayed       bool     `json:"replayed,omitempty"`
	GapMS          *float64 `json:"gap_ms,omitempty"`
}

// printerOptions are what an eventPrinter prints and how.
type printerOptions struct {
	output     string
	heartbeats bool
	// pub, if set, verifies each gateway event's signature (--verify-key).
	pub ed25519.PublicKey
	now func() time.Time
	// width cuts pretty lines' payloads to the terminal; 0 means whole
	// lines (not a terminal, or --wide).
	width int
}

// eventPrinter writes events to stdout in the chosen format, and checks
// their order and signatures on the way.
type eventPrinter struct {
	w          io.Writer
	json       bool
	heartbeats bool
	width      int
	now        func() time.Time
	enc        *json.Encoder
	last       time.Time // a gateway stream's start or last message, for heartbeat gaps
	lastStart  bool      // last is the stream's start: no message yet
	order      orderCheck
	verify     *verifyTally // nil without --verify-key
}

func newEventPrinter(w io.Writer, po printerOptions) *eventPrinter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	p := &eventPrinter{w: w, json: po.output == "json", heartbeats: po.heartbeats, width: po.width, now: po.now, enc: enc}
	if po.pub != nil {
		p.verify = &verifyTally{pub: po.pub}
	}
	return p
}

// streamStarted marks the start of a gateway stream: the first heartbeat's
// gap is measured from it.
func (p *eventPrinter) streamStarted() { p.last, p.lastStart = p.now(), true }

// message marks a message on a gateway stream, printed or not.
func (p *eventPrinter) message() { p.last, p.lastStart = p.now(), false }

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
	e.Replayed = p.order.replayed(e.Cursor)
	return p.write(e, "")
}

func (p *eventPrinter) printGateway(ev *gatewayv1.GatewayEvent) error {
	e := p.base(ev.GetEventType(), ev.GetUserId(), ev.GetPayload(), ev.GetCreatedAt())
	e.Cursor = ev.GetEventId()
	e.EventID = ev.GetEventId()
	e.Replayed = p.order.replayed(e.EventID)
	mark := ""
	if p.verify != nil {
		v := p.verify.check(ev, e.Replayed)
		ok := v == verdictValid
		e.SignatureValid = &ok
		mark = v.String()
	}
	return p.write(e, mark)
}

// printHeartbeat notes a heartbeat and prints it with --heartbeats; it
// reports whether it printed.
func (p *eventPrinter) printHeartbeat() (bool, error) {
	now := p.now()
	var gap *float64
	if !p.last.IsZero() {
		g := float64(now.Sub(p.last).Microseconds()) / 1000
		gap = &g
	}
	since := "since the last message"
	if p.lastStart {
		since = "since the stream started"
	}
	p.last, p.lastStart = now, false
	if !p.heartbeats {
		return false, nil
	}
	e := tailEvent{EventType: gatewayv1.HeartbeatEventType, ReceivedAt: now.UTC().Format(time.RFC3339Nano), GapMS: gap}
	if p.json {
		return true, p.enc.Encode(e)
	}
	after := ""
	if gap != nil {
		after = fmt.Sprintf("(%s %s)", humanLatency(*gap), since)
	}
	_, err := fmt.Fprintf(p.w, "%s  %s  %s\n", now.Local().Format("15:04:05.000"), column(gatewayv1.HeartbeatEventType, typeColumn), after)
	return true, err
}

// write prints e: as JSON, or as one aligned line whose every field from
// the wire is terminal-safe. The verdict of --verify-key and a replay mark
// come before the payload, so no payload can pass for them.
func (p *eventPrinter) write(e tailEvent, verdict string) error {
	if p.json {
		return p.enc.Encode(e)
	}
	payload := "base64:" + e.PayloadBase64
	if e.Payload != nil {
		payload = termSafe(*e.Payload)
	}
	user := e.UserID
	if user == "" {
		user = "*"
	}
	latency := "-"
	if e.LatencyMS != nil {
		latency = humanLatency(*e.LatencyMS)
	}
	t, _ := time.Parse(time.RFC3339Nano, e.ReceivedAt)
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %s  %*s  %-33s  ", t.Local().Format("15:04:05.000"), column(e.EventType, typeColumn),
		column(user, userColumn), latencyColumn, latency, termSafe(e.Cursor))
	if verdict != "" {
		b.WriteString(verdict + "  ")
	}
	if e.Replayed {
		b.WriteString("REPLAYED  ")
	}
	if p.width > 0 {
		// At least a few cells of payload, even on a narrow terminal.
		payload = fitWidth(payload, max(p.width-ansi.StringWidth(b.String()), 8))
	}
	b.WriteString(payload)
	_, err := fmt.Fprintln(p.w, strings.TrimRight(b.String(), " "))
	return err
}
