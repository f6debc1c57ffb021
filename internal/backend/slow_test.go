package backend

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestSlowSubscriberIsDropped has one subscriber stop reading while another
// keeps up. Fixed 64 KiB flow-control windows (which turn off gRPC's
// window growth) make the stalled stream's Send block after a few large
// events, so only the backend's own bookkeeping can notice it falling behind.
func TestSlowSubscriberIsDropped(t *testing.T) {
	const (
		maxEvents = 8
		total     = 40
	)
	ctx := testContext(t)
	h := newHarness(t, Config{MaxEvents: maxEvents, MaxLag: 4},
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	slow, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "slow"})

	fastCtx, stopFast := context.WithCancel(ctx)
	defer stopFast()
	fast, _ := h.subscribe(fastCtx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "fast"})
	received := make(chan uint64, total)
	fastDone := make(chan struct{})
	go func() {
		defer close(fastDone)
		for {
			ev, err := fast.Recv()
			if err != nil {
				return
			}
			c, _ := ParseCursor(ev.GetCursor())
			received <- c.Seq
		}
	}()

	// Each Append returns at once whatever the stalled reader does; the
	// next waits for the fast reader, so it never lags.
	payload := bytes.Repeat([]byte{'x'}, 32<<10)
	for i := uint64(1); i <= total; i++ {
		h.srv.Append("load", "", payload)
		select {
		case got := <-received:
			if got != i {
				t.Fatalf("fast subscriber got event %d, want %d", got, i)
			}
		case <-ctx.Done():
			t.Fatalf("fast subscriber did not get event %d: %v", i, ctx.Err())
		}
	}

	st := h.srv.Stats()
	if st.Subscriptions != 1 || st.Events != maxEvents {
		t.Errorf("Stats() = %+v, want 1 subscription and %d events", st, maxEvents)
	}
	if got := h.metric(dropsName); got != 1 {
		t.Errorf("%s = %d, want 1", dropsName, got)
	}

	// The stalled reader, reading again, gets what was in flight, in order,
	// then the drop.
	seqs, end := recvErr(t, slow)
	t.Logf("slow got %v then %v", seqs, end)
	// n may be 0: under load its sender may not have run before the lag
	// passed MaxLag, and then nothing was in flight.
	if len(seqs) >= total || !slices.Equal(seqs, seqRange(1, uint64(len(seqs)))) {
		t.Errorf("slow subscriber events = %v, want 1..n for some n < %d", seqs, total)
	}
	// Lag grows by one per Append, so the drop comes the moment it first
	// exceeds MaxLag, well before the ring would have evicted its position.
	if msg := "subscriber fell 5 events behind; resume from your last cursor"; end.Code() != codes.ResourceExhausted || end.Message() != msg {
		t.Errorf("slow subscriber ended with %v, want ResourceExhausted %q", end, msg)
	}

	// Resuming from its last cursor tells it exactly how much it lost.
	last := uint64(len(seqs))
	resumed, md := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "slow", Cursor: cursorOf(last)})
	oldest := uint64(total - maxEvents + 1)
	want := header(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataResetReason, pushv1.ReasonExpired,
		pushv1.MetadataMissed, strconv.FormatUint(oldest-last-1, 10),
		pushv1.MetadataResumeCursor, cursorOf(oldest-1))
	if got := galaxyHeader(md); !maps.Equal(got, want) {
		t.Errorf("resume from %d header = %v, want %v", last, got, want)
	}
	if got := recvSeqs(t, resumed, maxEvents); !slices.Equal(got, seqRange(oldest, total)) {
		t.Errorf("resume from %d replay = %v, want %v", last, got, seqRange(oldest, total))
	}

	stopFast()
	<-fastDone
}

// TestStalledSubscriberEndsWhenItsNextEventExpires stalls a stream inside
// Send, lets the events it has not taken expire, and checks that the
// handler returns ResourceExhausted at once, while Send is still blocked:
// a reader that never reads again must not pin its subscription.
func TestStalledSubscriberEndsWhenItsNextEventExpires(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{MaxAge: time.Minute})
	h.srv.Append("e1", "", nil)

	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	inSend := make(chan string, 1)
	release := make(chan struct{})
	st := &fakeStream{ctx: streamCtx, send: func(ev *pushv1.PushEvent) error {
		inSend <- ev.GetEventType()
		select {
		case <-release:
			return nil
		case <-streamCtx.Done():
			return streamCtx.Err()
		}
	}}
	ended := make(chan error, 1)
	go func() {
		ended <- h.srv.SubscribePush(&pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", FromStart: true}, st)
	}()
	select {
	case got := <-inSend:
		if got != "e1" {
			t.Fatalf("first Send got %q, want e1", got)
		}
	case <-ctx.Done():
		t.Fatal("SubscribePush never sent e1")
	}

	h.srv.Append("e2", "", nil)
	h.srv.Append("e3", "", nil)
	h.clock.Advance(time.Minute)
	if got := h.srv.Len(); got != 0 {
		t.Errorf("Len() after MaxAge = %d, want 0", got)
	}
	select {
	case err := <-ended:
		want := "subscriber fell 3 events behind; resume from your last cursor"
		if s := status.Convert(err); s.Code() != codes.ResourceExhausted || s.Message() != want {
			t.Errorf("SubscribePush = %v, want ResourceExhausted %q", err, want)
		}
	case <-ctx.Done():
		t.Fatal("SubscribePush did not return while its Send was blocked")
	}
	if got := h.metric(dropsName); got != 1 {
		t.Errorf("%s = %d, want 1", dropsName, got)
	}
	// What a gRPC server does once the handler returns: end the stream,
	// which releases the blocked Send.
	cancel()
}
