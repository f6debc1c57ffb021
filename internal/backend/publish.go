package backend

import (
	"bytes"
	"context"
	"strings"
	"unicode"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Limits on the identifiers a request carries. With the payload limit they
// bound what one event, and so the ring, can hold: without them a 1 MiB
// request of event_type alone would pass the payload check.
const (
	MaxEventTypeBytes = 256
	MaxUserIDBytes    = 1024 // the gateway's user_id filter limit too
	MaxClientIDBytes  = 256
)

// ReservedTypePrefix starts the event types the gateway sends itself (its
// heartbeat): a published event with one would be dropped by every gateway
// after it had been given a cursor, so Publish refuses it.
const ReservedTypePrefix = "gateway."

// Publish appends one event and returns its cursor. An empty event_type,
// identifiers over their limits or with control characters, a reserved
// event_type, or a payload over Config.MaxPayload is InvalidArgument; after
// Close it is Unavailable.
func (s *Server) Publish(_ context.Context, req *pushv1.PublishRequest) (*pushv1.PublishResponse, error) {
	if req.GetEventType() == "" {
		return nil, status.Error(codes.InvalidArgument, "event_type is required")
	}
	if n := len(req.GetEventType()); n > MaxEventTypeBytes {
		return nil, status.Errorf(codes.InvalidArgument, "event_type is %d bytes, over the limit of %d bytes", n, MaxEventTypeBytes)
	}
	if n := len(req.GetUserId()); n > MaxUserIDBytes {
		return nil, status.Errorf(codes.InvalidArgument, "user_id is %d bytes, over the limit of %d bytes", n, MaxUserIDBytes)
	}
	if err := checkPrintable("event_type", req.GetEventType()); err != nil {
		return nil, err
	}
	if err := checkPrintable("user_id", req.GetUserId()); err != nil {
		return nil, err
	}
	if strings.HasPrefix(req.GetEventType(), ReservedTypePrefix) {
		return nil, status.Errorf(codes.InvalidArgument, "event_type %q: the %q prefix is reserved for the gateway's own events", req.GetEventType(), ReservedTypePrefix)
	}
	if n := len(req.GetPayload()); n > s.cfg.MaxPayload {
		return nil, status.Errorf(codes.InvalidArgument, "payload is %d bytes, over the limit of %d bytes", n, s.cfg.MaxPayload)
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errShuttingDown
	}
	return &pushv1.PublishResponse{Cursor: s.Append(req.GetEventType(), req.GetUserId(), req.GetPayload())}, nil
}

// Append appends one event for an in-process publisher and returns its
// cursor. It copies payload, never blocks on subscribers, and does not
// apply Publish's checks: its caller is trusted code, not a request.
func (s *Server) Append(eventType, userID string, payload []byte) string {
	now := s.cfg.Clock.Now()
	ev := &pushv1.PushEvent{
		EventType: eventType,
		UserId:    userID,
		Payload:   bytes.Clone(payload),
		CreatedAt: timestamppb.New(now),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	ev.Cursor = FormatCursor(Cursor{Incarnation: s.inc, Seq: s.ring.next})
	full := s.ring.push(entry{at: now, ev: ev})
	s.in.published.Add(context.Background(), 1)
	if full {
		s.in.evictedCount(1)
	}
	oldest, next := s.ring.oldest(), s.ring.next
	for _, sub := range s.subs {
		switch {
		case sub.next < oldest:
			// Its next event was just evicted: continuing would be a gap.
			s.dropLocked(sub)
		case next-max(sub.sent.Load(), sub.liveFrom) > uint64(s.cfg.MaxLag):
			s.dropLocked(sub)
		default:
			sub.wake()
		}
	}
	return ev.Cursor
}

// checkPrintable refuses control characters (C0, DEL, C1) and the
// bidirectional controls in an identifier, naming the field and the byte
// offset: printed by a tool, they can rewrite a terminal or reorder what it
// shows, and nothing needs them in a type or a user id.
func checkPrintable(field, s string) error {
	for i, r := range s {
		if unicode.IsControl(r) || IsBidiControl(r) {
			return status.Errorf(codes.InvalidArgument, "%s has a control character (%U) at byte %d; control and bidirectional characters are not allowed", field, r, i)
		}
	}
	return nil
}

// IsBidiControl reports whether r is one of the bidirectional embedding,
// override and isolate controls (U+202A–U+202E, U+2066–U+2069).
func IsBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
