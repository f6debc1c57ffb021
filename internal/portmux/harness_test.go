package portmux

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stack is a Router with both servers behind it, as serve runs them: a
// grpc-go server with the health service, and a net/http server whose
// handler says which stack answered.
type stack struct {
	r     *Router
	addr  string
	grpc  *grpc.Server
	http  *http.Server
	conns *connLog
	done  sync.WaitGroup
}

// connLog records the type of every connection grpc-go accepts.
type connLog struct {
	net.Listener
	mu    sync.Mutex
	types []string
}

func (l *connLog) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.types = append(l.types, typeName(c))
		l.mu.Unlock()
	}
	return c, err
}

func (l *connLog) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.types...)
}

func typeName(c net.Conn) string {
	switch c.(type) {
	case *net.TCPConn:
		return "*net.TCPConn"
	case *replayConn:
		return "*portmux.replayConn"
	default:
		return "other"
	}
}

// httpHandler answers "net/http <proto> tls=<bool>", and gRPC-shaped
// requests with a gRPC status, so gRPC clients routed here read an answer.
func httpHandler(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); len(ct) >= 16 && ct[:16] == "application/grpc" {
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		w.WriteHeader(http.StatusOK)
		w.Header().Set("Grpc-Status", "12")
		w.Header().Set("Grpc-Message", "served by net/http over "+r.Proto)
		return
	}
	tlsOn := "false"
	if r.TLS != nil {
		tlsOn = "true"
	}
	_, _ = w.Write([]byte("net/http " + r.Proto + " tls=" + tlsOn))
}

func startStack(t *testing.T, cfg Config) *stack {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{r: New(ln, cfg), addr: ln.Addr().String()}
	s.grpc = grpc.NewServer(grpc.Creds(insecure.NewCredentials()))
	healthpb.RegisterHealthServer(s.grpc, health.NewServer())
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	s.http = &http.Server{Handler: http.HandlerFunc(httpHandler), Protocols: &p, ReadHeaderTimeout: 5 * time.Second}
	s.conns = &connLog{Listener: s.r.GRPC()}
	s.done.Add(3)
	go func() { defer s.done.Done(); _ = s.r.Serve() }()
	go func() { defer s.done.Done(); _ = s.grpc.Serve(s.conns) }()
	go func() { defer s.done.Done(); _ = s.http.Serve(s.r.HTTP()) }()
	t.Cleanup(s.stop)
	return s
}

func (s *stack) stop() {
	_ = s.r.Close()
	s.grpc.Stop()
	_ = s.http.Close()
	s.done.Wait()
}

// grpcCheck calls the health service through a grpc-go client.
func (s *stack) grpcCheck(ctx context.Context, creds credentials.TransportCredentials) error {
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client pool
// that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
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
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
