package cli

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestDescribeRPCError(t *testing.T) {
	const unknownCA = `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`
	tests := []struct {
		name string
		err  error
		want string
		tls  bool
	}{
		{"wrapped shutdown", fmt.Errorf("subscribe push: %w", status.Error(codes.Unavailable, "backend shutting down")),
			"Unavailable: backend shutting down", false},
		{"connection refused", status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`),
			`Unavailable: dial tcp 127.0.0.1:1: connect: connection refused (is the server running, and is --addr right?)`, false},
		{"the status nested in the error", fmt.Errorf("tail: %w", status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp: lookup nohost: no such host"`)),
			`Unavailable: dial tcp: lookup nohost: no such host (is the server running, and is --addr right?)`, false},
		{"plaintext to a TLS server", status.Error(codes.Unavailable, `connection error: desc = "error reading server preface: EOF"`),
			`Unavailable: error reading server preface: EOF (is the server serving TLS? then connect with --tls or --cacert FILE)`, false},
		{"untrusted certificate", fmt.Errorf("subscribe push: %w", status.Error(codes.Unavailable, unknownCA)),
			"Unavailable: the server's certificate is not trusted (x509: certificate signed by unknown authority): pass the CA that signed it with --cacert FILE (serve --tls-self-signed names it as tls_ca_file in its --ready-file), or skip the check with --insecure-skip-verify", true},
		{"wrong host", status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate is valid for localhost, not example.com"`),
			"Unavailable: the server's certificate does not name the host of --addr (x509: certificate is valid for localhost, not example.com): connect by a name it holds", true},
		{"expired", status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z"`),
			"Unavailable: the server's certificate failed verification (x509: certificate has expired or is not yet valid: current time 2030-01-01T00:00:00Z is after 2029-01-01T00:00:00Z)", true},
		{"TLS to a plaintext server", status.Error(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`),
			"Unavailable: the server does not serve TLS: drop --tls, --cacert and --insecure-skip-verify", true},
		{"unimplemented", status.Error(codes.Unimplemented, "unknown service galaxy.gateway.v1.Gateway"),
			"Unimplemented: unknown service galaxy.gateway.v1.Gateway (is --addr a galaxy server of the right role?)", false},
		{"payload too big", status.Error(codes.InvalidArgument, "payload is 65537 bytes, over the limit of 65536 bytes"),
			"InvalidArgument: payload is 65537 bytes, over the limit of 65536 bytes", false},
		{"not a status", errors.New("plain"), "plain", false},
	}
	for _, tt := range tests {
		got := describeRPCError(tt.err)
		if got.Error() != tt.want {
			t.Errorf("describeRPCError(%s) = %q, want %q", tt.name, got, tt.want)
		}
		if c, want := status.Code(got), status.Code(tt.err); c != want {
			t.Errorf("status.Code(describeRPCError(%s)) = %v, want %v", tt.name, c, want)
		}
		if isTLSFailure(tt.err) != tt.tls {
			t.Errorf("isTLSFailure(%s) = %v, want %v", tt.name, !tt.tls, tt.tls)
		}
	}
}
