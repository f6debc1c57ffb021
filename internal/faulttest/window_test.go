package faulttest

import (
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/faultproxy"
	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestBeyondTheWindow keeps a subscriber away (its connections refused)
// while the events after its cursor are evicted, by age or by count. When
// it comes back it must get the whole ring, be told the start was a reset
// because its cursor expired, and be told exactly how many events it lost:
// the published events its handler never saw.
func TestBeyondTheWindow(t *testing.T) {
	t.Parallel()
	const (
		maxAge = 200 * time.Millisecond
		before = 10 // handled before going away
	)
	tests := []struct {
		name string
		cfg  backend.Config
		// away publishes while the subscriber is away, evicting every
		// event after its cursor and some more.
		away func(b *backendServer, clock *clocktest.Fake) []string
		// wantMissed is how many events the backend must report lost.
		wantMissed int64
	}{
		{
			name: "by age",
			cfg:  backend.Config{MaxAge: maxAge},
			away: func(b *backendServer, clock *clocktest.Fake) []string {
				old := b.publish(20)
				clock.Advance(maxAge)
				return append(old, b.publish(5)...)
			},
			wantMissed: 20,
		},
		{
			name: "by count",
			cfg:  backend.Config{MaxEvents: 16},
			away: func(b *backendServer, _ *clocktest.Fake) []string {
				return b.publish(40)
			},
			wantMissed: 40 - 16,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, 10*time.Second)
			clock := clocktest.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
			cfg := tt.cfg
			cfg.Clock = clock
			b := startBackend(t, cfg)
			p := startProxy(t, ctx, b.addr)
			rec := newRecorder()
			runSubscriber(t, ctx, rec.configure(subscribe.Config{
				ClientID:  "gw-window",
				Client:    pushv1.NewPushClient(dial(t, p.Addr())),
				FromStart: true,
				Backoff:   quickBackoff,
			}))
			rec.wait(t, ctx, "the first stream", func(s snapshot) bool { return len(s.starts) == 1 })
			published := b.publish(before)
			rec.waitHandled(t, ctx, published[before-1])

			// Go away: refuse first, so that no reconnect slips in
			// between, then cut.
			p.Refuse(true)
			if n := p.CutAll(); n != 1 {
				t.Fatalf("CutAll() = %d, want the subscriber's 1 connection", n)
			}
			published = append(published, tt.away(b, clock)...)
			// The subscriber must have tried, and been refused, while away.
			rec.wait(t, ctx, "retries while refused", func(s snapshot) bool { return len(s.retries) >= 3 })
			if err := p.Wait(ctx, func(s faultproxy.Stats) bool { return s.Refused >= 1 }); err != nil {
				t.Fatalf("waiting for a refused connection: %v", err)
			}
			p.Refuse(false)

			rec.waitHandled(t, ctx, published[len(published)-1])
			// Live events after the return arrive too.
			live := b.publish(3)
			published = append(published, live...)
			got := rec.waitHandled(t, ctx, live[len(live)-1])

			reallyMissed := int64(len(published) - len(got.handled))
			if reallyMissed != tt.wantMissed {
				t.Errorf("events never handled = %d, want %d", reallyMissed, tt.wantMissed)
			}
			// What was handled is the published sequence with one gap:
			// the evicted events right after the cursor.
			want := append(published[:before:before], published[before+int(tt.wantMissed):]...)
			if diff := compareDelivery(want, got.handled); diff != "" {
				t.Errorf("with a gap of %d after event %d: %s", tt.wantMissed, before, diff)
			}
			if len(got.starts) != 2 {
				t.Fatalf("streams = %d (%+v), want 2: the first and the one after the return", len(got.starts), got.starts)
			}
			info := got.starts[1].info
			wantInfo := subscribe.StartInfo{
				Start:       pushv1.StartReset,
				ResetReason: pushv1.ReasonExpired,
				Missed:      reallyMissed,
				Incarnation: got.starts[0].info.Incarnation,
				Attempt:     info.Attempt,
				Cursor:      published[before-1],
			}
			if info != wantInfo {
				t.Errorf("StartInfo after the return = %+v, want %+v", info, wantInfo)
			}
		})
	}
}
