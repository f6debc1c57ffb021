package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// typedEvents sends backend events of the given types, cursors 1, 2, ...,
// then holds the stream.
func typedEvents(types ...string) func(int, *pushv1.GatewaySubscribeRequest, pushStream) error {
	return typedEventsThen(true, types...)
}

// typedEventsThen is typedEvents that, unless hold, ends the stream
// (Unavailable) after the events.
func typedEventsThen(hold bool, types ...string) func(int, *pushv1.GatewaySubscribeRequest, pushStream) error {
	return func(_ int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
		if err := st.SendHeader(nil); err != nil {
			return err
		}
		for i, typ := range types {
			ev := &pushv1.PushEvent{Cursor: gwCursor(i + 1), EventType: typ, CreatedAt: timestamppb.New(tailAt)}
			if err := st.Send(ev); err != nil {
				return err
			}
		}
		if !hold {
			return status.Error(codes.Unavailable, "backend restarting")
		}
		<-st.Context().Done()
		return nil
	}
}

func cursorsOf(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e tailEvent
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, e.Cursor)
	}
	return got
}

// TestTailType: --type filters by event type with NATS subject semantics,
// -n counts the events printed, and the resume cursor is the last event
// received, printed or not.
func TestTailType(t *testing.T) {
	types := []string{"synthetic.tick", "order.created", "doc.a.b", "order.x.y", "order", "synthetic.tick"}
	for _, target := range []string{"backend", "gateway"} {
		t.Run(target, func(t *testing.T) {
			stub := &stubServer{subscribe: typedEvents(types...), gateway: func(_ int, _ *gatewayv1.SubscribeRequest, st gatewayStream) error {
				for i, typ := range types {
					if err := st.Send(&gatewayv1.GatewayEvent{EventId: gwCursor(i + 1), EventType: typ}); err != nil {
						return err
					}
				}
				<-st.Context().Done()
				return nil
			}}
			r := runTail(t, stub, nil, "--target", target, "--type", "order.*", "--type", "doc.>", "-n", "2", "-o", "json")
			if r.err != nil {
				t.Fatalf("tail --type = %v\n%s", r.err, r.errOut)
			}
			if got, want := cursorsOf(t, r.out.String()), []string{gwCursor(2), gwCursor(3)}; !slices.Equal(got, want) {
				t.Errorf("tail --type order.* --type doc.> -n 2 printed %v, want %v", got, want)
			}

			// The last two events are filtered out; the resume command
			// resumes after them all the same. The streams end after the
			// six events, and --no-reconnect ends tail there.
			stub = &stubServer{subscribe: typedEventsThen(false, types...), gateway: func(_ int, _ *gatewayv1.SubscribeRequest, st gatewayStream) error {
				for i, typ := range types {
					if err := st.Send(&gatewayv1.GatewayEvent{EventId: gwCursor(i + 1), EventType: typ}); err != nil {
						return err
					}
				}
				return nil
			}}
			r = runTail(t, stub, nil, "--target", target, "--type", "order.created", "--no-reconnect", "-o", "json")
			if got, want := cursorsOf(t, r.out.String()), []string{gwCursor(2)}; !slices.Equal(got, want) {
				t.Errorf("tail --type order.created printed %v, want %v", got, want)
			}
			if want := "--cursor " + gwCursor(6) + "\n"; !strings.Contains(r.errOut.String(), want) {
				t.Errorf("tail --type order.created stderr = %q, want the resume command ending %q", r.errOut, want)
			}
		})
	}
}

// TestTailHeartbeatsCount: with --heartbeats, -n counts every record
// printed, heartbeats too, so an idle stream ends.
func TestTailHeartbeatsCount(t *testing.T) {
	hb := &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}
	stub := &stubServer{gateway: sendEvents(nil, true, hb, hb, hb)}
	r := runTail(t, stub, nil, "--target", "gateway", "--heartbeats", "-n", "2", "-o", "json")
	if r.err != nil || strings.Count(r.out.String(), "\n") != 2 {
		t.Errorf("tail --heartbeats -n 2 on an idle stream = %v, stdout %q; want 2 heartbeats and exit 0", r.err, r.out)
	}
}
