package lean

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// gateway is what the test servers do per stream: send the response
// header at once, then a heartbeat every interval; after endAfter
// heartbeats (if set) end with Unavailable. refuse, if set, fails the
// stream before its header.
type gateway struct {
	interval time.Duration
	endAfter int
	refuse   error
	hold     bool // never answer
}

var heartbeat = &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}

var errShutdown = errors.New("gateway shutting down")

func (g *gateway) serve(ctx context.Context, header func() error, send func(*gatewayv1.GatewayEvent) error) error {
	if g.hold {
		<-ctx.Done()
		return nil
	}
	if g.refuse != nil {
		return g.refuse
	}
	if err := header(); err != nil {
		return err
	}
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for sent := 0; ; sent++ {
		if g.endAfter > 0 && sent == g.endAfter {
			return status.Error(codes.Unavailable, errShutdown.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := send(heartbeat); err != nil {
				return err
			}
		}
	}
}

// grpcGateway serves g with grpc-go.
type grpcGateway struct {
	gatewayv1.UnimplementedGatewayServer
	g *gateway
}

func (s grpcGateway) Subscribe(_ *gatewayv1.SubscribeRequest, st grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	return s.g.serve(st.Context(), func() error { return st.SendHeader(metadata.MD{}) }, st.Send)
}

// connectSubscribe serves g with connect-go: Connect, gRPC-Web and gRPC,
// proto and JSON, as the gateway will.
func connectSubscribe(g *gateway) http.Handler {
	h := connect.NewServerStreamHandler(SubscribePath,
		func(ctx context.Context, _ *connect.Request[gatewayv1.SubscribeRequest], st *connect.ServerStream[gatewayv1.GatewayEvent]) error {
			err := g.serve(ctx, func() error { return st.Send(nil) }, st.Send)
			if s, ok := status.FromError(err); ok && err != nil {
				return connect.NewError(connect.Code(s.Code()), errors.New(s.Message()))
			}
			return err
		})
	mux := http.NewServeMux()
	mux.Handle(SubscribePath, h)
	return mux
}

// startGRPC serves g with grpc-go on 127.0.0.1:0, with TLS when tlsOn.
func startGRPC(t *testing.T, g *gateway, tlsOn bool) (addr string, client *tls.Config) {
	t.Helper()
	var opts []grpc.ServerOption
	if tlsOn {
		var server *tls.Config
		server, client = testTLS(t)
		opts = append(opts, grpc.Creds(credentials.NewTLS(server)))
	}
	lis := listen(t)
	srv := grpc.NewServer(opts...)
	gatewayv1.RegisterGatewayServer(srv, grpcGateway{g: g})
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String(), client
}

// startConnect serves g with connect-go on net/http: HTTP/1.1 and h2c in
// plaintext; with TLS, ALPN h2 and http/1.1.
func startConnect(t *testing.T, g *gateway, tlsOn bool) (addr string, client *tls.Config) {
	t.Helper()
	srv := &http.Server{Handler: connectSubscribe(g), ReadHeaderTimeout: 5 * time.Second}
	var protos http.Protocols
	protos.SetHTTP1(true)
	lis := listen(t)
	if tlsOn {
		var server *tls.Config
		server, client = testTLS(t)
		protos.SetHTTP2(true)
		server.NextProtos = []string{"h2", "http/1.1"}
		lis = tls.NewListener(lis, server)
	} else {
		protos.SetUnencryptedHTTP2(true)
	}
	srv.Protocols = &protos
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return lis.Addr().String(), client
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return lis
}

// testTLS returns a server config with a fresh self-signed certificate
// for 127.0.0.1 and a client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lean test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return server, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13, ServerName: "127.0.0.1"}
}
