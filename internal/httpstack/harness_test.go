package httpstack

import (
	"context"
	"crypto/ed25519"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	"galaxy/galaxyctl/proto/galaxy/gateway/v1/gatewayv1connect"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fakeGateway serves each stream as the gateway does, minus the fan-out:
// a header, then what the test sends on events, until the client goes, a
// send fails, or end is closed.
type fakeGateway struct {
	header metadata.MD
	events chan *gatewayv1.GatewayEvent
	end    chan struct{}
	active atomic.Int64
	// sendErr receives the error of a failed send.
	sendErr chan error
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{
		header:  metadata.Pairs("galaxy-start", "live"),
		events:  make(chan *gatewayv1.GatewayEvent),
		end:     make(chan struct{}),
		sendErr: make(chan error, 16),
	}
}

func (g *fakeGateway) Serve(req *gatewayv1.SubscribeRequest, st gateway.ClientStream) error {
	g.active.Add(1)
	defer g.active.Add(-1)
	if req.GetUserId() == "refuse" {
		return status.Error(codes.InvalidArgument, "user_id refused by the test")
	}
	if err := st.SendHeader(g.header); err != nil {
		return err
	}
	for {
		select {
		case <-st.Context().Done():
			return status.FromContextError(st.Context().Err()).Err()
		case <-g.end:
			return status.Error(codes.Unavailable, "gateway shutting down")
		case ev := <-g.events:
			if err := st.Send(ev); err != nil {
				g.sendErr <- err
				return err
			}
		}
	}
}

// testServer is the stack on a loopback port.
type testServer struct {
	gw   *fakeGateway
	srv  *http.Server
	url  string
	addr string
	done chan struct{}
}

func defaultLimits() Limits {
	return Limits{
		MaxRecvBytes: 1 << 20, MaxHeaderBytes: 16 << 10, MaxStreamsPerConn: 1024,
		HandshakeTimeout: 5 * time.Second, IdleTimeout: time.Minute,
		KeepaliveTime: 30 * time.Second, KeepaliveTimeout: 10 * time.Second, SendTimeout: 10 * time.Second,
	}
}

func startServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	gw := newFakeGateway()
	cfg := Config{Gateway: gw, PublicKey: pub, Health: health.NewServer(), Limits: defaultLimits()}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{gw: gw, srv: srv, url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), done: make(chan struct{})}
	go func() { defer close(s.done); _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		close(gw.end)
		_ = srv.Close()
		<-s.done
	})
	return s
}

// waitIdle waits until the gateway serves no stream: nothing held.
func (s *testServer) waitIdle(ctx context.Context, t *testing.T) {
	t.Helper()
	for s.gw.active.Load() != 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("gateway still serves %d streams", s.gw.active.Load())
		case <-time.After(time.Millisecond):
		}
	}
}

// httpClient returns a client for one HTTP version: "1.1" or "2" (h2c).
func httpClient(version string) *http.Client {
	var p http.Protocols
	if version == "2" {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

// connectClient returns a Gateway client for protocol (connect, grpc,
// grpc-web) and codec (proto, json).
func (s *testServer) connectClient(hc *http.Client, protocol, codec string) gatewayv1connect.GatewayClient {
	var opts []connect.ClientOption
	switch protocol {
	case "grpc":
		opts = append(opts, connect.WithGRPC())
	case "grpc-web":
		opts = append(opts, connect.WithGRPCWeb())
	}
	if codec == "json" {
		opts = append(opts, connect.WithProtoJSON())
	}
	return gatewayv1connect.NewGatewayClient(hc, s.url, opts...)
}

// send sends each event to the one stream open, in order.
func (s *testServer) send(ctx context.Context, t *testing.T, evs ...*gatewayv1.GatewayEvent) {
	t.Helper()
	for _, ev := range evs {
		select {
		case s.gw.events <- ev:
		case <-ctx.Done():
			t.Fatal("no stream took the event")
		}
	}
}
