package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

var (
	reasonStalled = attribute.String("reason", "stalled")
	reasonHeld    = attribute.String("reason", "held")
)

func cursorIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c%d", i)
	}
	return out
}

// TestBurstReachesEveryClient is the catch-up regression at the hub: a
// burst far larger than any per-client queue (a reconnect's replay) is
// dispatched while no client can send anything, and then every client gets
// every event, in order, with nobody dropped and Dispatch never waiting. A
// 256-event queue per client dropped all of them at event 257.
func TestBurstReachesEveryClient(t *testing.T) {
	ctx := testContext(t)
	const clients, burst = 20, 1000 // 1,000 > the old 256-event queue
	meter, reader := newTestMeter(t)
	s, err := New(Config{SigningKey: testKey, Meter: meter})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gate := make(chan struct{})
	got := make([][]string, clients)
	var mu sync.Mutex
	dones := make([]<-chan error, clients)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range clients {
		dones[i] = startServe(sctx, s, "", func(ev *gatewayv1.GatewayEvent) error {
			<-gate // every send waits until the whole burst is in
			mu.Lock()
			got[i] = append(got[i], ev.GetEventId())
			mu.Unlock()
			return nil
		})
	}
	want := cursorIDs(burst)
	for _, id := range want {
		s.Dispatch(pushEvent(id, "", []byte("payload")))
	}
	close(gate)
	testutil.WaitFor(ctx, t, "every client to receive the burst", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, g := range got {
			if len(g) < burst {
				return false
			}
		}
		return true
	})
	for i, g := range got {
		if !slices.Equal(g, want) {
			t.Errorf("client %d got %d events, want all %d in order", i, len(g), burst)
		}
	}
	for _, r := range []attribute.KeyValue{reasonStalled, reasonHeld} {
		if d := metricValue(t, reader, dropsName, r); d != 0 {
			t.Errorf("%s{%v} = %d, want 0", dropsName, r, d)
		}
	}
	if p := metricFloat(t, reader, pacedName); p != 0 {
		t.Errorf("%s = %v, want 0: the burst fits the window", pacedName, p)
	}
	cancel()
	for _, d := range dones {
		<-d
	}
}

// TestStalledClientDroppedAfterTimeout stops one client reading over gRPC
// while another keeps up: however many events pile up behind it, the
// stalled one is dropped exactly when its blocked send has lasted
// SlowClientTimeout, not before, and the other gets every event.
func TestStalledClientDroppedAfterTimeout(t *testing.T) {
	ctx := testContext(t)
	const n, timeout = 300, 10 * time.Second // n > the old 256-event queue
	e := newEnv(t, Config{SlowClientTimeout: timeout})
	fast := openStream(ctx, t, e.dial(t), "")
	// A fixed 64 KiB window turns off BDP window growth, so the slow
	// client's stream fills after ~128 KiB (window plus the server's write
	// quota) instead of many megabytes.
	slow := openStream(ctx, t, e.dial(t, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10)), "")

	payload := make([]byte, 32<<10)
	var fastGot []string
	for i := range n {
		e.gw.Dispatch(pushEvent(fmt.Sprintf("c%d", i), "bob", payload))
		fastGot = append(fastGot, ids(recvN(t, fast, 1))...)
	}
	if want := cursorIDs(n); !slices.Equal(fastGot, want) {
		t.Errorf("fast client got %d events, want all %d in order", len(fastGot), n)
	}
	testutil.WaitFor(ctx, t, "the slow client's send to block", func() bool { return e.gw.sending() == 1 })
	e.clock.Advance(timeout - time.Nanosecond)
	if got := e.metric(t, dropsName, reasonStalled); got != 0 {
		t.Fatalf("%s{stalled} before the timeout = %d, want 0", dropsName, got)
	}
	e.clock.Advance(time.Nanosecond)
	if got := e.metric(t, dropsName, reasonStalled); got != 1 {
		t.Errorf("%s{stalled} at the timeout = %d, want 1", dropsName, got)
	}
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
	wantMsg := "client stopped reading: no event accepted for 10s; resume with last_event_id"
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || st.Message() != wantMsg {
		t.Errorf("slow client's stream ended with %v, want ResourceExhausted %q", err, wantMsg)
	}
	if len(slowGot) >= n || !slices.Equal(slowGot, cursorIDs(n)[:len(slowGot)]) {
		t.Errorf("slow client got %v, want a proper prefix of the %d events", slowGot, n)
	}
}

