package cli

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsStub serves a fresh self-signed certificate for 127.0.0.1 and returns
// the file of its CA.
func tlsStub(t *testing.T, s *stubServer) (*stubServer, string) {
	t.Helper()
	cert, pemBytes, err := selfSignedCert(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return newStubServer(t, s), ca
}

// TestClientTLS publishes over TLS: trusted through --cacert, unverified
// with --insecure-skip-verify (which warns), refused with a CA that did not
// sign the server's certificate.
func TestClientTLS(t *testing.T) {
	ps := &publishStub{failAt: -1}
	stub, ca := tlsStub(t, &stubServer{publish: ps.publish})
	_, otherCA := tlsStub(t, &stubServer{})
	tests := []struct {
		name       string
		args       []string
		wantErr    string
		wantErrOut string
	}{
		{"trusted CA", []string{"--cacert", ca}, "", ""},
		{"skip verify", []string{"--insecure-skip-verify"}, "", "warning: --insecure-skip-verify"},
		{"untrusted CA", []string{"--cacert", otherCA}, "the server's certificate failed verification", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--addr", "127.0.0.1:7999"}, tt.args...)
			r := runCommand(testContext(t), t, newPublishCmd, args, nil, func(ctx context.Context, o *publishOptions) error {
				o.client.dialer = stub.dialer
				return o.run(ctx)
			})
			if tt.wantErr == "" && r.err != nil || tt.wantErr != "" && (r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr)) {
				t.Fatalf("publish %v = %v, want error %q", tt.args, r.err, tt.wantErr)
			}
			if tt.wantErr == "" && !strings.HasPrefix(r.out.String(), "c") {
				t.Errorf("publish %v stdout = %q, want a cursor", tt.args, r.out)
			}
			if !strings.Contains(r.errOut.String(), tt.wantErrOut) {
				t.Errorf("publish %v stderr = %q, want %q", tt.args, r.errOut, tt.wantErrOut)
			}
		})
	}
}

// TestTailUntrustedEndsAtOnce: a certificate that fails verification fails
// every retry the same way, so tail ends with it instead of retrying.
func TestTailUntrustedEndsAtOnce(t *testing.T) {
	stub, _ := tlsStub(t, &stubServer{subscribe: pushThen(nil, nil, true, "c1")})
	_, otherCA := tlsStub(t, &stubServer{})
	for _, target := range []string{"backend", "gateway"} {
		r := runCommand(testContext(t), t, newTailCmd, []string{"--target", target, "--addr", "127.0.0.1:7999", "--cacert", otherCA}, nil,
			func(ctx context.Context, o *tailOptions) error {
				o.client.dialer = stub.dialer
				return o.run(ctx)
			})
		if r.err == nil || !strings.Contains(r.err.Error(), "the server's certificate failed verification") {
			t.Errorf("tail --target %s with an untrusted CA = %v, want it to end with the reason", target, r.err)
		}
	}
}
