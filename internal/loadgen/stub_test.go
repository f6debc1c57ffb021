package loadgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"maps"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// stubGateway is a stand-in for the gateway: like it, it sends an empty
// response header as soon as a stream arrives, then a heartbeat every
// interval and nothing else. With endAfter set, a stream ends with endErr
// after that many heartbeats. A stream for which hold returns true gets
// nothing, not even its header, until the client goes away: a server that
// never opens it.
type stubGateway struct {
	gatewayv1.UnimplementedGatewayServer
	interval time.Duration
	endAfter int
	endErr   error
	hold     func(user string) bool
	// burst, if set, sends every stream's heartbeats on its schedule
	// rather than every interval from the stream's start.
	burst *burstSchedule
	// onEnd, if set, runs when a client ends its stream.
	onEnd func()

	mu    sync.Mutex
	peers map[string]int // source IP -> streams
	users map[string]bool
}

func (s *stubGateway) Subscribe(req *gatewayv1.SubscribeRequest, stream grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	if p, ok := peer.FromContext(stream.Context()); ok {
		host, _, _ := net.SplitHostPort(p.Addr.String())
		s.mu.Lock()
		s.peers[host]++
		s.users[req.GetUserId()] = true
		s.mu.Unlock()
	}
	if s.hold != nil && s.hold(req.GetUserId()) {
		<-stream.Context().Done()
		return nil
	}
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	user := req.GetUserId()
	t := time.NewTimer(s.wait(user))
	defer t.Stop()
	hb := &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}
	for sent := 0; ; sent++ {
		if s.endAfter > 0 && sent == s.endAfter {
			return s.endErr
		}
		select {
		case <-stream.Context().Done():
			if s.onEnd != nil {
				s.onEnd()
			}
			return nil
		case <-t.C:
			if err := stream.Send(hb); err != nil {
				return err
			}
			t.Reset(s.wait(user))
		}
	}
}

// wait is the time to user's next heartbeat.
func (s *stubGateway) wait(user string) time.Duration {
	if s.burst != nil {
		return time.Until(s.burst.next(time.Now(), user))
	}
	return s.interval
}

func (s *stubGateway) seen() (peers map[string]int, users int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.peers), len(s.users)
}

// startStub serves a stubGateway on 127.0.0.1:0 until the test ends.
func startStub(t *testing.T, interval time.Duration, opts ...grpc.ServerOption) string {
	t.Helper()
	addr, _ := serveStub(t, &stubGateway{interval: interval}, opts...)
	return addr
}

func serveStub(t *testing.T, gw *stubGateway, opts ...grpc.ServerOption) (string, *stubGateway) {
	t.Helper()
	gw.peers, gw.users = map[string]int{}, map[string]bool{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	gatewayv1.RegisterGatewayServer(srv, gw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String(), gw
}

// testTLS returns server credentials with a fresh self-signed certificate
// for 127.0.0.1 and a client config that trusts it.
func testTLS(t *testing.T) (grpc.ServerOption, *tls.Config) {
	t.Helper()
	server, client := testCert(t)
	return grpc.Creds(credentials.NewTLS(server)), client
}

// testCert returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and a client config that trusts it.
func testCert(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bench test"},
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
	return server, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
}
