package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

var createdAt = timestamppb.New(time.Date(2025, 6, 1, 12, 0, 0, 500, time.UTC))

func pushEvent(cursor, user string, payload []byte) *pushv1.PushEvent {
	return &pushv1.PushEvent{Cursor: cursor, EventType: "test.event", UserId: user, Payload: payload, CreatedAt: createdAt}
}

// testEnv is a gateway served over bufconn with a fake clock and a metric
// reader.
type testEnv struct {
	gw     *Server
	clock  *clocktest.Fake
	reader *sdkmetric.ManualReader
	lis    *bufconn.Listener
}

// newEnv starts a gateway for cfg; Meter and Clock are the env's.
func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	meter, reader := newTestMeter(t)
	e := &testEnv{clock: &clocktest.Fake{}, reader: reader, lis: bufconn.Listen(1 << 20)}
	cfg.Meter, cfg.Clock = meter, e.clock
	if cfg.SigningKey == nil {
		cfg.SigningKey = testKey
	}
	gw, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	e.gw = gw
	srv := grpc.NewServer()
	gatewayv1.RegisterGatewayServer(srv, gw)
	served := make(chan struct{})
	go func() { _ = srv.Serve(e.lis); close(served) }()
	t.Cleanup(func() {
		gw.Close()
		srv.Stop()
		<-served
	})
	return e
}

// dial opens a connection of its own, so one client's flow control never
// touches another's.
func (e *testEnv) dial(t *testing.T, opts ...grpc.DialOption) gatewayv1.GatewayClient {
	t.Helper()
	opts = append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return e.lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, opts...)
	conn, err := grpc.NewClient("passthrough:///gateway", opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient() = %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return gatewayv1.NewGatewayClient(conn)
}

// openStream opens a stream for user and returns once the gateway has
// registered it (its response header has arrived).
func openStream(ctx context.Context, t *testing.T, c gatewayv1.GatewayClient, user string) grpc.ServerStreamingClient[gatewayv1.GatewayEvent] {
	t.Helper()
	st, err := c.Subscribe(ctx, &gatewayv1.SubscribeRequest{UserId: user})
	if err != nil {
		t.Fatalf("Subscribe(%q) = %v", user, err)
	}
	if _, err := st.Header(); err != nil {
		t.Fatalf("Subscribe(%q).Header() = %v", user, err)
	}
	return st
}

func (e *testEnv) metric(t *testing.T, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	return metricValue(t, e.reader, name, attrs...)
}

// recvN receives n events, failing the test on any error.
func recvN(t *testing.T, st grpc.ServerStreamingClient[gatewayv1.GatewayEvent], n int) []*gatewayv1.GatewayEvent {
	t.Helper()
	var got []*gatewayv1.GatewayEvent
	for range n {
		ev, err := st.Recv()
		if err != nil {
			t.Fatalf("Recv() after %d events = %v, want event %d", len(got), err, len(got)+1)
		}
		got = append(got, ev)
	}
	return got
}

func ids(evs []*gatewayv1.GatewayEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.GetEventId()
	}
	return out
}

func TestFanOutByUserFilter(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t, Config{})
	filters := []string{"alice", "bob", "", "alice"}
	want := map[string][]string{
		"alice": {"c1", "c4", "c5"}, // c5 has no user: a broadcast
		"bob":   {"c2", "c5"},
		"":      {"c1", "c2", "c3", "c4", "c5"},
	}
	streams := make([]grpc.ServerStreamingClient[gatewayv1.GatewayEvent], len(filters))
	for i, f := range filters {
		streams[i] = openStream(ctx, t, e.dial(t), f)
	}
	events := []*pushv1.PushEvent{
		pushEvent("c1", "alice", []byte("one")),
		pushEvent("c2", "bob", []byte("two")),
		pushEvent("c3", "carol", []byte("three")),
		pushEvent("c4", "alice", []byte("four")),
		pushEvent("c5", "", []byte("five")),
	}
	byCursor := map[string]*pushv1.PushEvent{}
	for _, ev := range events {
		byCursor[ev.Cursor] = ev
		e.gw.Dispatch(ev)
	}

	pub := e.gw.PublicKey()
	total := 0
	for i, f := range filters {
		got := recvN(t, streams[i], len(want[f]))
		total += len(got)
		if !slices.Equal(ids(got), want[f]) {
			t.Errorf("client %d (filter %q) got %v, want %v", i, f, ids(got), want[f])
		}
		for _, ev := range got {
			src := byCursor[ev.GetEventId()]
			wantEv := &gatewayv1.GatewayEvent{EventType: src.EventType, EventId: src.Cursor, UserId: src.UserId,
				Payload: src.Payload, CreatedAt: src.CreatedAt, Signature: ev.GetSignature()}
			if !proto.Equal(ev, wantEv) {
				t.Errorf("client %d received %v, want %v", i, ev, wantEv)
			}
			if !Verify(pub, ev) {
				t.Errorf("Verify(PublicKey(), %s) = false, want true", ev.GetEventId())
			}
		}
	}
	// Nothing beyond what was wanted was sent to anyone.
	testutil.WaitFor(ctx, t, "all queues drained", e.gw.quiescent)
	if got := e.metric(t, sentName); got != int64(total) {
		t.Errorf("%s = %d, want %d", sentName, got, total)
	}
	if got := e.metric(t, dispatchedName); got != int64(len(events)) {
		t.Errorf("%s = %d, want %d", dispatchedName, got, len(events))
	}
	if got := e.metric(t, activeStreamsName); got != int64(len(filters)) {
		t.Errorf("%s = %d, want %d", activeStreamsName, got, len(filters))
	}
}

