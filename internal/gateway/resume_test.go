package gateway

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// collector is a send func that records event ids (not heartbeats).
type collector struct {
	mu  sync.Mutex
	ids []string
}

func (c *collector) send(ev *gatewayv1.GatewayEvent) error {
	if ev.GetEventType() == gatewayv1.HeartbeatEventType {
		return nil
	}
	c.mu.Lock()
	c.ids = append(c.ids, ev.GetEventId())
	c.mu.Unlock()
	return nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ids)
}

// headerOf is the part of a response header a resume test checks.
type headerOf struct{ start, missed, resume string }

func parseHeader(md metadata.MD) headerOf {
	return headerOf{first(md, pushv1.MetadataStart), first(md, pushv1.MetadataMissed), first(md, pushv1.MetadataResumeCursor)}
}

// window5 is alice, bob, a broadcast, alice, bob: c1..c5.
var window5 = []*pushv1.PushEvent{
	pushEvent("c1", "alice", nil), pushEvent("c2", "bob", nil), pushEvent("c3", "", nil),
	pushEvent("c4", "alice", nil), pushEvent("c5", "bob", nil),
}

// TestResume subscribes with a last_event_id against a window of five
// events: found, it replays what follows and matches the filter, exactly
// once, then goes live; not found, it replays the whole window and the
// header says reset; and the header always names where to resume.
func TestResume(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		lastID string
		want   headerOf
		replay []string
	}{
		{"live", "", "", headerOf{pushv1.StartLive, "", "c5"}, nil},
		{"resume everything", "", "c2", headerOf{pushv1.StartResume, "", "c2"}, []string{"c3", "c4", "c5"}},
		{"resume filtered", "alice", "c2", headerOf{pushv1.StartResume, "", "c2"}, []string{"c3", "c4"}},
		{"resume at the head", "alice", "c5", headerOf{pushv1.StartResume, "", "c5"}, nil},
		{"resume at the oldest", "bob", "c1", headerOf{pushv1.StartResume, "", "c1"}, []string{"c2", "c3", "c5"}},
		{"unknown id", "alice", "0000000000000999-0000000000000001", headerOf{pushv1.StartReset, pushv1.MissedUnknown, ""}, []string{"c1", "c3", "c4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			s, err := New(Config{SigningKey: testKey})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, ev := range window5 {
				s.Dispatch(ev)
			}
			col := &collector{}
			sctx, cancel := context.WithCancel(ctx)
			md, done := startServeReq(sctx, s, &gatewayv1.SubscribeRequest{UserId: tt.user, LastEventId: tt.lastID}, col.send)
			if got := parseHeader(md); got != tt.want {
				t.Errorf("header = %+v, want %+v", got, tt.want)
			}
			// A live event for everyone follows the replay, once.
			s.Dispatch(pushEvent("c6", "", nil))
			want := append(slices.Clone(tt.replay), "c6")
			testutil.WaitFor(ctx, t, "the replay and c6", func() bool { return len(col.got()) >= len(want) })
			testutil.WaitFor(ctx, t, "the client to go idle", s.quiescent)
			if got := col.got(); !slices.Equal(got, want) {
				t.Errorf("Subscribe(user %q, last_event_id %q) sent %v, want %v", tt.user, tt.lastID, got, want)
			}
			cancel()
			<-done
		})
	}
}

// TestResumeWindowBounds resumes after events the window's count, byte
// and age bounds have evicted (a reset: the whole window), and after the
// newest event once age has emptied the window (a resume: the id still
// marks the head).
func TestResumeWindowBounds(t *testing.T) {
	const age = time.Minute
	small := proto5Size()
	tests := []struct {
		name    string
		cfg     Config
		advance time.Duration
		lastID  string
		want    headerOf
		replay  []string
	}{
		{"evicted by count", Config{ReplayEvents: 3}, 0, "c1", headerOf{pushv1.StartReset, pushv1.MissedUnknown, ""}, []string{"c3", "c4", "c5"}},
		{"oldest kept by count", Config{ReplayEvents: 3}, 0, "c3", headerOf{pushv1.StartResume, "", "c3"}, []string{"c4", "c5"}},
		{"evicted by bytes", Config{ReplayBytes: 2 * small}, 0, "c2", headerOf{pushv1.StartReset, pushv1.MissedUnknown, ""}, []string{"c4", "c5"}},
		{"evicted by age", Config{ReplayAge: age}, age, "c2", headerOf{pushv1.StartReset, pushv1.MissedUnknown, ""}, nil},
		{"newest after age", Config{ReplayAge: age}, age, "c5", headerOf{pushv1.StartResume, "", "c5"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			clock := clocktest.New(fakeEpoch)
			cfg := tt.cfg
			cfg.SigningKey, cfg.Clock = testKey, clock
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, ev := range window5 {
				s.Dispatch(ev)
			}
			clock.Advance(tt.advance)
			col := &collector{}
			sctx, cancel := context.WithCancel(ctx)
			md, done := startServeReq(sctx, s, &gatewayv1.SubscribeRequest{LastEventId: tt.lastID}, col.send)
			if got := parseHeader(md); got != tt.want {
				t.Errorf("header = %+v, want %+v", got, tt.want)
			}
			testutil.WaitFor(ctx, t, "the replay", func() bool { return len(col.got()) >= len(tt.replay) })
			testutil.WaitFor(ctx, t, "the client to go idle", s.quiescent)
			if got := col.got(); !slices.Equal(got, tt.replay) {
				t.Errorf("replay after %q = %v, want %v", tt.lastID, got, tt.replay)
			}
			cancel()
			<-done
		})
	}
}

// proto5Size is what the window charges for one of window5's events.
func proto5Size() int {
	s, _ := New(Config{SigningKey: testKey})
	s.Dispatch(window5[0])
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.win.bytes
}

// TestResumeOverGRPC checks the header keys and the replay on the wire,
// and the bound on last_event_id.
func TestResumeOverGRPC(t *testing.T) {
	ctx := testContext(t)
	e := newEnv(t, Config{})
	for _, ev := range window5 {
		e.gw.Dispatch(ev)
	}
	c := e.dial(t)
	st, err := c.Subscribe(ctx, &gatewayv1.SubscribeRequest{UserId: "bob", LastEventId: "c3"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := st.Header()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := parseHeader(md), (headerOf{pushv1.StartResume, "", "c3"}); got != want {
		t.Errorf("header = %+v, want %+v", got, want)
	}
	if got := ids(recvN(t, st, 1)); !slices.Equal(got, []string{"c5"}) {
		t.Errorf("replay = %v, want [c5]", got)
	}

	long := strings.Repeat("x", MaxEventIDBytes+1)
	st, err = c.Subscribe(ctx, &gatewayv1.SubscribeRequest{LastEventId: long})
	if err == nil {
		_, err = st.Recv()
	}
	want := "last_event_id is 257 bytes, over the limit of 256 bytes"
	if s := status.Convert(err); s.Code() != codes.InvalidArgument || s.Message() != want {
		t.Errorf("Subscribe(last_event_id of 257 bytes) = %v, want InvalidArgument %q", err, want)
	}
}
