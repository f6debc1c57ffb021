package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// start starts a pipeline for cfg on 127.0.0.1:0 and shuts it down, with
// a short drain, when the test ends.
func start(t *testing.T, cfg Config) *Pipeline {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	p, err := Start(testContext(t), cfg)
	if err != nil {
		t.Fatalf("Start(%+v) = %v, want nil", cfg, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatalf("grpc.NewClient(%s) = %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// servingStatus asks the health service about one service.
func servingStatus(ctx context.Context, conn *grpc.ClientConn, service string) healthpb.HealthCheckResponse_ServingStatus {
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN
	}
	return resp.GetStatus()
}

// TestRoles starts each role, checks what it serves and reports, and
// shuts it down.
func TestRoles(t *testing.T) {
	backendRole := start(t, Config{Role: RoleBackend})
	tests := []struct {
		cfg         Config
		push, gw    bool
		wantKey     bool
		wantMetrics bool
	}{
		{Config{Role: RoleAll, MetricsListen: "127.0.0.1:0"}, true, true, true, true},
		{Config{Role: RoleBackend}, true, false, false, false},
		{Config{Role: RoleGateway, Backend: backendRole.Info().Addr}, false, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Role, func(t *testing.T) {
			ctx := testContext(t)
			p := start(t, tt.cfg)
			info := p.Info()
			if info.Role != tt.cfg.Role || info.TLS || !strings.HasPrefix(info.Addr, "127.0.0.1:") || info.Addr == "127.0.0.1:0" {
				t.Errorf("Info() = %+v, want role %s on a bound 127.0.0.1 port, no TLS", info, tt.cfg.Role)
			}
			if (info.PublicKey != nil) != tt.wantKey || (info.MetricsAddr != "") != tt.wantMetrics {
				t.Errorf("Info() = %+v, want a public key %v, metrics %v", info, tt.wantKey, tt.wantMetrics)
			}
			conn := dial(t, info.Addr)
			for service, want := range map[string]bool{
				pushv1.Push_ServiceDesc.ServiceName:       tt.push,
				gatewayv1.Gateway_ServiceDesc.ServiceName: tt.gw,
			} {
				got := servingStatus(ctx, conn, service) == healthpb.HealthCheckResponse_SERVING
				if got != want {
					t.Errorf("%s health %s SERVING = %v, want %v", tt.cfg.Role, service, got, want)
				}
			}
			if err := p.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown() = %v, want nil", err)
			}
			if err := p.Shutdown(ctx); err != nil {
				t.Errorf("second Shutdown() = %v, want nil", err)
			}
			if st := servingStatus(ctx, conn, ""); st == healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health after Shutdown = %v, want the server gone", st)
			}
		})
	}
}

// TestRoleAllLinksInProcess publishes to a RoleAll pipeline as soon as it
// is started: the event reaches a gateway client through the in-process
// link, signed.
func TestRoleAllLinksInProcess(t *testing.T) {
	ctx := testContext(t)
	p := start(t, Config{Role: RoleAll, Heartbeat: time.Hour})
	conn := dial(t, p.Info().Addr)
	select {
	case <-p.Subscribed():
	default:
		t.Fatal("Subscribed() not closed when Start returned with RoleAll")
	}
	st, err := gatewayv1.NewGatewayClient(conn).Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err == nil {
		_, err = st.Header()
	}
	if err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	resp, err := pushv1.NewPushClient(conn).Publish(ctx, &pushv1.PublishRequest{EventType: "first", UserId: "u1"})
	if err != nil {
		t.Fatalf("Publish() = %v", err)
	}
	ev, err := st.Recv()
	if err != nil || ev.GetEventType() != "first" || ev.GetEventId() != resp.GetCursor() || len(ev.GetSignature()) == 0 {
		t.Errorf("gateway Recv() = %v, %v; want the signed event %s", ev, err, resp.GetCursor())
	}
}

// TestSyntheticPublisher reads the backend from the start of its ring.
func TestSyntheticPublisher(t *testing.T) {
	ctx := testContext(t)
	p := start(t, Config{Role: RoleBackend, PublishRate: 1000})
	st, err := pushv1.NewPushClient(dial(t, p.Info().Addr)).SubscribePush(ctx,
		&pushv1.GatewaySubscribeRequest{GatewayClientId: "test", FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]bool{}
	for len(users) < 3 {
		ev, err := st.Recv()
		if err != nil {
			t.Fatalf("Recv() = %v, want synthetic events", err)
		}
		if ev.GetEventType() != "synthetic.tick" || !strings.Contains(string(ev.GetPayload()), `"seq":`) {
			t.Fatalf("Recv() = %v, want a synthetic.tick with a seq", ev)
		}
		users[ev.GetUserId()] = true
	}
}

func TestStartConfigErrors(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{Listen: "127.0.0.1:0", Role: "edge"}, "Role"},
		{Config{Role: RoleAll}, "Listen"},
		{Config{Listen: "127.0.0.1:0", Role: RoleGateway}, "Backend"},
		{Config{Listen: "127.0.0.1:0", Role: RoleAll, Backend: "127.0.0.1:1"}, "Backend"},
		{Config{Listen: "127.0.0.1:0", Role: RoleGateway, Backend: "127.0.0.1:1", PublishRate: 1}, "PublishRate"},
		{Config{Listen: "127.0.0.1:0", Role: RoleBackend, PublishRate: -1}, "PublishRate"},
	}
	for _, tt := range tests {
		p, err := Start(testContext(t), tt.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("Start(%+v) = %v, %v, want a *ConfigError for %s", tt.cfg, p, err, tt.field)
		}
	}
}

