package backend

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/testutil"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// header builds the galaxy-* header a stream of the test incarnation has.
func header(kv ...string) map[string]string {
	h := map[string]string{pushv1.MetadataIncarnation: "00000000000000ab"}
	for i := 0; i < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

func TestSubscribeStart(t *testing.T) {
	tests := []struct {
		name       string
		maxEvents  int
		published  int // events "e1".."en" before the subscription
		req        *pushv1.GatewaySubscribeRequest
		wantHeader map[string]string
		wantReplay []uint64
	}{
		{
			name: "no cursor starts live", maxEvents: 10, published: 3,
			req:        &pushv1.GatewaySubscribeRequest{},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartLive),
		},
		{
			name: "from_start replays the ring", maxEvents: 10, published: 3,
			req:        &pushv1.GatewaySubscribeRequest{FromStart: true},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartOldest),
			wantReplay: seqRange(1, 3),
		},
		{
			name: "from_start after evictions replays what is left", maxEvents: 3, published: 5,
			req:        &pushv1.GatewaySubscribeRequest{FromStart: true},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartOldest),
			wantReplay: seqRange(3, 5),
		},
		{
			name: "from_start on an empty ring", maxEvents: 3, published: 0,
			req:        &pushv1.GatewaySubscribeRequest{FromStart: true},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartOldest),
		},
		{
			name: "cursor replays the events after it", maxEvents: 10, published: 3,
			req:        &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(1)},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartResume),
			wantReplay: seqRange(2, 3),
		},
		{
			name: "cursor of the last event replays nothing", maxEvents: 10, published: 3,
			req:        &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(3)},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartResume),
		},
		{
			name: "cursor wins over from_start", maxEvents: 10, published: 3,
			req:        &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(2), FromStart: true},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartResume),
			wantReplay: []uint64{3},
		},
		{
			name: "evicted cursor whose successor remains resumes", maxEvents: 3, published: 4,
			req:        &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(1)},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartResume),
			wantReplay: seqRange(2, 4),
		},
		{
			name: "cursor 0 before any eviction resumes from the first", maxEvents: 3, published: 3,
			req:        &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(0)},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartResume),
			wantReplay: seqRange(1, 3),
		},
		{
			name: "evicted successors reset with the count missed", maxEvents: 3, published: 6,
			req: &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(1)},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartReset,
				pushv1.MetadataResetReason, pushv1.ReasonExpired, pushv1.MetadataMissed, "2"),
			wantReplay: seqRange(4, 6),
		},
		{
			name: "cursor 0 after evictions misses them all", maxEvents: 3, published: 6,
			req: &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(0)},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartReset,
				pushv1.MetadataResetReason, pushv1.ReasonExpired, pushv1.MetadataMissed, "3"),
			wantReplay: seqRange(4, 6),
		},
		{
			name: "cursor of an earlier incarnation resets", maxEvents: 10, published: 3,
			req: &pushv1.GatewaySubscribeRequest{Cursor: FormatCursor(Cursor{Incarnation: 0xac, Seq: 2})},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartReset,
				pushv1.MetadataResetReason, pushv1.ReasonIncarnation, pushv1.MetadataMissed, pushv1.MissedUnknown),
			wantReplay: seqRange(1, 3),
		},
		{
			name: "earlier incarnation ahead of this one is still a reset", maxEvents: 10, published: 3,
			req: &pushv1.GatewaySubscribeRequest{Cursor: FormatCursor(Cursor{Incarnation: 0xac, Seq: 999})},
			wantHeader: header(pushv1.MetadataStart, pushv1.StartReset,
				pushv1.MetadataResetReason, pushv1.ReasonIncarnation, pushv1.MetadataMissed, pushv1.MissedUnknown),
			wantReplay: seqRange(1, 3),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			h := newHarness(t, Config{MaxEvents: tt.maxEvents})
			h.publishN(ctx, tt.published)
			tt.req.GatewayClientId = "gw"
			st, md := h.subscribe(ctx, tt.req)
			got := galaxyHeader(md)
			// The resume cursor is just before the first event the stream
			// sends: the first replayed, or the first live one.
			wantResume := cursorOf(uint64(tt.published))
			if len(tt.wantReplay) > 0 {
				wantResume = cursorOf(tt.wantReplay[0] - 1)
			}
			if rc := got[pushv1.MetadataResumeCursor]; rc != wantResume {
				t.Errorf("SubscribePush(%v) resume cursor = %q, want %q", tt.req, rc, wantResume)
			}
			delete(got, pushv1.MetadataResumeCursor)
			if !maps.Equal(got, tt.wantHeader) {
				t.Errorf("SubscribePush(%v) header = %v, want %v", tt.req, got, tt.wantHeader)
			}
			if got := recvSeqs(t, st, len(tt.wantReplay)); !slices.Equal(got, tt.wantReplay) {
				t.Errorf("SubscribePush(%v) replay = %v, want %v", tt.req, got, tt.wantReplay)
			}
			// The next event must be the live one: nothing more was
			// replayed, and the switch to live lost nothing.
			live := h.publish(ctx, "live")
			if got := recvSeqs(t, st, 1); got[0] != live {
				t.Errorf("SubscribePush(%v) after replay = %v, want live event %d", tt.req, got, live)
			}
		})
	}
}

