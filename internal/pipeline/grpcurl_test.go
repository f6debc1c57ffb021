package pipeline

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestGRPCurl drives serve with grpcurl, as the README shows, through the
// router, in plaintext and over TLS: reflection, health and a Subscribe
// that receives heartbeats. grpcurl waits for the server's SETTINGS
// before its first request, so this also covers the router's nudge.
// It skips when grpcurl is not on PATH (go install
// github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3; .ci/run does).
func TestGRPCurl(t *testing.T) {
	bin, err := exec.LookPath("grpcurl")
	if err != nil {
		t.Skip("grpcurl is not on PATH (go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3)")
	}
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "TLS"}[useTLS], func(t *testing.T) {
			cfg := Config{Role: RoleAll, Heartbeat: 200 * time.Millisecond}
			flag := "-plaintext"
			if useTLS {
				cfg.TLS, flag = testTLS(t), "-insecure"
			}
			p := start(t, cfg)
			addr := p.Info().Addr
			grpcurl := func(args ...string) string {
				t.Helper()
				ctx, cancel := context.WithTimeout(testContext(t), 10*time.Second)
				defer cancel()
				out, err := exec.CommandContext(ctx, bin, append([]string{flag}, args...)...).CombinedOutput()
				if err != nil && !strings.Contains(strings.Join(args, " "), "-max-time") {
					t.Fatalf("grpcurl %v: %v\n%s", args, err, out)
				}
				return string(out)
			}
			list := grpcurl(addr, "list")
			for _, svc := range []string{"galaxy.gateway.v1.Gateway", "galaxy.push.v1.Push", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
				if !strings.Contains(list, svc) {
					t.Errorf("grpcurl list = %q, want %s", list, svc)
				}
			}
			if got := grpcurl(addr, "describe", "galaxy.gateway.v1.Gateway"); !strings.Contains(got, "rpc Subscribe") {
				t.Errorf("grpcurl describe Gateway = %q, want rpc Subscribe", got)
			}
			if got := grpcurl(addr, "grpc.health.v1.Health/Check"); !strings.Contains(got, `"SERVING"`) {
				t.Errorf("grpcurl Health/Check = %q, want SERVING", got)
			}
			got := grpcurl("-max-time", "1", "-d", "{}", addr, "galaxy.gateway.v1.Gateway/Subscribe")
			if !strings.Contains(got, `"eventType": "gateway.heartbeat"`) {
				t.Errorf("grpcurl Subscribe for 1 s = %q, want heartbeats", got)
			}
		})
	}
}

// testTLS is a self-signed certificate for 127.0.0.1.
func testTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