// TestStartAddrErrors takes the address a pipeline wants, and checks that
// Start names the field and leaves nothing running.
func TestStartAddrErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tt := range []struct {
		cfg   Config
		field string
	}{
		{Config{Role: RoleAll, Listen: busy.Addr().String()}, "Listen"},
		{Config{Role: RoleAll, Listen: "127.0.0.1:0", MetricsListen: busy.Addr().String()}, "MetricsListen"},
		{Config{Role: RoleGateway, Listen: "127.0.0.1:0", Backend: "bad\x00addr"}, "Backend"},
	} {
		p, err := Start(testContext(t), tt.cfg)
		var ae *AddrError
		if !errors.As(err, &ae) || ae.Field != tt.field || !strings.HasPrefix(err.Error(), tt.field+" ") {
			t.Errorf("Start(%+v) = %v, %v, want an *AddrError for %s", tt.cfg, p, err, tt.field)
		}
	}
}

// TestStartFailsWhenSubscriberGivesUp: with RoleAll, a gateway id the
// backend refuses (over 256 bytes) is a terminal failure before ready.
func TestStartFailsWhenSubscriberGivesUp(t *testing.T) {
	p, err := Start(testContext(t), Config{Role: RoleAll, Listen: "127.0.0.1:0", GatewayID: strings.Repeat("g", 300)})
	if err == nil || !strings.Contains(err.Error(), "gateway subscriber") || !strings.Contains(err.Error(), "InvalidArgument") {
		t.Errorf("Start(RoleAll, 300-byte gateway id) = %v, %v, want the subscriber's InvalidArgument", p, err)
	}
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	p, err := Start(ctx, Config{Role: RoleAll, Listen: "127.0.0.1:0"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Start(cancelled ctx) = %v, %v, want %v", p, err, context.Canceled)
	}
}

// TestFailed runs a gateway against a server that has no Push service: the
// gateway starts (a remote backend may be down), then reports the
// subscriber's terminal failure on Failed.
func TestFailed(t *testing.T) {
	ctx := testContext(t)
	empty := grpc.NewServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = empty.Serve(ln) }()
	defer func() { empty.Stop(); <-served }()

	p := start(t, Config{Role: RoleGateway, Backend: ln.Addr().String()})
	select {
	case err := <-p.Failed():
		if !strings.Contains(err.Error(), "gateway subscriber") || !strings.Contains(err.Error(), "Unimplemented") {
			t.Errorf("Failed() = %v, want the subscriber's Unimplemented", err)
		}
	case <-ctx.Done():
		t.Fatal("Failed() received nothing")
	}
	select {
	case <-p.Subscribed():
		t.Error("Subscribed() closed for a gateway that never subscribed")
	default:
	}
}

// TestShutdownDrainCut holds a gateway stream whose sends are blocked on
// flow control: its end cannot be delivered, so the drain must be cut at
// the deadline, reported as ErrDrainCut.
func TestShutdownDrainCut(t *testing.T) {
	ctx := testContext(t)
	p := start(t, Config{Role: RoleAll, MetricsListen: "127.0.0.1:0"})
	stuck := gatewayv1.NewGatewayClient(dial(t, p.Info().Addr, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10)))
	st, err := stuck.Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err == nil {
		_, err = st.Header()
	}
	if err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	push := pushv1.NewPushClient(dial(t, p.Info().Addr))
	for range 3 {
		if _, err := push.Publish(ctx, &pushv1.PublishRequest{EventType: "big", Payload: make([]byte, 64<<10)}); err != nil {
			t.Fatalf("Publish(64 KiB) = %v", err)
		}
	}
	// Two sends complete (the window, then the server's write quota); the
	// third blocks.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for n := 0.0; n != 2; <-tick.C {
		if n, err = scrapeCounter(ctx, p.Info().MetricsAddr, "galaxy_gateway_events_sent_total"); err != nil || n > 2 {
			t.Fatalf("galaxy_gateway_events_sent_total = %v, %v, want 2", n, err)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = p.Shutdown(sctx) }()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrDrainCut) {
			t.Errorf("Shutdown() call %d with a stuck stream = %v, want %v", i, err, ErrDrainCut)
		}
	}
}

// scrapeCounter reads one unlabelled counter from a Prometheus endpoint.
func scrapeCounter(ctx context.Context, addr, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /metrics", name)
}
