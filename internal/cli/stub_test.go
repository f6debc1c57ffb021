package cli

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// stubServer is a Push and Gateway server on bufconn whose handlers are
// fields, so each test scripts the server it needs, in grpc-go's test
// style. A nil handler answers Unimplemented.
type stubServer struct {
	pushv1.UnimplementedPushServer
	gatewayv1.UnimplementedGatewayServer

	publish   func(ctx context.Context, req *pushv1.PublishRequest) (*pushv1.PublishResponse, error)
	subscribe func(call int, req *pushv1.GatewaySubscribeRequest, st grpc.ServerStreamingServer[pushv1.PushEvent]) error
	gateway   func(call int, req *gatewayv1.SubscribeRequest, st grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error

	// tls, if set, is served instead of plaintext.
	tls *tls.Config

	lis *bufconn.Listener

	mu    sync.Mutex
	calls map[string]int
}

// newStubServer serves s on bufconn until the test ends.
func newStubServer(t *testing.T, s *stubServer) *stubServer {
	t.Helper()
	s.lis = bufconn.Listen(1 << 20)
	s.calls = map[string]int{}
	var opts []grpc.ServerOption
	if s.tls != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(s.tls)))
	}
	srv := grpc.NewServer(opts...)
	pushv1.RegisterPushServer(srv, s)
	gatewayv1.RegisterGatewayServer(srv, s)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(s.lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-served
	})
	return s
}

// dialer connects to the stub whatever the address, as a dial seam.
func (s *stubServer) dialer(ctx context.Context, _ string) (net.Conn, error) {
	return s.lis.DialContext(ctx)
}

// conn opens a client connection to the stub, closed when the test ends.
func (s *stubServer) conn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///stub",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(s.dialer))
	if err != nil {
		t.Fatalf("grpc.NewClient(stub) = %v", err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func (s *stubServer) call(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.calls[method]
	s.calls[method]++
	return n
}

// count returns how many calls of method the stub received.
func (s *stubServer) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *stubServer) Publish(ctx context.Context, req *pushv1.PublishRequest) (*pushv1.PublishResponse, error) {
	s.call("Publish")
	if s.publish == nil {
		return s.UnimplementedPushServer.Publish(ctx, req)
	}
	return s.publish(ctx, req)
}

func (s *stubServer) SubscribePush(req *pushv1.GatewaySubscribeRequest, st grpc.ServerStreamingServer[pushv1.PushEvent]) error {
	n := s.call("SubscribePush")
	if s.subscribe == nil {
		return s.UnimplementedPushServer.SubscribePush(req, st)
	}
	return s.subscribe(n, req, st)
}

func (s *stubServer) Subscribe(req *gatewayv1.SubscribeRequest, st grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	n := s.call("Subscribe")
	if s.gateway == nil {
		return s.UnimplementedGatewayServer.Subscribe(req, st)
	}
	return s.gateway(n, req, st)
}
