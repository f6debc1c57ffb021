package faulttest

import (
	"fmt"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/faultproxy"
	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestBackendRestart kills the backend and starts a new incarnation behind
// the same address (the proxy's, which is all the subscriber knows). The
// old cursor must be recognised as another incarnation's (a reset, missed
// unknown), the new incarnation's events must all arrive once, and a later
// cut must resume within the new incarnation.
func TestBackendRestart(t *testing.T) {
	t.Parallel()
	const incA, incB = 0xa1a1, 0xb2b2
	ctx := testContext(t, 10*time.Second)
	a := startBackend(t, backend.Config{Incarnation: incA})
	p := startProxy(t, ctx, a.addr)
	rec := newRecorder()
	runSubscriber(t, ctx, rec.configure(subscribe.Config{
		ClientID:  "gw-restart",
		Client:    pushv1.NewPushClient(dial(t, p.Addr())),
		FromStart: true,
		Backoff:   quickBackoff,
	}))
	rec.wait(t, ctx, "the first stream", func(s snapshot) bool { return len(s.starts) == 1 })
	published := a.publish(10)
	rec.waitHandled(t, ctx, published[9])

	// Crash A; while nothing listens, the subscriber's reconnects fail.
	retriesBefore := len(rec.snapshot().retries)
	a.stop()
	if err := p.Wait(ctx, func(s faultproxy.Stats) bool { return s.DialFailed >= 1 }); err != nil {
		t.Fatalf("waiting for a failed dial to the dead backend: %v", err)
	}
	rec.wait(t, ctx, "retries while the backend is down", func(s snapshot) bool { return len(s.retries) >= retriesBefore+2 })

	// B starts with events of its own before the subscriber finds it.
	b := startBackend(t, backend.Config{Incarnation: incB})
	published = append(published, b.publish(5)...)
	if err := p.SetTarget(b.addr); err != nil {
		t.Fatal(err)
	}
	rec.waitHandled(t, ctx, published[len(published)-1])
	published = append(published, b.publish(5)...)
	rec.waitHandled(t, ctx, published[len(published)-1])

	// A cut now resumes within B.
	if n := p.CutAll(); n != 1 {
		t.Fatalf("CutAll() = %d, want 1", n)
	}
	published = append(published, b.publish(5)...)
	got := rec.waitHandled(t, ctx, published[len(published)-1])

	if diff := compareDelivery(published, got.handled); diff != "" {
		t.Errorf("across the restart: %s", diff)
	}
	hex := func(inc uint64) string { return fmt.Sprintf("%016x", inc) }
	want := []subscribe.StartInfo{
		{Start: pushv1.StartOldest, Missed: -1, Incarnation: hex(incA)},
		{Start: pushv1.StartReset, ResetReason: pushv1.ReasonIncarnation, Missed: -1, Incarnation: hex(incB), Cursor: published[9]},
		{Start: pushv1.StartResume, Missed: -1, Incarnation: hex(incB), Cursor: published[19]},
	}
	if len(got.starts) != len(want) {
		t.Fatalf("streams = %+v, want %d", got.starts, len(want))
	}
	for i, s := range got.starts {
		s.info.Attempt = 0 // depends on how many dials failed
		if s.info != want[i] {
			t.Errorf("stream %d started %+v, want %+v", i, s.info, want[i])
		}
	}
}