func TestSubscribeAfterAgeEviction(t *testing.T) {
	tests := []struct {
		name       string
		cursor     uint64
		wantHeader map[string]string
	}{
		{"successor kept", 3, header(pushv1.MetadataStart, pushv1.StartResume)},
		{"successors expired", 1, header(pushv1.MetadataStart, pushv1.StartReset,
			pushv1.MetadataResetReason, pushv1.ReasonExpired, pushv1.MetadataMissed, "2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			h := newHarness(t, Config{MaxAge: time.Minute})
			h.publishN(ctx, 3)
			h.clock.Advance(30 * time.Second)
			h.publishN(ctx, 2)
			// Events 1 to 3 are now a minute old, events 4 and 5 half a
			// minute: subscribing, not publishing, evicts the first three.
			h.clock.Advance(30 * time.Second)
			req := &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", Cursor: cursorOf(tt.cursor)}
			st, md := h.subscribe(ctx, req)
			got := galaxyHeader(md)
			if rc, want := got[pushv1.MetadataResumeCursor], cursorOf(3); rc != want {
				t.Errorf("SubscribePush(%v) resume cursor = %q, want %q", req, rc, want)
			}
			delete(got, pushv1.MetadataResumeCursor)
			if !maps.Equal(got, tt.wantHeader) {
				t.Errorf("SubscribePush(%v) header = %v, want %v", req, got, tt.wantHeader)
			}
			if got, want := recvSeqs(t, st, 2), seqRange(4, 5); !slices.Equal(got, want) {
				t.Errorf("SubscribePush(%v) replay = %v, want %v", req, got, want)
			}
			if got, want := h.srv.Stats(), (Stats{Incarnation: testIncarnation, Events: 2, Oldest: 4, Next: 6, Subscriptions: 1}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
			if got := h.metric(evictedName, attribute.String("reason", "age")); got != 3 {
				t.Errorf("%s{reason=age} = %d, want 3", evictedName, got)
			}
		})
	}
}

func TestSubscribeRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		req  *pushv1.GatewaySubscribeRequest
		want string
	}{
		{"empty client id", &pushv1.GatewaySubscribeRequest{Cursor: cursorOf(1)}, "gateway_client_id is required"},
		{"empty client id and bad cursor", &pushv1.GatewaySubscribeRequest{Cursor: "x"}, "gateway_client_id is required"},
		{"client id over limit", &pushv1.GatewaySubscribeRequest{GatewayClientId: strings.Repeat("g", MaxClientIDBytes+1)}, "gateway_client_id is 257 bytes, over the limit of 256 bytes"},
		{"short cursor", &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", Cursor: "x"},
			`cursor "x": want 33 characters like 00000000000000ab-0000000000000001, got 1`},
		{"bad digit", &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", Cursor: "00000000000000ab-000000000000000z"},
			`cursor "00000000000000ab-000000000000000z": sequence: character 33 is 'z', want a lowercase hex digit`},
		{"cursor ahead", &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", Cursor: cursorOf(3)},
			"cursor is ahead of the backend: event 3 of incarnation 00000000000000ab was never published (the last is 2)"},
	}
	ctx := testContext(t)
	h := newHarness(t, Config{})
	h.publishN(ctx, 2)
	for _, tt := range tests {
		st, err := h.client.SubscribePush(ctx, tt.req)
		if err == nil {
			var ev *pushv1.PushEvent
			ev, err = st.Recv()
			if err == nil {
				t.Errorf("SubscribePush(%s) = event %v, want InvalidArgument %q", tt.name, ev, tt.want)
				continue
			}
		}
		if s := status.Convert(err); s.Code() != codes.InvalidArgument || s.Message() != tt.want {
			t.Errorf("SubscribePush(%s) = %v, want InvalidArgument %q", tt.name, err, tt.want)
		}
	}
	if n := h.srv.Stats().Subscriptions; n != 0 {
		t.Errorf("Stats().Subscriptions after rejected subscriptions = %d, want 0", n)
	}
}

