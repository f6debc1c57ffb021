package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// hostile is an event written to attack the terminal of whoever tails it:
// retitle it, colour it, forge a second record, hide the real signature
// verdict, and reverse what follows.
var hostile = struct{ typ, user, payload string }{
	typ:     "evil\x1b]0;pwned\a",
	user:    "u1\n13:00:00.000  forged.event",
	payload: "\x1b[31mred\x1b[0m signature=valid\x1b[8m \u202edesrever \u0085c1",
}

// TestTailPrettyEscapes: pretty output shows every control character
// visibly, one line per event; JSON carries the exact strings.
func TestTailPrettyEscapes(t *testing.T) {
	send := func(_ int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
		if err := st.SendHeader(nil); err != nil {
			return err
		}
		ev := &pushv1.PushEvent{Cursor: testCursor, EventType: hostile.typ, UserId: hostile.user,
			Payload: []byte(hostile.payload), CreatedAt: timestamppb.New(tailAt)}
		if err := st.Send(ev); err != nil {
			return err
		}
		<-st.Context().Done()
		return nil
	}
	r := runTail(t, &stubServer{subscribe: send}, nil, "-n", "1", "--wide")
	out := r.out.String()
	if strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "\x1b\a\r\u202e\u0085") {
		t.Errorf("tail pretty = %q, want one line without control characters", out)
	}
	for _, want := range []string{`evil\x1b]0;pwned\x07`, `\x1b[31mred\x1b[0m signature=valid\x1b[8m \u202edesrever \u0085c1`} {
		if !strings.Contains(out, want) {
			t.Errorf("tail pretty = %q, want %q shown visibly", out, want)
		}
	}

	r = runTail(t, &stubServer{subscribe: send}, nil, "-n", "1", "-o", "json")
	var e tailEvent
	if err := json.Unmarshal([]byte(r.out.String()), &e); err != nil {
		t.Fatalf("tail -o json = %q: %v", r.out, err)
	}
	if e.EventType != hostile.typ || e.UserID != hostile.user || e.Payload == nil || *e.Payload != hostile.payload {
		t.Errorf("tail -o json = %+v, want the event's exact strings", e)
	}
}

// TestTailGatewayPrettyEscapes: the same on a gateway stream, where the
// verdict of --verify-key comes before the payload, so nothing the payload
// holds can stand in for it.
func TestTailGatewayPrettyEscapes(t *testing.T) {
	send := func(_ int, _ *gatewayv1.SubscribeRequest, st gatewayStream) error {
		ev := &gatewayv1.GatewayEvent{EventId: testCursor, EventType: hostile.typ, UserId: hostile.user, Payload: []byte(hostile.payload)}
		if err := st.Send(ev); err != nil {
			return err
		}
		<-st.Context().Done()
		return nil
	}
	r := runTail(t, &stubServer{gateway: send}, nil, "--target", "gateway", "-n", "1", "--verify-key", writePubKey(t), "--wide")
	out := r.out.String()
	if strings.Count(out, "\n") != 1 || strings.ContainsAny(out, "\x1b\a\u202e") {
		t.Errorf("tail --target gateway pretty = %q, want one line without control characters", out)
	}
	verdict, payload := strings.Index(out, "signature=none"), strings.Index(out, `\x1b[31mred`)
	if verdict < 0 || payload < 0 || verdict > payload {
		t.Errorf("tail --target gateway pretty = %q, want signature=none before the payload", out)
	}
}