// TestSlowClientHandlerReturnsWhileSendBlocked pins the design choice that
// sends happen off the handler: a client whose send is stuck is still ended
// at its timeout, and the other clients get every event meanwhile.
func TestSlowClientHandlerReturnsWhileSendBlocked(t *testing.T) {
	ctx := testContext(t)
	meter, reader := newTestMeter(t)
	clock := clocktest.New(fakeEpoch)
	s, err := New(Config{SigningKey: testKey, Meter: meter, Clock: clock})
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
	received := func(n int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n }
	}
	s.Dispatch(pushEvent("c0", "", nil))
	<-entered // c0 is in the stuck send
	for i := 1; i <= 4; i++ {
		s.Dispatch(pushEvent(fmt.Sprintf("c%d", i), "", nil))
	}
	testutil.WaitFor(ctx, t, "the good client's five events", received(5))
	clock.Advance(DefaultSlowClientTimeout)
	select {
	case err := <-stuck:
		want := "client stopped reading: no event accepted for 10s; resume with last_event_id"
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
	mu.Unlock()
	if d := metricValue(t, reader, dropsName, reasonStalled); d != 1 {
		t.Errorf("%s{stalled} = %d, want 1", dropsName, d)
	}
	cancel()
	if err := <-good; status.Code(err) != codes.Canceled {
		t.Errorf("good client ended with %v, want Canceled", err)
	}
}

// TestDispatchWhileDrainingExactlyOnce dispatches as fast as it can to
// clients that send as fast as they can, with filters, so drains go idle
// and are woken in every interleaving with Dispatch: each client must get
// exactly the events its filter takes, once, in order.
func TestDispatchWhileDrainingExactlyOnce(t *testing.T) {
	ctx := testContext(t)
	const n = 2000
	s, err := New(Config{SigningKey: testKey, ReplayEvents: 512})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users := []string{"", "", "u0", "u1", "u2"}
	cols := make([]*collector, len(users))
	sctx, cancel := context.WithCancel(ctx)
	var dones []<-chan error
	for i, u := range users {
		cols[i] = &collector{}
		dones = append(dones, startServe(sctx, s, u, cols[i].send))
	}
	want := make([][]string, len(users))
	for i := range n {
		user := []string{"u0", "u1", "u2", ""}[i%4]
		id := fmt.Sprintf("c%d", i)
		s.Dispatch(pushEvent(id, user, nil))
		for j, u := range users {
			if matches(u, user) {
				want[j] = append(want[j], id)
			}
		}
	}
	testutil.WaitFor(ctx, t, "every client to catch up", func() bool {
		for i, c := range cols {
			if len(c.got()) < len(want[i]) {
				return false
			}
		}
		return s.quiescent()
	})
	for i, c := range cols {
		if got := c.got(); !slices.Equal(got, want[i]) {
			t.Errorf("client %d (filter %q): %s", i, users[i], describeDiff(want[i], got))
		}
	}
	cancel()
	for _, d := range dones {
		<-d
	}
}

// describeDiff says how got differs from want, briefly.
func describeDiff(want, got []string) string {
	seen := map[string]int{}
	dups := 0
	for _, id := range got {
		if seen[id]++; seen[id] == 2 {
			dups++
		}
	}
	missing := 0
	for _, id := range want {
		if seen[id] == 0 {
			missing++
		}
	}
	return fmt.Sprintf("got %d events for %d: %d duplicated, %d missing", len(got), len(want), dups, missing)
}
