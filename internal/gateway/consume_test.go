package gateway

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// stubBackend is a Push server that sends its events to each subscriber
// and then holds the stream open until the subscriber leaves.
type stubBackend struct {
	pushv1.UnimplementedPushServer
	events []*pushv1.PushEvent
	reqs   chan *pushv1.GatewaySubscribeRequest
}

func (b *stubBackend) SubscribePush(req *pushv1.GatewaySubscribeRequest, st grpc.ServerStreamingServer[pushv1.PushEvent]) error {
	b.reqs <- req
	for _, ev := range b.events {
		if err := st.Send(ev); err != nil {
			return err
		}
	}
	<-st.Context().Done()
	return st.Context().Err()
}

// startBackend serves b over bufconn and returns a client for it.
func startBackend(t *testing.T, b *stubBackend) pushv1.PushClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	pushv1.RegisterPushServer(srv, b)
	served := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(served) }()
	conn, err := grpc.NewClient("passthrough:///backend",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient() = %v", err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-served
	})
	return pushv1.NewPushClient(conn)
}

func TestConsumeDispatchesBackendEvents(t *testing.T) {
	ctx := testContext(t)
	backend := &stubBackend{
		events: []*pushv1.PushEvent{
			pushEvent("c1", "alice", []byte("1")),
			pushEvent("c2", "bob", []byte("2")),
			pushEvent("c3", "alice", []byte("3")),
		},
		reqs: make(chan *pushv1.GatewaySubscribeRequest, 1),
	}
	push := startBackend(t, backend)
	e := newEnv(t, Config{})
	st := openStream(ctx, t, e.dial(t), "alice")

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	observed := make(chan string, len(backend.events))
	consumed := make(chan error, 1)
	go func() {
		consumed <- e.gw.Consume(cctx, subscribe.Config{
			ClientID: "gw-test",
			Client:   push,
			Handler: func(_ context.Context, ev *pushv1.PushEvent) error {
				observed <- ev.GetCursor()
				return nil
			},
		})
	}()

	if got := ids(recvN(t, st, 2)); !slices.Equal(got, []string{"c1", "c3"}) {
		t.Errorf("alice's client got %v, want [c1 c3]", got)
	}
	if req := <-backend.reqs; req.GetGatewayClientId() != "gw-test" {
		t.Errorf("backend saw gateway_client_id %q, want %q", req.GetGatewayClientId(), "gw-test")
	}
	cancel()
	if err := <-consumed; err != nil {
		t.Errorf("Consume() after cancel = %v, want nil", err)
	}
	close(observed)
	var seen []string
	for c := range observed {
		seen = append(seen, c)
	}
	if !slices.Equal(seen, []string{"c1", "c2", "c3"}) {
		t.Errorf("caller's Handler saw %v, want [c1 c2 c3]", seen)
	}
	if got := e.metric(t, dispatchedName); got != 3 {
		t.Errorf("%s = %d, want 3", dispatchedName, got)
	}
}

func TestConsumeHandlerErrorStops(t *testing.T) {
	ctx := testContext(t)
	backend := &stubBackend{
		events: []*pushv1.PushEvent{pushEvent("c1", "", nil)},
		reqs:   make(chan *pushv1.GatewaySubscribeRequest, 1),
	}
	e := newEnv(t, Config{})
	refuse := errors.New("refused")
	err := e.gw.Consume(ctx, subscribe.Config{
		ClientID: "gw-test",
		Client:   startBackend(t, backend),
		Handler:  func(context.Context, *pushv1.PushEvent) error { return refuse },
	})
	if !errors.Is(err, refuse) {
		t.Errorf("Consume() with a failing Handler = %v, want it to wrap %v", err, refuse)
	}
	if got := e.metric(t, dispatchedName); got != 0 {
		t.Errorf("%s after the Handler refused = %d, want 0", dispatchedName, got)
	}
}

func TestConsumeConfigError(t *testing.T) {
	e := newEnv(t, Config{})
	err := e.gw.Consume(testContext(t), subscribe.Config{})
	if err == nil || !strings.HasPrefix(err.Error(), "gateway consume: ") {
		t.Errorf("Consume(empty config) = %v, want a gateway consume config error", err)
	}
}
