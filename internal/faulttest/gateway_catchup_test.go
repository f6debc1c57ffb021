package faulttest

import (
	"context"
	"slices"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/testutil"
)

// The catch-up probe: 20 gateway clients reading normally while
// the backend takes 2,000 events a second. Under the race detector two
// cores cannot carry that to 20 clients, so the probe runs at a quarter of
// the rate with a cut six times as long: a backlog of 1,500 events, where
// a burst of 1,000 is not always one under the detector. Clients read at most readFactor times the publish rate, as clients
// behind real networks do: faster than events are published, slower than
// a replay arrives (the race detector slows the replay too, hence the
// lower factor there).
var (
	catchUpRate = map[bool]int{false: 2000, true: 500}[raceOn]
	catchUpCut  = map[bool]time.Duration{false: 500 * time.Millisecond, true: 3 * time.Second}[raceOn]
	readFactor  = map[bool]int{false: 3, true: 2}[raceOn]
)

const (
	catchUpClients = 20
	// catchUpLive is how many events flow before the fault, and after the
	// gateway is back, so the catch-up sits between live traffic.
	catchUpLive = 1000
)

// TestGatewayCatchUpAfterCut cuts the gateway's link to the backend for
// 500 ms under the load (see catchUpRate). The gateway resumes from its cursor and
// the backend replays the backlog in one burst; every client, reading
// normally, must still get every event exactly once, in order, and none
// may be dropped. (With a 256-event queue per client, most were dropped
// with "client fell behind", each losing hundreds of events.)
func TestGatewayCatchUpAfterCut(t *testing.T) {
	t.Parallel()
	ctx := testContext(t, 60*time.Second)
	b := startBackend(t, backend.Config{Incarnation: 0xc1})
	p := startProxy(t, ctx, b.addr)
	g := startGateway(t, ctx, p.Addr(), gateway.Config{})
	clients := startReaders(t, ctx, g.addr, catchUpClients, readFactor*catchUpRate)
	pub := startPublisher(b, catchUpRate)
	testutil.WaitFor(ctx, t, "live traffic", func() bool { return pub.count(b) >= catchUpLive })

	p.Refuse(true)
	if n := p.CutAll(); n != 1 {
		t.Fatalf("CutAll() = %d, want the gateway's 1 connection", n)
	}
	pause(ctx, catchUpCut)
	atReturn := pub.count(b)
	p.Refuse(false)
	g.sub.wait(t, ctx, "the gateway back", func(s snapshot) bool { return len(s.starts) >= 2 })
	testutil.WaitFor(ctx, t, "live traffic after the cut", func() bool { return pub.count(b) >= atReturn+catchUpLive })
	published := pub.halt()[b]
	got := g.sub.waitHandled(t, ctx, published[len(published)-1])
	if diff := compareDelivery(published, got.handled); diff != "" {
		t.Fatalf("the gateway's subscriber across the cut: %s", diff)
	}
	d := checkClients(t, ctx, clients, published)
	t.Logf("%d events, %d published before the link came back, %d clients: %d dropped, %d events lost, %d duplicates",
		len(published), atReturn, len(clients), d.dropped, d.lostEvents, d.duplicates)
	if d.dropped != 0 || d.lostEvents != 0 || d.duplicates != 0 {
		t.Errorf("after a %v cut at %d events/s: %d of %d clients dropped, %d events lost, %d duplicates; want none (%s)",
			catchUpCut, catchUpRate, d.dropped, len(clients), d.lostEvents, d.duplicates, d.worst)
	}
}

// TestGatewayCatchUpAfterRestart crashes the backend and starts a new
// incarnation that takes events for a while before the gateway reaches it:
// the gateway's cursor is another incarnation's, so the new backend
// replays its whole ring at once. Every client must get every event the
// gateway received, the new incarnation's all of them, exactly once, and
// none may be dropped.
func TestGatewayCatchUpAfterRestart(t *testing.T) {
	t.Parallel()
	// The probe lost ~2,460 per client.
	const beforeReach = 2400
	ctx := testContext(t, 60*time.Second)
	a := startBackend(t, backend.Config{Incarnation: 0xa1})
	p := startProxy(t, ctx, a.addr)
	g := startGateway(t, ctx, p.Addr(), gateway.Config{})
	clients := startReaders(t, ctx, g.addr, catchUpClients, readFactor*catchUpRate)
	pub := startPublisher(a, catchUpRate)
	testutil.WaitFor(ctx, t, "live traffic", func() bool { return pub.count(a) >= catchUpLive })

	p.Refuse(true)
	pub.retarget(nil)
	a.stop()
	b := startBackend(t, backend.Config{Incarnation: 0xb2})
	if err := p.SetTarget(b.addr); err != nil {
		t.Fatal(err)
	}
	pub.retarget(b)
	testutil.WaitFor(ctx, t, "the new incarnation's backlog", func() bool { return pub.count(b) >= beforeReach })
	p.Refuse(false)
	g.sub.wait(t, ctx, "the gateway on the new incarnation", func(s snapshot) bool { return len(s.starts) >= 2 })
	testutil.WaitFor(ctx, t, "live traffic on the new incarnation", func() bool { return pub.count(b) >= beforeReach+catchUpLive })
	byInc := pub.halt()
	fromB := byInc[b]
	got := g.sub.waitHandled(t, ctx, fromB[len(fromB)-1])
	at := slices.Index(got.handled, fromB[0])
	if at < 0 {
		t.Fatalf("the gateway never received the new incarnation's first event")
	}
	if diff := compareDelivery(fromB, got.handled[at:]); diff != "" {
		t.Fatalf("the gateway's subscriber on the new incarnation: %s", diff)
	}
	d := checkClients(t, ctx, clients, got.handled)
	t.Logf("%d events from A, %d from B (%d before the gateway reached it), %d clients: %d dropped, %d events lost, %d duplicates",
		at, len(fromB), beforeReach, len(clients), d.dropped, d.lostEvents, d.duplicates)
	if d.dropped != 0 || d.lostEvents != 0 || d.duplicates != 0 {
		t.Errorf("after a backend restart at %d events/s: %d of %d clients dropped, %d events lost, %d duplicates; want none (%s)",
			catchUpRate, d.dropped, len(clients), d.lostEvents, d.duplicates, d.worst)
	}
}

// pause waits d, the length of a fault, or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
