package cli

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// offlineConn is a client connection that never connects. grpc-go checks
// outgoing metadata before it waits for a connection, so an RPC on it with
// a cancelled context fails with Internal exactly when grpc-go would refuse
// the metadata, and with Canceled otherwise.
func offlineConn(tb testing.TB) *grpc.ClientConn {
	tb.Helper()
	conn, err := grpc.NewClient("passthrough:///offline",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return nil, errors.New("offline") }))
	if err != nil {
		tb.Fatalf("grpc.NewClient() = %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// grpcRefuses returns grpc-go's complaint about md, or nil.
func grpcRefuses(conn *grpc.ClientConn, md metadata.MD) error {
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), md))
	cancel()
	err := conn.Invoke(ctx, "/galaxy.Test/Nothing", &emptypb.Empty{}, &emptypb.Empty{})
	if status.Code(err) == codes.Internal {
		return err
	}
	return nil
}

func TestParseHeaders(t *testing.T) {
	conn := offlineConn(t)
	tests := []struct {
		in      []string
		want    metadata.MD
		wantErr string
	}{
		{[]string{"x-team=push"}, metadata.Pairs("x-team", "push"), ""},
		{[]string{" X-Team = a=b "}, metadata.Pairs("x-team", " a=b "), ""},
		{[]string{"k=1", "K=2"}, metadata.MD{"k": {"1", "2"}}, ""},
		{[]string{"empty="}, metadata.Pairs("empty", ""), ""},
		{[]string{"trace-bin=\x00\xff"}, metadata.Pairs("trace-bin", "\x00\xff"), ""},
		{[]string{"novalue"}, nil, `--header "novalue": want key=value or key: value`},
		{[]string{"=v"}, nil, `--header "=v": want key=value or key: value`},
		{[]string{"a b=c"}, nil, `--header "a b=c": the key "a b" may only hold a-z, 0-9, '-', '_' and '.'`},
		{[]string{"k=caf\u00e9"}, nil, `--header "k=café": the value may only hold printable ASCII (use a key ending in -bin for binary values)`},
		{[]string{"k=a\nb"}, nil, "the value may only hold printable ASCII"},
		{[]string{"x-trace: 1"}, metadata.Pairs("x-trace", "1"), ""},
		{[]string{" X-Url :  http://a/b?c=d "}, metadata.Pairs("x-url", "http://a/b?c=d"), ""},
		{[]string{"k=v: w"}, metadata.Pairs("k", "v: w"), ""},
		{[]string{"k:"}, metadata.Pairs("k", ""), ""},
		{[]string{":authority=evil"}, nil, `--header ":authority=evil": want key=value or key: value`},
		{[]string{"grpc-timeout=1S"}, nil, `--header "grpc-timeout=1S": keys starting grpc- are reserved for gRPC itself`},
		{[]string{"content-type=text/plain"}, nil, `--header "content-type=text/plain": content-type is set by gRPC itself`},
		{[]string{"User-Agent=me"}, nil, "user-agent is set by gRPC itself"},
	}
	for _, tt := range tests {
		got, err := parseHeaders(tt.in)
		if tt.wantErr != "" {
			var ue *usageError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
				t.Errorf("parseHeaders(%q) = %v, %v; want a usage error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("parseHeaders(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		for k, v := range tt.want {
			if g := got.Get(k); strings.Join(g, "\x00") != strings.Join(v, "\x00") {
				t.Errorf("parseHeaders(%q)[%q] = %q, want %q", tt.in, k, g, v)
			}
		}
		if err := grpcRefuses(conn, got); err != nil {
			t.Errorf("parseHeaders(%q) = %v, which grpc-go refuses: %v", tt.in, got, err)
		}
	}
}

// FuzzParseHeaders checks that -H either is a usage error, or yields
// exactly the key (trimmed, lowercased) and value given, which grpc-go then
// sends: a header accepted at the prompt must not fail the RPC later.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{"x-team=push", " K = v=w ", "novalue", "=v", "a b=c", "k=é", "k-bin=\x00\xff", "grpc-timeout=1S", ":path=/x", "te=trailers", "x-trace: 1", " K : v=w ", "k=v:w", "k:\t"} {
		f.Add(s)
	}
	conn := offlineConn(f)
	f.Fuzz(func(t *testing.T, h string) {
		md, err := parseHeaders([]string{h})
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--header ") {
				t.Fatalf("parseHeaders(%q) error = %v, want a usage error naming --header", h, err)
			}
			return
		}
		// The first ':' or '=' splits; grpcurl's "key: value" form has
		// its value trimmed, key=value keeps it as given.
		i := strings.IndexAny(h, ":=")
		k, v := h[:i], h[i+1:]
		if h[i] == ':' {
			v = strings.TrimSpace(v)
		}
		key := strings.ToLower(strings.TrimSpace(k))
		if got := md.Get(key); len(md) != 1 || len(got) != 1 || got[0] != v {
			t.Fatalf("parseHeaders(%q) = %v, want {%q: [%q]}", h, md, key, v)
		}
		if err := grpcRefuses(conn, md); err != nil {
			t.Fatalf("parseHeaders(%q) accepted %v, which grpc-go refuses: %v", h, md, err)
		}
		if _, reserved := reservedHeaders[key]; reserved || strings.HasPrefix(key, "grpc-") {
			t.Fatalf("parseHeaders(%q) accepted %q, which grpc-go drops silently", h, key)
		}
	})
}
