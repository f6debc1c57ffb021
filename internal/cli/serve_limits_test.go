package cli

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestServeMessageLimits sends what the README's "Server limits" promise to
// refuse, and what proto3 promises to accept, to a real serve.
func TestServeMessageLimits(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	s := startInproc(ctx, t, "--heartbeat", "0")
	push := pushv1.NewPushClient(s.dial(t))

	// A Subscribe with an unknown field is served like any other. It is
	// opened first: a stream gets what the gateway dispatches after it
	// registers, which can include events published just before.
	req := &gatewayv1.SubscribeRequest{}
	req.ProtoReflect().SetUnknown(protowire.AppendString(protowire.AppendTag(nil, 99, protowire.BytesType), "hi"))
	st, err := gatewayv1.NewGatewayClient(s.dial(t)).Subscribe(ctx, req)
	if err == nil {
		_, err = st.Header()
	}
	if err != nil {
		t.Fatalf("Subscribe(with unknown field 99) = %v, want a stream", err)
	}

	withUnknown := &pushv1.PublishRequest{EventType: "future.client", Payload: []byte("x")}
	// Field 1000, a varint: what a newer client might send.
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 1000, protowire.VarintType), 7))
	big := &pushv1.PublishRequest{EventType: "big", Payload: make([]byte, 1<<20)}
	tests := []struct {
		name     string
		req      *pushv1.PublishRequest
		wantCode codes.Code
		wantMsg  string
	}{
		{"payload at the limit", &pushv1.PublishRequest{EventType: "t", Payload: make([]byte, 64<<10)}, codes.OK, ""},
		{"payload over the limit", &pushv1.PublishRequest{EventType: "t", Payload: make([]byte, 64<<10+1)}, codes.InvalidArgument,
			"payload is 65537 bytes, over the limit of 65536 bytes"},
		{"request over 1 MiB", big, codes.ResourceExhausted,
			fmt.Sprintf("grpc: received message larger than max (%d vs. %d)", proto.Size(big), 1<<20)},
		{"unknown field", withUnknown, codes.OK, ""},
	}
	for _, tt := range tests {
		resp, err := push.Publish(ctx, tt.req)
		if got := status.Convert(err); got.Code() != tt.wantCode || got.Message() != tt.wantMsg {
			t.Errorf("Publish(%s) = %v, want %v %q", tt.name, err, tt.wantCode, tt.wantMsg)
		}
		if err == nil && resp.GetCursor() == "" {
			t.Errorf("Publish(%s) cursor = \"\", want one", tt.name)
		}
	}

	if _, err := push.Publish(ctx, &pushv1.PublishRequest{EventType: "after.unknown"}); err != nil {
		t.Fatal(err)
	}
	// Every accepted publish reaches the stream, in order.
	for _, want := range []string{"t", "future.client", "after.unknown"} {
		if ev, err := st.Recv(); err != nil || ev.GetEventType() != want {
			t.Fatalf("Recv() on a stream opened with an unknown field = event %q, %v; want event %s", ev.GetEventType(), err, want)
		}
	}
}

// TestServeMaxStreamsPerConnection opens the most streams one connection
// may hold and never reads them. The next stream on that connection waits
// for a slot (grpc-go queues it client-side until the server's
// SETTINGS_MAX_CONCURRENT_STREAMS allows it) and gets one as soon as another
// stream ends; meanwhile the server serves other connections normally.
func TestServeMaxStreamsPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,025 streams")
	}
	verifyNoLeaks(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := startInproc(ctx, t, "--heartbeat", "0")
	const limit = 1024 // serve's grpc.MaxConcurrentStreams
	hog := gatewayv1.NewGatewayClient(s.dial(t))

	// Each stream has a context of its own, so one can be ended alone.
	cancels := make([]context.CancelFunc, limit)
	var wg sync.WaitGroup
	errs := make(chan error, limit)
	for i := range limit {
		sctx, c := context.WithCancel(ctx)
		cancels[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := hog.Subscribe(sctx, &gatewayv1.SubscribeRequest{UserId: fmt.Sprintf("u%d", i)})
			if err == nil {
				_, err = st.Header()
			}
			if err != nil {
				errs <- fmt.Errorf("stream %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("opening %d streams on one connection: %v", limit, err)
	}
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()

	// Stream 1025 waits for a slot: its deadline passes first.
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	st, err := hog.Subscribe(wctx, &gatewayv1.SubscribeRequest{UserId: "over"})
	if err == nil {
		_, err = st.Header()
	}
	wcancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("stream %d on one connection = %v, want it to wait (DeadlineExceeded)", limit+1, err)
	}

	// The server is healthy for everyone else.
	other := s.dial(t)
	hc, err := healthpb.NewHealthClient(other).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health check on another connection = %v, %v; want SERVING", hc, err)
	}
	fresh, err := gatewayv1.NewGatewayClient(other).Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err == nil {
		_, err = fresh.Header()
	}
	if err != nil {
		t.Fatalf("Subscribe() on another connection = %v", err)
	}
	if _, err := pushv1.NewPushClient(other).Publish(ctx, &pushv1.PublishRequest{EventType: "still.healthy"}); err != nil {
		t.Fatalf("Publish() on another connection = %v", err)
	}
	if ev, err := fresh.Recv(); err != nil || ev.GetEventType() != "still.healthy" {
		t.Errorf("Recv() on another connection = event %q, %v; want event still.healthy", ev.GetEventType(), err)
	}

	// One stream ends: a waiting one gets its slot.
	waiting := make(chan error, 1)
	go func() {
		st, err := hog.Subscribe(ctx, &gatewayv1.SubscribeRequest{UserId: "next"})
		if err == nil {
			_, err = st.Header()
		}
		waiting <- err
	}()
	cancels[0]()
	select {
	case err := <-waiting:
		if err != nil {
			t.Errorf("stream %d after one of %d ended = %v, want a stream", limit+1, limit, err)
		}
	case <-ctx.Done():
		t.Fatalf("stream %d never got the slot freed by another", limit+1)
	}
}

// TestServeMaxConnections holds --max-connections connections: the next
// one is not served until one of them closes.
func TestServeMaxConnections(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	s := startInproc(ctx, t, "--heartbeat", "0", "--max-connections", "2")
	health := func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	held := []*grpc.ClientConn{s.dial(t), s.dial(t)}
	for i, c := range held {
		if err := health(ctx, c); err != nil {
			t.Fatalf("health check on connection %d of 2 = %v", i+1, err)
		}
	}
	third := s.dial(t)
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := health(wctx, third)
	wcancel()
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("health check on connection 3 with --max-connections 2 = %v, want DeadlineExceeded (not served)", err)
	}
	held[0].Close()
	if err := health(ctx, third); err != nil {
		t.Errorf("health check on connection 3 after one of 2 closed = %v, want served", err)
	}
}
