package subscribe

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"galaxy/galaxyctl/internal/clock/clocktest"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// pushStream is the server side of one SubscribePush call.
type pushStream = grpc.ServerStreamingServer[pushv1.PushEvent]

// subscribeFunc serves one SubscribePush call; call counts from 0.
type subscribeFunc func(call int, req *pushv1.GatewaySubscribeRequest, st pushStream) error

// stubPush is a Push server whose SubscribePush is a field, so each test
// scripts the backend it needs. It records every request it receives.
type stubPush struct {
	pushv1.UnimplementedPushServer
	// subscribe serves calls; nil answers Unimplemented, like a server
	// without the method.
	subscribe subscribeFunc

	mu   sync.Mutex
	reqs []*pushv1.GatewaySubscribeRequest
}

func (s *stubPush) SubscribePush(req *pushv1.GatewaySubscribeRequest, st pushStream) error {
	s.mu.Lock()
	call := len(s.reqs)
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	if s.subscribe == nil {
		return s.UnimplementedPushServer.SubscribePush(req, st)
	}
	return s.subscribe(call, req, st)
}

// requests returns the requests received so far.
func (s *stubPush) requests() []*pushv1.GatewaySubscribeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*pushv1.GatewaySubscribeRequest(nil), s.reqs...)
}

// script serves call i with steps[i], and later calls with the last step.
func script(steps ...subscribeFunc) subscribeFunc {
	return func(call int, req *pushv1.GatewaySubscribeRequest, st pushStream) error {
		return steps[min(call, len(steps)-1)](call, req, st)
	}
}

// fail sends events with the given cursors, then ends the stream with err
// (nil ends it with status OK, which the client sees as io.EOF).
func fail(err error, cursors ...string) subscribeFunc {
	return func(_ int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
		if sendErr := sendEvents(st, cursors...); sendErr != nil {
			return sendErr
		}
		return err
	}
}

// hold sends md as the response header and events with the given cursors,
// reports the call on opened, then keeps the stream open until the client
// goes away.
func hold(opened chan<- int, md metadata.MD, cursors ...string) subscribeFunc {
	return func(call int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
		if err := st.SendHeader(md); err != nil {
			return err
		}
		if err := sendEvents(st, cursors...); err != nil {
			return err
		}
		opened <- call
		<-st.Context().Done()
		return nil
	}
}

func sendEvents(st pushStream, cursors ...string) error {
	for _, c := range cursors {
		if err := st.Send(&pushv1.PushEvent{Cursor: c, EventType: "test.event", Payload: []byte(c)}); err != nil {
			return err
		}
	}
	return nil
}

// harness is a stub backend on bufconn and a client for it.
type harness struct {
	stub   *stubPush
	client pushv1.PushClient

	mu    sync.Mutex
	conns []net.Conn
}

func newHarness(t *testing.T, subscribe subscribeFunc) *harness {
	t.Helper()
	h := &harness{stub: &stubPush{subscribe: subscribe}}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	pushv1.RegisterPushServer(srv, h.stub)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			c, err := lis.DialContext(ctx)
			if err == nil {
				h.mu.Lock()
				h.conns = append(h.conns, c)
				h.mu.Unlock()
			}
			return c, err
		}))
	if err != nil {
		t.Fatalf("grpc.NewClient(bufnet) = %v, want nil", err)
	}
	t.Cleanup(func() {
		_ = cc.Close()
		srv.Stop()
		<-served
	})
	h.client = pushv1.NewPushClient(cc)
	return h
}

// breakTransport closes the client's connections under gRPC, as a network
// failure would.
func (h *harness) breakTransport() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		_ = c.Close()
	}
	h.conns = nil
}

// sleeper lets each backoff wait pass at once on a fake clock and records
// its delay, so backoff is observable without waiting.
type sleeper struct {
	clk *clocktest.Fake

	mu     sync.Mutex
	delays []time.Duration
}

// newSleeper drives a fake clock until the test ends.
func newSleeper(t *testing.T) *sleeper {
	t.Helper()
	s := &sleeper{clk: clocktest.New(time.Time{})}
	ctx, cancel := context.WithCancel(context.Background())
	wait := s.clk.Drive(ctx, func(d time.Duration) {
		s.mu.Lock()
		s.delays = append(s.delays, d)
		s.mu.Unlock()
	})
	t.Cleanup(func() { cancel(); wait() })
	return s
}

func (s *sleeper) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// testContext is the deadline every test runs under.
func testContext(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx, cancel
}

// receive waits for one value from ch or fails the test at the deadline.
func receive[T any](t *testing.T, ctx context.Context, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, ctx.Err())
		var zero T
		return zero
	}
}

// start runs s in a goroutine and returns the channel its result arrives on.
func start(ctx context.Context, s *Subscriber) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return done
}
