package faulttest

import (
	"math/rand/v2"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestExactlyOnceAcrossCuts publishes a steady stream while the proxy resets
// the subscriber's connection again and again at random moments (in the
// middle of a replay, of the live stream, of a connection handshake), and
// checks that the handler saw every event exactly once, in cursor order.
func TestExactlyOnceAcrossCuts(t *testing.T) {
	t.Parallel()
	const (
		events  = 2000
		every   = time.Millisecond
		minCuts = 25
	)
	ctx := testContext(t, 20*time.Second)
	b := startBackend(t, backend.Config{MaxEvents: 2 * events})
	p := startProxy(t, ctx, b.addr)
	rec := newRecorder()
	runSubscriber(t, ctx, rec.configure(subscribe.Config{
		ClientID:  "gw-cuts",
		Client:    pushv1.NewPushClient(dial(t, p.Addr())),
		FromStart: true,
		Backoff:   quickBackoff,
	}))
	rec.wait(t, ctx, "the first stream", func(s snapshot) bool { return len(s.starts) == 1 })

	began := time.Now()
	published := make(chan []string, 1)
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		cursors := make([]string, 0, events)
		for len(cursors) < events {
			select {
			case <-ctx.Done():
				published <- cursors
				return
			case <-tick.C:
				cursors = append(cursors, b.publish(1)...)
			}
		}
		published <- cursors
	}()

	// Cut at random intervals until the publisher is done and enough cuts
	// have hit a live connection.
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, seed))
	var cursors []string
	cuts := 0
	for cursors == nil || cuts < minCuts {
		timer := time.NewTimer(time.Duration(10+r.IntN(70)) * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			t.Fatalf("cutting (seed %d): %v after %d cuts", seed, ctx.Err(), cuts)
		case cursors = <-published:
			timer.Stop()
		case <-timer.C:
			cuts += p.CutAll()
		}
	}
	if len(cursors) != events {
		t.Fatalf("published %d events, want %d", len(cursors), events)
	}

	got := rec.waitHandled(t, ctx, cursors[len(cursors)-1])
	if diff := compareDelivery(cursors, got.handled); diff != "" {
		t.Errorf("after %d cuts (seed %d): %s", cuts, seed, diff)
	}
	// Every stream after the first resumed: none fell back to a replay of
	// the whole ring, which would be a duplicate waiting to happen.
	for i, s := range got.starts {
		want := pushv1.StartResume
		if i == 0 {
			want = pushv1.StartOldest
		}
		if s.info.Start != want {
			t.Errorf("stream %d started %q (%+v), want %q", i, s.info.Start, s.info, want)
		}
	}
	if len(got.starts) < minCuts {
		t.Errorf("%d streams for %d cuts, want at least %d", len(got.starts), cuts, minCuts)
	}
	t.Logf("%d events in %v, %d cuts, %d streams, %d retries (seed %d)", len(cursors), time.Since(began), cuts, len(got.starts), len(got.retries), seed)
}