// TestResumeAcrossDisconnects cuts a stream several times while events are
// being published, resumes each time from the last cursor received, and
// checks that every event arrives exactly once and in order.
func TestResumeAcrossDisconnects(t *testing.T) {
	const total = 300
	ctx := testContext(t)
	h := newHarness(t, Config{MaxEvents: 1000})

	// The publisher stays at most 20 events ahead of what was received, so
	// publishing goes on across every cut and reconnect.
	credit := make(chan struct{}, total)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range total {
			if i >= 20 {
				select {
				case <-credit:
				case <-ctx.Done():
					return
				}
			}
			h.srv.Append("load", "u", nil)
		}
	}()

	var got []uint64
	var last string
	// segment reads until n events in all were received, then cuts the
	// stream by cancelling it.
	segment := func(req *pushv1.GatewaySubscribeRequest, n int) string {
		streamCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		st, md := h.subscribe(streamCtx, req)
		for len(got) < n {
			ev, err := st.Recv()
			if err != nil {
				t.Fatalf("Recv() after %d events = %v, want an event", len(got), err)
			}
			got = append(got, mustSeq(t, ev.GetCursor()))
			last = ev.GetCursor()
			credit <- struct{}{}
		}
		return md.Get(pushv1.MetadataStart)[0]
	}
	if start := segment(&pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", FromStart: true}, 50); start != pushv1.StartOldest {
		t.Errorf("first stream %s = %q, want %q", pushv1.MetadataStart, start, pushv1.StartOldest)
	}
	for _, n := range []int{120, 200, total} {
		cursor := last
		if start := segment(&pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", Cursor: cursor}, n); start != pushv1.StartResume {
			t.Errorf("SubscribePush(cursor %s) %s = %q, want %q", cursor, pushv1.MetadataStart, start, pushv1.StartResume)
		}
	}
	<-published
	if want := seqRange(1, total); !slices.Equal(got, want) {
		t.Errorf("events across disconnects = %v, want 1..%d once each in order", got, total)
	}
}

// TestLargeReplayIsNotDropped publishes live events while a replay far
// longer than MaxLag is still going: only live events count as lag.
func TestLargeReplayIsNotDropped(t *testing.T) {
	const n = 2000
	ctx := testContext(t)
	h := newHarness(t, Config{MaxEvents: 2 * n, MaxLag: 2})
	for range n {
		h.srv.Append("old", "", nil)
	}
	st, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw", FromStart: true})
	h.publishN(ctx, 2)
	if got := recvSeqs(t, st, n+2); !slices.Equal(got, seqRange(1, n+2)) {
		t.Errorf("replay of %d events and 2 live = %v, want 1..%d", n, got, n+2)
	}
	if got := h.metric(dropsName); got != 0 {
		t.Errorf("%s = %d, want 0", dropsName, got)
	}
}

func TestReplaceByClientID(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{})
	older, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw"})
	other, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "other"})
	first := h.publish(ctx, "first")
	if got := recvSeqs(t, older, 1); got[0] != first {
		t.Fatalf("older Recv() = %v, want event %d", got, first)
	}

	newer, _ := h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw"})
	seqs, st := recvErr(t, older)
	want := "replaced by a newer subscription for gateway_client_id gw"
	if len(seqs) != 0 || st.Code() != codes.Aborted || st.Message() != want {
		t.Errorf("older stream after replacement = %v, %v, want no events and Aborted %q", seqs, st, want)
	}

	second := h.publish(ctx, "second")
	if got := recvSeqs(t, newer, 1); got[0] != second {
		t.Errorf("newer Recv() = %v, want event %d", got, second)
	}
	if got := recvSeqs(t, other, 2); !slices.Equal(got, []uint64{first, second}) {
		t.Errorf("other client Recv() = %v, want %v", got, []uint64{first, second})
	}
	if got := h.srv.Stats().Subscriptions; got != 2 {
		t.Errorf("Stats().Subscriptions = %d, want 2", got)
	}
	if got := h.metric(replacedName); got != 1 {
		t.Errorf("%s = %d, want 1", replacedName, got)
	}
	if got := h.metric(subsName); got != 2 {
		t.Errorf("%s = %d, want 2", subsName, got)
	}
}

func TestCancelReleasesSubscription(t *testing.T) {
	ctx := testContext(t)
	h := newHarness(t, Config{})
	streamCtx, cancel := context.WithCancel(ctx)
	h.subscribe(streamCtx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw"})
	if got := h.metric(subsName); got != 1 {
		t.Errorf("%s with one stream = %d, want 1", subsName, got)
	}
	cancel()
	testutil.WaitFor(ctx, t, "the subscription to end", func() bool { return h.srv.Stats().Subscriptions == 0 })
	if got := h.metric(subsName); got != 0 {
		t.Errorf("%s after cancel = %d, want 0", subsName, got)
	}
	// The id is free again, so a new stream is not a replacement.
	h.subscribe(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw"})
	if got := h.metric(replacedName); got != 0 {
		t.Errorf("%s = %d, want 0", replacedName, got)
	}
}
