package gateway

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/clock/clocktest"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// stubGateway serves each Subscribe with the next scripted handler and
// records the requests.
type stubGateway struct {
	gatewayv1.UnimplementedGatewayServer
	mu     sync.Mutex
	reqs   []*gatewayv1.SubscribeRequest
	script []func(grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error
}

func (g *stubGateway) Subscribe(req *gatewayv1.SubscribeRequest, st grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	g.mu.Lock()
	i := len(g.reqs)
	g.reqs = append(g.reqs, req)
	g.mu.Unlock()
	if i >= len(g.script) {
		<-st.Context().Done()
		return st.Context().Err()
	}
	return g.script[i](st)
}

func (g *stubGateway) lastIDs() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, r := range g.reqs {
		out = append(out, r.GetLastEventId())
	}
	return out
}

// sendThen sends a header and events, then ends with err.
func sendThen(md metadata.MD, err error, events ...string) func(grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	return func(st grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
		if err := st.SendHeader(md); err != nil {
			return err
		}
		for _, id := range events {
			ev := &gatewayv1.GatewayEvent{EventType: "t", EventId: id}
			if id == "" {
				ev = heartbeatEvent
			}
			if err := st.Send(ev); err != nil {
				return err
			}
		}
		return err
	}
}

func startStubGateway(t *testing.T, g *stubGateway) gatewayv1.GatewayClient {
	t.Helper()
	srv := grpc.NewServer()
	gatewayv1.RegisterGatewayServer(srv, g)
	lis := bufconn.Listen(1 << 20)
	served := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(served) }()
	conn, err := grpc.NewClient("passthrough:///stub",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		<-served
	})
	return gatewayv1.NewGatewayClient(conn)
}

// noWaitClock is a fake clock on which every backoff wait passes as soon
// as it is armed.
func noWaitClock(t *testing.T) *clocktest.Fake {
	t.Helper()
	c := clocktest.New(fakeEpoch)
	ctx, cancel := context.WithCancel(context.Background())
	wait := c.Drive(ctx, nil)
	t.Cleanup(func() { cancel(); wait() })
	return c
}

// TestFollowResumes: each reconnect carries the last event accepted, or
// the resume cursor of a stream that broke before its first event; a
// reset is reported; heartbeats reach the handler without moving the id.
func TestFollowResumes(t *testing.T) {
	ctx := testContext(t)
	unavailable := status.Error(codes.Unavailable, "cut")
	g := &stubGateway{script: []func(grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error{
		sendThen(metadata.Pairs(pushv1.MetadataStart, pushv1.StartResume, pushv1.MetadataResumeCursor, "e0"), unavailable, "e1", "", "e2"),
		sendThen(metadata.Pairs(pushv1.MetadataStart, pushv1.StartResume, pushv1.MetadataResumeCursor, "e2"), unavailable),
		sendThen(metadata.Pairs(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataMissed, pushv1.MissedUnknown), nil, "e9"),
	}}
	client := startStubGateway(t, g)
	var mu sync.Mutex
	var got []string
	var starts []FollowStart
	runCtx, stop := context.WithCancel(ctx)
	f, err := NewFollower(FollowConfig{
		Client:      client,
		UserID:      "alice",
		LastEventID: "e0",
		Clock:       noWaitClock(t),
		Handler: func(_ context.Context, ev *gatewayv1.GatewayEvent) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ev.GetEventId())
			if ev.GetEventId() == "e9" {
				stop()
			}
			return nil
		},
		OnStart: func(fs FollowStart) { mu.Lock(); starts = append(starts, fs); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Run(runCtx); err != nil {
		t.Fatalf("Run() = %v, want nil after the handler cancelled", err)
	}
	if want := []string{"e1", "", "e2", "e9"}; !slices.Equal(got, want) {
		t.Errorf("handler saw %q, want %q", got, want)
	}
	if want := []string{"e0", "e2", "e2"}; !slices.Equal(g.lastIDs()[:3], want) {
		t.Errorf("requests' last_event_id = %q, want %q", g.lastIDs(), want)
	}
	if f.LastEventID() != "e9" {
		t.Errorf("LastEventID() = %q, want e9", f.LastEventID())
	}
	want := []FollowStart{
		{Start: pushv1.StartResume, Missed: -1, LastEventID: "e0", Attempt: 0},
		{Start: pushv1.StartResume, Missed: -1, LastEventID: "e2", Attempt: 1},
		{Start: pushv1.StartReset, Missed: -1, LastEventID: "e2", Attempt: 2},
	}
	if !slices.Equal(starts, want) {
		t.Errorf("starts = %+v, want %+v", starts, want)
	}
}

// TestFollowEnds: what ends Run with an error.
func TestFollowEnds(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		script  func(grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error
		cfg     func(*FollowConfig)
		wantErr func(error) bool
	}{
		{"terminal code", sendThen(metadata.MD{}, status.Error(codes.InvalidArgument, "bad")), nil,
			func(err error) bool { return status.Code(err) == codes.InvalidArgument }},
		{"no reconnect", sendThen(metadata.MD{}, status.Error(codes.Unavailable, "cut")), func(c *FollowConfig) { c.NoReconnect = true },
			func(err error) bool { return status.Code(err) == codes.Unavailable }},
		{"gateway closed, no reconnect", sendThen(metadata.MD{}, nil), func(c *FollowConfig) { c.NoReconnect = true },
			func(err error) bool { return errors.Is(err, ErrGatewayClosed) }},
		{"handler error", sendThen(metadata.MD{}, nil, "e1"), func(c *FollowConfig) {
			c.Handler = func(context.Context, *gatewayv1.GatewayEvent) error { return boom }
		}, func(err error) bool { return errors.Is(err, boom) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &stubGateway{script: []func(grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error{tt.script}}
			cfg := FollowConfig{Client: startStubGateway(t, g), Clock: noWaitClock(t),
				Handler: func(context.Context, *gatewayv1.GatewayEvent) error { return nil }}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			f, err := NewFollower(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Run(testContext(t)); !tt.wantErr(err) {
				t.Errorf("Run() = %v, want the %s error", err, tt.name)
			}
		})
	}
	if _, err := NewFollower(FollowConfig{}); err == nil {
		t.Errorf("NewFollower(empty) = nil error, want one naming the client")
	}
	if _, err := NewFollower(FollowConfig{Client: startStubGateway(t, &stubGateway{}), Handler: func(context.Context, *gatewayv1.GatewayEvent) error { return nil },
		Backoff: backoff.Config{Base: -1}}); err == nil {
		t.Errorf("NewFollower(bad backoff) = nil error, want one")
	}
}