func TestHeartbeatOverGRPC(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t, Config{Heartbeat: interval})
	st := openStream(ctx, t, e.dial(t), "alice")
	testutil.WaitFor(ctx, t, "the stream's heartbeat timer", func() bool { return e.clock.Pending() == 1 })

	e.clock.Advance(interval)
	hb := recvN(t, st, 1)[0]
	if want := (&gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}); !proto.Equal(hb, want) || proto.Size(hb) != 19 {
		t.Errorf("Recv() after one silent interval = %v (%d bytes), want %v (19 bytes)", hb, proto.Size(hb), want)
	}
	e.gw.Dispatch(pushEvent("c1", "alice", nil))
	if ev := recvN(t, st, 1)[0]; ev.GetEventId() != "c1" {
		t.Errorf("Recv() after Dispatch = %v, want event c1", ev)
	}
	if got := e.metric(t, heartbeatsName, attribute.String("outcome", "sent")); got != 1 {
		t.Errorf("%s{outcome=sent} = %d, want 1", heartbeatsName, got)
	}
}

func TestCloseEndsClients(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t, Config{Heartbeat: interval})
	c := e.dial(t)
	streams := []grpc.ServerStreamingClient[gatewayv1.GatewayEvent]{openStream(ctx, t, c, ""), openStream(ctx, t, c, "bob")}
	e.gw.Close()
	e.gw.Close()
	for i, st := range streams {
		_, err := st.Recv()
		if s := status.Convert(err); s.Code() != codes.Unavailable || s.Message() != "gateway shutting down" {
			t.Errorf("stream %d Recv() after Close = %v, want Unavailable %q", i, err, "gateway shutting down")
		}
	}
	st, err := c.Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("Subscribe() after Close = %v, want Unavailable", err)
	}
	e.gw.Dispatch(pushEvent("c1", "", nil)) // must neither panic nor queue
	testutil.WaitFor(ctx, t, "handlers to return", func() bool { return e.gw.clients() == 0 })
	if n := e.clock.Pending(); n != 0 {
		t.Errorf("armed heartbeat timers after Close = %d, want 0", n)
	}
}

func TestClientCancelUnregisters(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t, Config{Heartbeat: interval})
	sctx, cancel := context.WithCancel(ctx)
	st := openStream(sctx, t, e.dial(t), "alice")
	if got := e.metric(t, activeStreamsName); got != 1 {
		t.Errorf("%s with one stream = %d, want 1", activeStreamsName, got)
	}
	cancel()
	if _, err := st.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("Recv() after cancel = %v, want Canceled", err)
	}
	testutil.WaitFor(ctx, t, "the handler to return", func() bool { return e.gw.clients() == 0 && e.metric(t, activeStreamsName) == 0 })
	if n := e.clock.Pending(); n != 0 {
		t.Errorf("armed heartbeat timers after the client left = %d, want 0", n)
	}
	e.gw.Dispatch(pushEvent("c1", "alice", nil))
	if got := e.metric(t, sentName); got != 0 {
		t.Errorf("%s after the only client left = %d, want 0", sentName, got)
	}
}

