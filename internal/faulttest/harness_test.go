package faulttest

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/faultproxy"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Keepalive, as serve and tail configure it but faster, so that a
// black-holed connection is found in seconds.
const (
	// serverPingTime is the server's idle time before it pings: grpc-go's
	// floor for servers (a lower value is raised to it).
	serverPingTime = time.Second
	// clientPingTime is the client's idle time before it pings: grpc-go's
	// floor for clients is 10 s, and WithKeepaliveParams raises anything
	// lower to it (logging a warning), so it is the fastest a client can
	// find a dead connection by keepalive.
	clientPingTime = 10 * time.Second
	// pingTimeout is how long either side waits for a ping's answer.
	pingTimeout = 200 * time.Millisecond
)

// serverOptions lets clients ping as often as clientPingTime (MinTime must
// not exceed it, or the server would end their connections for pinging
// too often). Only the half-open scenario adds server pings
// (serverKeepalive): with a 200 ms answer deadline they end healthy
// connections when the machine is busy, which would make the other
// scenarios flaky for a reason they do not test.
var serverOptions = []grpc.ServerOption{
	grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: serverPingTime, PermitWithoutStream: true}),
}

// serverKeepalive makes the server ping a client silent for serverPingTime
// and close the connection without an answer within pingTimeout.
var serverKeepalive = grpc.KeepaliveParams(keepalive.ServerParameters{Time: serverPingTime, Timeout: pingTimeout})

// connectBackoff replaces grpc-go's connection backoff (1 s base, 120 s
// cap): the channel's own reconnect delay would otherwise dwarf the
// subscriber's after a refused dial.
var connectBackoff = grpc.ConnectParams{
	Backoff:           grpcbackoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond},
	MinConnectTimeout: 2 * time.Second,
}

// quickBackoff is the subscribers' backoff in most scenarios.
var quickBackoff = backoff.Config{Base: 5 * time.Millisecond, Multiplier: 2, Jitter: 0.2, Max: 100 * time.Millisecond}

// testContext is the deadline a scenario runs under.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// backendServer is a backend.Server behind a real gRPC server on loopback.
type backendServer struct {
	srv    *backend.Server
	addr   string
	gs     *grpc.Server
	served chan struct{}
	once   sync.Once
}

// startBackend serves a backend for cfg with serverOptions and opts.
func startBackend(t *testing.T, cfg backend.Config, opts ...grpc.ServerOption) *backendServer {
	t.Helper()
	srv, err := backend.New(cfg)
	if err != nil {
		t.Fatalf("backend.New(%+v) = %v, want no error", cfg, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen = %v, want no error", err)
	}
	b := &backendServer{srv: srv, addr: ln.Addr().String(), gs: grpc.NewServer(append(slices.Clone(serverOptions), opts...)...), served: make(chan struct{})}
	pushv1.RegisterPushServer(b.gs, srv)
	go func() {
		defer close(b.served)
		_ = b.gs.Serve(ln)
	}()
	t.Cleanup(b.stop)
	return b
}

// stop kills the backend as a crash would: every connection is closed at
// once, with no status sent on the streams. It is idempotent.
func (b *backendServer) stop() {
	b.once.Do(func() {
		b.gs.Stop()
		<-b.served
		_ = b.srv.Close()
	})
}

// publish appends n events and returns their cursors.
func (b *backendServer) publish(n int) []string {
	cursors := make([]string, n)
	for i := range cursors {
		cursors[i] = b.srv.Append("fault.test", "u1", []byte{byte(i)})
	}
	return cursors
}

func startProxy(t *testing.T, ctx context.Context, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(ctx, faultproxy.Config{Target: target})
	if err != nil {
		t.Fatalf("faultproxy.Start(%s) = %v, want no error", target, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// dial opens a client connection to addr with the scenarios' keepalive and
// connection backoff, and opts.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(connectBackoff),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: clientPingTime, Timeout: pingTimeout, PermitWithoutStream: true}),
	}, opts...)...)
	if err != nil {
		t.Fatalf("grpc.NewClient(%s) = %v, want no error", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
