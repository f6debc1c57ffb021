package backend

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

func TestCloseEndsStreams(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{})
	a, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "a"})
	b, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "b", FromStart: true})
	first := h.publish(ctx, "before close")
	for name, st := range map[string]pushStream{"a": a, "b": b} {
		if got := recvSeqs(t, st, 1); got[0] != first {
			t.Fatalf("stream %s Recv() = %v, want event %d", name, got, first)
		}
	}

	if err := h.srv.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	if err := h.srv.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	for name, st := range map[string]pushStream{"a": a, "b": b} {
		seqs, s := recvErr(t, st)
		if s.Code() != codes.Unavailable || s.Message() != "backend shutting down" || len(seqs) != 0 {
			t.Errorf("stream %s after Close = %v, %v, want no events and Unavailable %q", name, seqs, s, "backend shutting down")
		}
	}
	if got := h.srv.Stats().Subscriptions; got != 0 {
		t.Errorf("Stats().Subscriptions after Close = %d, want 0", got)
	}

	st, err := h.client.SubscribePush(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "c"})
	if err == nil {
		_, err = st.Recv()
	}
	if s := status.Convert(err); s.Code() != codes.Unavailable {
		t.Errorf("SubscribePush after Close = %v, want Unavailable", err)
	}
	if _, err := h.client.Publish(ctx, &pushv1.PublishRequest{EventType: "t"}); status.Code(err) != codes.Unavailable {
		t.Errorf("Publish after Close = %v, want Unavailable", err)
	}
	if got, want := h.srv.Append("t", "", nil), cursorOf(2); got != want {
		t.Errorf("Append after Close = %q, want %q", got, want)
	}
}
