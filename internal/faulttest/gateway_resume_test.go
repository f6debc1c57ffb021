package faulttest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestGatewayClientResumesAcrossCuts publishes 2,000 events while the
// proxy between a gateway client and the gateway cuts the client's
// connection every 250 ms. The client (gateway.Follower, what tail
// --target gateway runs) resumes with last_event_id each time and must
// see every event exactly once, in order: no duplicate, no gap.
func TestGatewayClientResumesAcrossCuts(t *testing.T) {
	t.Parallel()
	const (
		events  = 2000
		every   = time.Millisecond
		cutGap  = 250 * time.Millisecond
		minCuts = 6
	)
	ctx := testContext(t, 30*time.Second)
	b := startBackend(t, backend.Config{})
	g := startGateway(t, ctx, b.addr, gateway.Config{})
	// One event before the client: its first stream then has an id to
	// resume from even if it is cut before its first event.
	warm := b.publish(1)
	g.sub.waitHandled(t, ctx, warm[0])
	p := startProxy(t, ctx, g.addr)

	var mu sync.Mutex
	var got []string
	var starts []gateway.FollowStart
	changed := make(chan struct{}, 1)
	f, err := gateway.NewFollower(gateway.FollowConfig{
		Client:  gatewayv1.NewGatewayClient(dial(t, p.Addr())),
		Backoff: quickBackoff,
		Handler: func(_ context.Context, ev *gatewayv1.GatewayEvent) error {
			if ev.GetEventType() != gatewayv1.HeartbeatEventType {
				mu.Lock()
				got = append(got, ev.GetEventId())
				mu.Unlock()
				select {
				case changed <- struct{}{}:
				default:
				}
			}
			return nil
		},
		OnStart: func(fs gateway.FollowStart) { mu.Lock(); starts = append(starts, fs); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(fctx) }()
	defer func() { stop(); <-done }()
	// The first stream starts live: only what is published after it.
	testutil.WaitFor(ctx, t, "the client's first stream", func() bool { mu.Lock(); defer mu.Unlock(); return len(starts) == 1 })

	published := make(chan []string, 1)
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		var cursors []string
		for len(cursors) < events && ctx.Err() == nil {
			<-tick.C
			cursors = append(cursors, b.publish(1)...)
		}
		published <- cursors
	}()
	var want []string
	cuts := 0
	for want == nil || cuts < minCuts {
		timer := time.NewTimer(cutGap)
		select {
		case <-ctx.Done():
			timer.Stop()
			t.Fatalf("cutting: %v after %d cuts", ctx.Err(), cuts)
		case want = <-published:
			timer.Stop()
		case <-timer.C:
			cuts += p.CutAll()
		}
	}
	last := want[len(want)-1]
	for {
		mu.Lock()
		have := slices.Contains(got, last)
		n := len(got)
		mu.Unlock()
		if have {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for the last event: %v (have %d of %d)", ctx.Err(), n, len(want))
		case <-changed:
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// The warm-up event may reach the first stream: the gateway's
	// subscriber records an event just before it dispatches it, so the
	// client can register (live) in between. It is not one of the 2,000.
	if len(got) > 0 && got[0] == warm[0] {
		got = got[1:]
	}
	if diff := compareDelivery(want, got); diff != "" {
		t.Errorf("after %d cuts: %s", cuts, diff)
	}
	for i, s := range starts {
		if want := pushv1.StartLive; i == 0 && s.Start != want || i > 0 && s.Start != pushv1.StartResume {
			t.Errorf("stream %d started %+v, want live then resume", i, s)
		}
	}
	t.Logf("%d events, %d cuts, %d streams", len(want), cuts, len(starts))
}