// TestDispatchSignsOnce checks that clients share one signed event: signing
// costs one Ed25519 operation per event, whatever the number of clients.
func TestDispatchSignsOnce(t *testing.T) {
	ctx := testContext(t)
	s, err := New(Config{SigningKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan *gatewayv1.GatewayEvent, 3)
	send := func(ev *gatewayv1.GatewayEvent) error { got <- ev; return nil }
	for _, u := range []string{"", "alice", ""} {
		startServe(ctx, s, u, send)
	}
	s.Dispatch(pushEvent("c1", "alice", []byte("x")))
	var first *gatewayv1.GatewayEvent
	for i := range 3 {
		select {
		case ev := <-got:
			if first == nil {
				first = ev
			} else if ev != first {
				t.Errorf("client %d was sent a distinct event value %p, want the shared %p", i, ev, first)
			}
		case <-ctx.Done():
			t.Fatalf("client %d got nothing", i)
		}
	}
	if !Verify(s.PublicKey(), first) {
		t.Errorf("Verify(PublicKey(), dispatched event) = false, want true")
	}
}

func TestDispatchDropsSpoofedHeartbeat(t *testing.T) {
	ctx := testContext(t)
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan *gatewayv1.GatewayEvent, 2)
	startServe(ctx, s, "", func(ev *gatewayv1.GatewayEvent) error { got <- ev; return nil })
	spoof := pushEvent("c1", "", nil)
	spoof.EventType = gatewayv1.HeartbeatEventType
	s.Dispatch(spoof)
	s.Dispatch(pushEvent("c2", "", nil))
	select {
	case ev := <-got:
		if ev.GetEventId() != "c2" {
			t.Errorf("first event sent = %v, want c2 (the backend's fake heartbeat dropped)", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event sent")
	}
}

func TestNewConfig(t *testing.T) {
	for _, cfg := range []Config{{SlowClientTimeout: -1}, {ReplayEvents: -1}, {ReplayAge: -1}, {ReplayBytes: -1}} {
		var ce *ConfigError
		if _, err := New(cfg); !errors.As(err, &ce) {
			t.Errorf("New(%+v) = %v, want a *ConfigError", cfg, err)
		}
	}
	if _, err := New(Config{SigningKey: testKey[:32]}); err == nil || !strings.Contains(err.Error(), "signing key is 32 bytes") {
		t.Errorf("New(32-byte SigningKey) = %v, want a key length error", err)
	}
	s, err := New(Config{SigningKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.PublicKey(); !got.Equal(testKey.Public()) {
		t.Errorf("PublicKey() = %x, want %x", got, testKey.Public())
	}
	if c := s.cfg; c.SlowClientTimeout != DefaultSlowClientTimeout || c.ReplayEvents != DefaultReplayEvents ||
		c.ReplayAge != DefaultReplayAge || c.ReplayBytes != DefaultReplayBytes {
		t.Errorf("defaults = %v %d %v %d, want %v %d %v %d", c.SlowClientTimeout, c.ReplayEvents, c.ReplayAge, c.ReplayBytes,
			DefaultSlowClientTimeout, DefaultReplayEvents, DefaultReplayAge, DefaultReplayBytes)
	}
	eph, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if pub := eph.PublicKey(); len(pub) != ed25519.PublicKeySize || pub.Equal(testKey.Public()) {
		t.Errorf("PublicKey() of an ephemeral key = %x, want a fresh 32-byte key", pub)
	}
}

// TestUnregisterKeepsOthers removes clients of one filter in an order that
// exercises the swap-delete of the index, then checks who still gets events.
func TestUnregisterKeepsOthers(t *testing.T) {
	ctx := testContext(t)
	s, err := New(Config{SigningKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 5
	got := make([]chan string, n)
	cancels := make([]context.CancelFunc, n)
	dones := make([]<-chan error, n)
	for i := range n {
		got[i] = make(chan string, 4)
		cctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		ch := got[i]
		dones[i] = startServe(cctx, s, "bob", func(ev *gatewayv1.GatewayEvent) error { ch <- ev.GetEventId(); return nil })
	}
	for _, i := range []int{0, 3, 4} { // first, middle, then the new last
		cancels[i]()
		if err := <-dones[i]; status.Code(err) != codes.Canceled {
			t.Errorf("client %d ended with %v, want Canceled", i, err)
		}
	}
	if c := s.clients(); c != 2 {
		t.Fatalf("clients() after 3 of 5 left = %d, want 2", c)
	}
	s.Dispatch(pushEvent("c1", "bob", nil))
	for _, i := range []int{1, 2} {
		select {
		case id := <-got[i]:
			if id != "c1" {
				t.Errorf("client %d got %s, want c1", i, id)
			}
		case <-ctx.Done():
			t.Fatalf("client %d got nothing", i)
		}
	}
	for _, i := range []int{1, 2} {
		cancels[i]()
		<-dones[i]
	}
	s.mu.RLock()
	keys := len(s.byUser)
	s.mu.RUnlock()
	if keys != 0 {
		t.Errorf("index keys after every client left = %d, want 0", keys)
	}
}
