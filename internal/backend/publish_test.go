package backend

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

func TestPublishAssignsCursorsAndStamps(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{MaxPayload: 16})
	for i, want := range []string{cursorOf(1), cursorOf(2)} {
		resp, err := h.client.Publish(ctx, &pushv1.PublishRequest{EventType: "t", UserId: "u", Payload: bytes.Repeat([]byte{'x'}, 16)})
		if err != nil || resp.GetCursor() != want {
			t.Fatalf("Publish #%d = %v, %v, want cursor %q", i+1, resp, err, want)
		}
		h.clock.Advance(time.Second)
	}
	if got, want := h.srv.Append("a", "u2", []byte("p")), cursorOf(3); got != want {
		t.Errorf("Append() = %q, want %q", got, want)
	}

	st, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", FromStart: true})
	for i, want := range []struct {
		typ, user, payload string
		at                 time.Time
	}{
		{"t", "u", "xxxxxxxxxxxxxxxx", testStart},
		{"t", "u", "xxxxxxxxxxxxxxxx", testStart.Add(time.Second)},
		{"a", "u2", "p", testStart.Add(2 * time.Second)},
	} {
		ev, err := st.Recv()
		if err != nil {
			t.Fatalf("Recv() #%d = %v, want an event", i+1, err)
		}
		if ev.GetCursor() != cursorOf(uint64(i+1)) || ev.GetEventType() != want.typ || ev.GetUserId() != want.user ||
			string(ev.GetPayload()) != want.payload || !ev.GetCreatedAt().AsTime().Equal(want.at) {
			t.Errorf("Recv() #%d = %v, want cursor %s, type %q, user %q, payload %q, created_at %v",
				i+1, ev, cursorOf(uint64(i+1)), want.typ, want.user, want.payload, want.at)
		}
	}
}

func TestAppendCopiesPayload(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{})
	p := []byte("before")
	h.srv.Append("t", "", p)
	copy(p, "after!")
	st, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", FromStart: true})
	ev, err := st.Recv()
	if err != nil || string(ev.GetPayload()) != "before" {
		t.Errorf("Recv() = %v, %v, want payload %q", ev, err, "before")
	}
}

func TestPublishRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		req  *pushv1.PublishRequest
		want string
	}{
		{"empty type", &pushv1.PublishRequest{Payload: []byte("x")}, "event_type is required"},
		{"payload over limit", &pushv1.PublishRequest{EventType: "t", Payload: make([]byte, 17)}, "payload is 17 bytes, over the limit of 16 bytes"},
		{"event_type over limit", &pushv1.PublishRequest{EventType: strings.Repeat("t", MaxEventTypeBytes+1)}, "event_type is 257 bytes, over the limit of 256 bytes"},
		{"user_id over limit", &pushv1.PublishRequest{EventType: "t", UserId: strings.Repeat("u", MaxUserIDBytes+1)}, "user_id is 1025 bytes, over the limit of 1024 bytes"},
		{"escape in event_type", &pushv1.PublishRequest{EventType: "evil\x1b]0;pwned\a"}, "event_type has a control character (U+001B) at byte 4; control and bidirectional characters are not allowed"},
		{"newline in user_id", &pushv1.PublishRequest{EventType: "t", UserId: "u1\nforged"}, "user_id has a control character (U+000A) at byte 2; control and bidirectional characters are not allowed"},
		{"DEL in event_type", &pushv1.PublishRequest{EventType: "t\x7f"}, "event_type has a control character (U+007F) at byte 1; control and bidirectional characters are not allowed"},
		{"C1 in user_id", &pushv1.PublishRequest{EventType: "t", UserId: "é\u009b31m"}, "user_id has a control character (U+009B) at byte 2; control and bidirectional characters are not allowed"},
		{"bidi override in user_id", &pushv1.PublishRequest{EventType: "t", UserId: "user\u202e1"}, "user_id has a control character (U+202E) at byte 4; control and bidirectional characters are not allowed"},
		{"bidi isolate in event_type", &pushv1.PublishRequest{EventType: "t\u2066"}, "event_type has a control character (U+2066) at byte 1; control and bidirectional characters are not allowed"},
		{"reserved prefix", &pushv1.PublishRequest{EventType: "gateway.heartbeat"}, `event_type "gateway.heartbeat": the "gateway." prefix is reserved for the gateway's own events`},
		{"reserved prefix only", &pushv1.PublishRequest{EventType: "gateway.x"}, `event_type "gateway.x": the "gateway." prefix is reserved for the gateway's own events`},
	}
	ctx := testContext(t)
	h := newHarness(t, Config{MaxPayload: 16})
	for _, tt := range tests {
		resp, err := h.client.Publish(ctx, tt.req)
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != tt.want {
			t.Errorf("Publish(%s) = %v, %v, want InvalidArgument %q", tt.name, resp, err, tt.want)
		}
	}
	if n := h.srv.Len(); n != 0 {
		t.Errorf("Len() after rejected publishes = %d, want 0", n)
	}
	if got := h.metric(publishedName); got != 0 {
		t.Errorf("%s = %d, want 0", publishedName, got)
	}
}
