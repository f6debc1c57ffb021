package gateway

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// TestPaceWaitsForTheBackThenDropsWhoHolds fills a four-event window
// while one client (B) sends each event only when the test lets it, three
// seconds apart, and another (A) keeps up. Dispatch waits for B instead of
// evicting an event B has still to be sent, so B loses nothing; each wait
// is charged to B, and once the charge reaches the slow-client timeout B
// is dropped ("held") and Dispatch goes on. No single send of B lasts the
// timeout, so it is the holding, not a stall, that drops it: a client
// slower than the publish rate.
func TestPaceWaitsForTheBackThenDropsWhoHolds(t *testing.T) {
	ctx := testContext(t)
	const timeout, step = 10 * time.Second, 3 * time.Second
	meter, reader := newTestMeter(t)
	clock := clocktest.New(fakeEpoch)
	s, err := New(Config{SigningKey: testKey, Meter: meter, Clock: clock, ReplayEvents: 4, SlowClientTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var mu sync.Mutex
	var gotA, gotB []string
	record := func(dst *[]string, ev *gatewayv1.GatewayEvent) {
		mu.Lock()
		*dst = append(*dst, ev.GetEventId())
		mu.Unlock()
	}
	count := func(dst *[]string) int { mu.Lock(); defer mu.Unlock(); return len(*dst) }
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	doneA := startServe(sctx, s, "", func(ev *gatewayv1.GatewayEvent) error { record(&gotA, ev); return nil })
	release := make(chan struct{})
	defer close(release) // B's last send stays blocked until the test ends
	doneB := startServe(sctx, s, "", func(ev *gatewayv1.GatewayEvent) error {
		select {
		case <-release:
		case <-sctx.Done():
			return sctx.Err()
		}
		record(&gotB, ev)
		return nil
	})

	for _, id := range cursorIDs(4) {
		s.Dispatch(pushEvent(id, "", nil))
	}
	testutil.WaitFor(ctx, t, "A's four events", func() bool { return count(&gotA) == 4 })

	// Each further event waits for B to send the oldest; B takes a step.
	dispatchPaced := func(id string) <-chan struct{} {
		done := make(chan struct{})
		go func() { s.Dispatch(pushEvent(id, "", nil)); close(done) }()
		testutil.WaitFor(ctx, t, "Dispatch("+id+") to wait for B", func() bool { return s.pace.waiting.Load() == 1 })
		select {
		case <-done:
			t.Fatalf("Dispatch(%s) returned while the window was full of B's events", id)
		default:
		}
		return done
	}
	for i, id := range []string{"c4", "c5", "c6"} {
		done := dispatchPaced(id)
		clock.Advance(step)
		release <- struct{}{}
		<-done
		if held := time.Duration(s.holdOf(t)); held != time.Duration(i+1)*step {
			t.Errorf("after %s, B's charge = %v, want %v", id, held, time.Duration(i+1)*step)
		}
	}
	// The fourth wait runs out B's budget: a second, not another step.
	done := dispatchPaced("c7")
	clock.Advance(timeout - 3*step)
	<-done
	select {
	case err := <-doneB:
		want := "client fell behind: the gateway waited 10s on it; resume with last_event_id"
		if st := status.Convert(err); st.Code() != codes.ResourceExhausted || st.Message() != want {
			t.Errorf("B ended with %v, want ResourceExhausted %q", err, want)
		}
	case <-ctx.Done():
		t.Fatal("B was not dropped once it had held Dispatch up for the timeout")
	}
	if d := metricValue(t, reader, dropsName, reasonHeld); d != 1 {
		t.Errorf("%s{held} = %d, want 1", dropsName, d)
	}
	if d := metricValue(t, reader, dropsName, reasonStalled); d != 0 {
		t.Errorf("%s{stalled} = %d, want 0: no send of B lasted the timeout", dropsName, d)
	}
	if p := metricFloat(t, reader, pacedName); p != timeout.Seconds() {
		t.Errorf("%s = %v, want %v", pacedName, p, timeout.Seconds())
	}
	testutil.WaitFor(ctx, t, "A's eight events", func() bool { return count(&gotA) == 8 })
	mu.Lock()
	if want := cursorIDs(8); !slices.Equal(gotA, want) {
		t.Errorf("A got %v, want %v", gotA, want)
	}
	// B lost nothing while it was served: the waits kept its events.
	if want := cursorIDs(3); !slices.Equal(gotB, want) {
		t.Errorf("B got %v before it was dropped, want %v", gotB, want)
	}
	mu.Unlock()
	cancel()
	<-doneA
}

// holdOf returns the pacing charge of the one client that has any.
func (s *Server) holdOf(t *testing.T) int64 {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var held int64
	for _, list := range s.byUser {
		for _, c := range list {
			held = max(held, c.held.Load())
		}
	}
	return held
}

// TestPaceChargesOnlyTheLast dispatches into a full window while two
// clients at its back are held and then let go one after the other: only
// the last to move on is charged, and only for the time after the first
// moved, since until then the first was holding Dispatch up as well.
func TestPaceChargesOnlyTheLast(t *testing.T) {
	ctx := testContext(t)
	clock := clocktest.New(fakeEpoch)
	s, err := New(Config{SigningKey: testKey, Clock: clock, ReplayEvents: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gates := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var dones []<-chan error
	for _, g := range gates {
		dones = append(dones, startServe(sctx, s, "", func(*gatewayv1.GatewayEvent) error {
			select {
			case <-g:
				return nil
			case <-sctx.Done():
				return sctx.Err()
			}
		}))
	}
	s.Dispatch(pushEvent("c0", "", nil))
	s.Dispatch(pushEvent("c1", "", nil))
	done := make(chan struct{})
	go func() { s.Dispatch(pushEvent("c2", "", nil)); close(done) }()
	testutil.WaitFor(ctx, t, "Dispatch to wait for both", func() bool { return s.pace.waiting.Load() == 2 })
	clock.Advance(2 * time.Second)
	gates[0] <- struct{}{}
	testutil.WaitFor(ctx, t, "the first to move on", func() bool { return s.pace.waiting.Load() == 1 })
	clock.Advance(time.Second)
	gates[1] <- struct{}{}
	<-done
	s.mu.RLock()
	var charges []time.Duration
	for _, c := range s.byUser[""] {
		charges = append(charges, time.Duration(c.held.Load()))
	}
	s.mu.RUnlock()
	slices.Sort(charges)
	if want := []time.Duration{0, time.Second}; !slices.Equal(charges, want) {
		t.Errorf("charges after the wait = %v, want %v", charges, want)
	}
	cancel()
	for _, g := range gates {
		close(g)
	}
	for _, d := range dones {
		<-d
	}
}
