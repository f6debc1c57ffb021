package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
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

// quiescent reports whether no client has an event queued or in flight.
func (s *Server) quiescent() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, list := range s.byUser {
		for _, c := range list {
			c.mu.Lock()
			busy := len(c.queue) > 0 || c.draining
			c.mu.Unlock()
			if busy {
				return false
			}
		}
	}
	return true
}

// clients returns how many clients are registered.
func (s *Server) clients() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, list := range s.byUser {
		n += len(list)
	}
	return n
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

// TestSlowClientDropped stops reading one client while another keeps
// up: the slow one is ended with ResourceExhausted, the fast one gets every
// event, and Dispatch never waits.
func TestSlowClientDropped(t *testing.T) {
	ctx := testContext(t)
	const queue, n = 4, 60
	e := newEnv(t, Config{ClientQueue: queue})
	fast := openStream(ctx, t, e.dial(t), "")
	// A fixed 64 KiB window turns off BDP window growth, so the slow
	// client's stream fills after ~128 KiB (window plus the server's write
	// quota) instead of many megabytes.
	slow := openStream(ctx, t, e.dial(t, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10)), "")

	payload := make([]byte, 32<<10)
	var fastGot []string
	for i := range n {
		e.gw.Dispatch(pushEvent(fmt.Sprintf("c%d", i), "bob", payload))
		// Pacing by the fast client keeps its queue short; the slow one's
		// grows because it reads nothing.
		fastGot = append(fastGot, ids(recvN(t, fast, 1))...)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("c%d", i))
	}
	if !slices.Equal(fastGot, want) {
		t.Errorf("fast client got %v, want %v", fastGot, want)
	}
	if got := e.metric(t, dropsName); got != 1 {
		t.Errorf("%s = %d, want 1", dropsName, got)
	}
	// The slow client's handler has returned although nothing was read.
	testutil.WaitFor(ctx, t, "the slow client's handler to return", func() bool { return e.metric(t, activeStreamsName) == 1 })

	// Reading now drains what the transport buffered, then the status.
	var slowGot []string
	var err error
	for {
		var ev *gatewayv1.GatewayEvent
		if ev, err = slow.Recv(); err != nil {
			break
		}
		slowGot = append(slowGot, ev.GetEventId())
	}
	wantMsg := fmt.Sprintf("client fell behind: %d events queued", queue)
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || st.Message() != wantMsg {
		t.Errorf("slow client's stream ended with %v, want ResourceExhausted %q", err, wantMsg)
	}
	// Usually about four events (128 KiB) get through before Send blocks;
	// fewer if the scheduler starved the slow client's sender meanwhile.
	if len(slowGot) >= n || !slices.Equal(slowGot, want[:len(slowGot)]) {
		t.Errorf("slow client got %v, want a proper prefix of the %d events", slowGot, n)
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

// startServe runs serve in a goroutine as a Subscribe handler would, and
// returns once the client is registered; its result arrives on the
// returned channel.
func startServe(ctx context.Context, s *Server, user string, send func(*gatewayv1.GatewayEvent) error) <-chan error {
	registered := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.serve(ctx, user, func() error { close(registered); return nil }, send)
	}()
	select {
	case <-registered:
	case err := <-done:
		done <- err
	}
	return done
}

// TestSlowClientHandlerReturnsWhileSendBlocked pins the design choice that
// sends happen off the handler: a client whose send is stuck is still ended
// at once, and the other clients get every event.
func TestSlowClientHandlerReturnsWhileSendBlocked(t *testing.T) {
	ctx := testContext(t)
	const queue = 3
	meter, reader := newTestMeter(t)
	s, err := New(Config{ClientQueue: queue, SigningKey: testKey, Meter: meter})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	entered, unblock := make(chan struct{}, 1), make(chan struct{})
	stuck := startServe(ctx, s, "", func(*gatewayv1.GatewayEvent) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-unblock
		return errors.New("stream done")
	})
	var mu sync.Mutex
	var got []*gatewayv1.GatewayEvent
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	good := startServe(sctx, s, "", func(ev *gatewayv1.GatewayEvent) error {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		return nil
	})

	// Pacing by the good client keeps its queue short whatever the
	// scheduler does; the stuck one's grows.
	received := func(n int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n }
	}
	s.Dispatch(pushEvent("c0", "", nil))
	<-entered // c0 is in the stuck send; the queue is empty
	testutil.WaitFor(ctx, t, "the good client's c0", received(1))
	for i := 1; i <= queue+1; i++ {
		s.Dispatch(pushEvent(fmt.Sprintf("c%d", i), "", nil))
		testutil.WaitFor(ctx, t, fmt.Sprintf("the good client's c%d", i), received(i+1))
	}
	select {
	case err := <-stuck:
		want := fmt.Sprintf("client fell behind: %d events queued", queue)
		if st := status.Convert(err); st.Code() != codes.ResourceExhausted || st.Message() != want {
			t.Errorf("stuck client ended with %v, want ResourceExhausted %q", err, want)
		}
	case <-ctx.Done():
		t.Fatal("stuck client's handler did not return while its send was blocked")
	}
	close(unblock)

	mu.Lock()
	if !slices.Equal(ids(got), []string{"c0", "c1", "c2", "c3", "c4"}) {
		t.Errorf("good client got %v, want c0..c4", ids(got))
	}
	// Signed once: every client is handed the same event value.
	shared := got[0]
	mu.Unlock()
	if shared.GetSignature() == nil {
		t.Errorf("dispatched event %v has no signature", shared)
	}
	if d := metricValue(t, reader, dropsName); d != 1 {
		t.Errorf("%s = %d, want 1", dropsName, d)
	}
	cancel()
	if err := <-good; status.Code(err) != codes.Canceled {
		t.Errorf("good client ended with %v, want Canceled", err)
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
	if _, err := New(Config{ClientQueue: -1}); err == nil || !strings.Contains(err.Error(), "client queue must be at least 1, got -1") {
		t.Errorf("New(ClientQueue: -1) = %v, want a client queue error", err)
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
	if s.cfg.ClientQueue != DefaultClientQueue {
		t.Errorf("ClientQueue default = %d, want %d", s.cfg.ClientQueue, DefaultClientQueue)
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
