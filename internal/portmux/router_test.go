package portmux

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"galaxy/galaxyctl/internal/testutil"
)

// jsonCodec lets a grpc-go client send application/grpc+json, which the
// router must give to net/http.
type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)   { return protojson.Marshal(v.(proto.Message)) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return protojson.Unmarshal(b, v.(proto.Message)) }
func (jsonCodec) Name() string                    { return "json" }
func init()                                       { encoding.RegisterCodec(jsonCodec{}) }

// h2cClient speaks HTTP/2 with prior knowledge, as connect-go's and
// Chromium's clients do: HEADERS at once, without waiting for SETTINGS.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

func tlsClient(pool *x509.CertPool, h2 bool) *http.Client {
	var p http.Protocols
	if h2 {
		p.SetHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	return &http.Client{Transport: &http.Transport{Protocols: &p, TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func post(ctx context.Context, c *http.Client, url, contentType string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(""))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if g := resp.Trailer.Get("Grpc-Status"); g != "" {
		return fmt.Sprintf("%s grpc-status=%s %s", resp.Proto, g, resp.Trailer.Get("Grpc-Message")), nil
	}
	if g := resp.Header.Get("Grpc-Status"); g != "" {
		return fmt.Sprintf("%s grpc-status=%s", resp.Proto, g), nil
	}
	return string(b), nil
}

// TestRoutesPlaintext sends each kind of client to a plaintext router,
// peeking and replaying, and checks which stack answered and that grpc-go
// got the raw socket when the router peeked.
func TestRoutesPlaintext(t *testing.T) {
	for _, noPeek := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoPeek=%v", noPeek), func(t *testing.T) {
			ctx := testContext(t)
			s := startStack(t, Config{NoPeek: noPeek})

			// grpc-go waits for the server's SETTINGS: the router must nudge.
			if err := s.grpcCheck(ctx, insecure.NewCredentials()); err != nil {
				t.Fatalf("grpc-go health Check through the router = %v, want nil", err)
			}
			wantConn := "*net.TCPConn"
			if noPeek {
				wantConn = "*portmux.replayConn"
			}
			if got := s.conns.seen(); len(got) != 1 || got[0] != wantConn {
				t.Errorf("grpc-go accepted %v, want [%s]", got, wantConn)
			}

			base := "http://" + s.addr
			cases := []struct {
				name   string
				client *http.Client
				ct     string
				want   string
			}{
				{"HTTP/1.1 page", http.DefaultClient, "text/plain", "net/http HTTP/1.1 tls=false"},
				{"h2c Connect", h2cClient(), "application/connect+json", "net/http HTTP/2.0 tls=false"},
				// grpc-go answers a request for a method it does not have.
				{"h2c gRPC with HEADERS at once", h2cClient(), "application/grpc", "HTTP/2.0 grpc-status=12"},
				{"h2c gRPC with a JSON codec", h2cClient(), "application/grpc+json", "HTTP/2.0 grpc-status=12 served by net/http over HTTP/2.0"},
			}
			for _, tc := range cases {
				got, err := post(ctx, tc.client, base+"/pkg.Svc/Method", tc.ct)
				if err != nil || got != tc.want {
					t.Errorf("POST %s (%s) = %q, %v; want %q", tc.ct, tc.name, got, err, tc.want)
				}
			}
			st := s.r.Stats()
			if st.GRPC != 2 || st.HTTP != 3 || st.Nudged != 1 || st.Failed != 0 {
				t.Errorf("Stats() = %+v, want GRPC 2, HTTP 3, Nudged 1, Failed 0", st)
			}
		})
	}
}

// TestNudgedToNetHTTP sends a grpc-go client (which waits for SETTINGS) to
// net/http: the router's SETTINGS are acked, and net/http must not see
// that ACK, which it would answer with GOAWAY PROTOCOL_ERROR.
func TestNudgedToNetHTTP(t *testing.T) {
	ctx := testContext(t)
	s := startStack(t, Config{})
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype("json")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	for i := range 3 { // later calls ride the same connection
		_, err = client.Check(ctx, &healthpb.HealthCheckRequest{})
		if st := status.Convert(err); st.Code() != codes.Unimplemented || st.Message() != "served by net/http over HTTP/2.0" {
			t.Fatalf("Check #%d with application/grpc+json = %v, want Unimplemented from net/http", i, err)
		}
	}
	if st := s.r.Stats(); st.HTTP != 1 || st.Nudged != 1 {
		t.Errorf("Stats() = %+v, want HTTP 1 and Nudged 1", st)
	}
}

// TestRoutesTLS terminates TLS with ALPN and routes as in plaintext.
func TestRoutesTLS(t *testing.T) {
	ctx := testContext(t)
	srvTLS, pool := selfSigned(t)
	s := startStack(t, Config{TLS: srvTLS})
	if err := s.grpcCheck(ctx, credentials.NewTLS(&tls.Config{RootCAs: pool})); err != nil {
		t.Fatalf("grpc-go health Check over TLS = %v, want nil", err)
	}
	base := "https://" + s.addr
	for _, tc := range []struct {
		h2   bool
		want string
	}{
		{false, "net/http HTTP/1.1 tls=true"},
		// HTTP/2 reaches net/http decrypted, as prior knowledge.
		{true, "net/http HTTP/2.0 tls=false"},
	} {
		if got, err := post(ctx, tlsClient(pool, tc.h2), base+"/", "text/plain"); err != nil || got != tc.want {
			t.Errorf("POST over TLS, h2=%v = %q, %v; want %q", tc.h2, got, err, tc.want)
		}
	}
	if st := s.r.Stats(); st.GRPC != 1 || st.HTTP != 2 {
		t.Errorf("Stats() = %+v, want GRPC 1, HTTP 2", st)
	}
}

// TestHTTPVersionsRefused leaves one HTTP version out and checks that its
// clients get a message naming the flag.
func TestHTTPVersionsRefused(t *testing.T) {
	ctx := testContext(t)
	t.Run("no HTTP/1.1", func(t *testing.T) {
		s := startStack(t, Config{DisableHTTP1: true})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusHTTPVersionNotSupported || string(body) != http1Refused {
			t.Errorf("GET over HTTP/1.1 = %s %q, want 505 %q", resp.Status, body, http1Refused)
		}
		if got, err := post(ctx, h2cClient(), "http://"+s.addr+"/", "text/plain"); err != nil || got != "net/http HTTP/2.0 tls=false" {
			t.Errorf("h2c POST = %q, %v; want it served", got, err)
		}
	})
	t.Run("no HTTP/2", func(t *testing.T) {
		s := startStack(t, Config{DisableHTTP2: true})
		if got := rawGoAway(ctx, t, s.addr); got != "HTTP_1_1_REQUIRED "+http2Refused {
			t.Errorf("h2c connection got GOAWAY %q, want HTTP_1_1_REQUIRED %q", got, http2Refused)
		}
		if err := s.grpcCheck(ctx, insecure.NewCredentials()); status.Code(err) != codes.Unavailable {
			t.Errorf("grpc-go Check = %v, want Unavailable", err)
		}
		if st := s.r.Stats(); st.Refused < 2 || st.GRPC != 0 || st.HTTP != 0 {
			t.Errorf("Stats() = %+v, want a refusal per connection and none served", st)
		}
	})
	t.Run("TLS without h2", func(t *testing.T) {
		srvTLS, pool := selfSigned(t)
		s := startStack(t, Config{TLS: srvTLS, DisableHTTP2: true})
		if got, err := post(ctx, tlsClient(pool, true), "https://"+s.addr+"/", "text/plain"); err == nil {
			t.Errorf("h2-only client against ALPN http/1.1 = %q, want an ALPN failure", got)
		}
		// A client that offers both falls back to HTTP/1.1.
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetHTTP2(true)
		both := &http.Client{Transport: &http.Transport{Protocols: &p, TLSClientConfig: &tls.Config{RootCAs: pool}}}
		if got, err := post(ctx, both, "https://"+s.addr+"/", "text/plain"); err != nil || got != "net/http HTTP/1.1 tls=true" {
			t.Errorf("client offering h2 and http/1.1 = %q, %v; want HTTP/1.1", got, err)
		}
	})
}

// TestHandshakeTimeout checks that a socket that says too little is closed
// after the handshake timeout, and counted as failed.
func TestHandshakeTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		send string
		tls  bool
	}{
		{"silent", "", false},
		{"half a preface", clientPreface[:10], false},
		{"preface and no HEADERS", clientPreface + "\x00\x00\x00\x04\x00\x00\x00\x00\x00", false},
		{"silent TLS", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			cfg := Config{HandshakeTimeout: 200 * time.Millisecond, SettingsDelay: time.Hour}
			if tc.tls {
				cfg.TLS, _ = selfSigned(t)
			}
			s := startStack(t, cfg)
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			// Unread input makes the close a reset.
			n, err := io.Copy(io.Discard, c)
			if err != nil && !errors.Is(err, syscall.ECONNRESET) || n != 0 {
				t.Errorf("read after sending %q = %d bytes, %v; want the server to close at once", tc.send, n, err)
			}
			if el := time.Since(start); el < 150*time.Millisecond {
				t.Errorf("closed after %s, want the handshake timeout of 200ms", el)
			}
			// The TLS handshake's deadline closes the socket before the
			// router counts the failure: wait for the count.
			testutil.WaitFor(ctx, t, "the failure counted", func() bool { return s.r.Stats().Failed == 1 })
		})
	}
}

// TestMaxConns holds the one slot with a connection and checks that the
// next one is served only once the first is closed, by whichever stack.
func TestMaxConns(t *testing.T) {
	for _, first := range []string{"grpc", "http"} {
		t.Run(first, func(t *testing.T) {
			ctx := testContext(t)
			s := startStack(t, Config{MaxConns: 1})
			var closeFirst func()
			if first == "grpc" {
				conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
					t.Fatal(err)
				}
				closeFirst = func() { conn.Close() }
			} else {
				c := h2cClient()
				if _, err := post(ctx, c, "http://"+s.addr+"/", "text/plain"); err != nil {
					t.Fatal(err)
				}
				closeFirst = c.CloseIdleConnections
			}
			second := make(chan error, 1)
			go func() {
				_, err := post(ctx, &http.Client{Transport: &http.Transport{}}, "http://"+s.addr+"/", "text/plain")
				second <- err
			}()
			select {
			case err := <-second:
				t.Fatalf("second connection served while the first holds the only slot: %v", err)
			case <-time.After(300 * time.Millisecond):
				// Negative check: nothing to wait on but time.
			}
			closeFirst()
			select {
			case err := <-second:
				if err != nil {
					t.Errorf("second connection after the first closed = %v, want served", err)
				}
			case <-ctx.Done():
				t.Fatal("second connection never served after the first closed")
			}
		})
	}
}

// TestAckFilter feeds the filter every split of a stream that holds the
// ACK to drop between other frames, and checks what it passes.
func TestAckFilter(t *testing.T) {
	settings := []byte{0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100}
	ack := []byte{0, 0, 0, 4, 1, 0, 0, 0, 0}
	// A DATA frame whose payload looks like an ACK must pass whole.
	data := append([]byte{0, 0, 9, 0, 0, 0, 0, 0, 1}, ack...)
	in := bytes.Join([][]byte{[]byte(clientPreface), settings, data, ack, settings, ack}, nil)
	want := bytes.Join([][]byte{[]byte(clientPreface), settings, data, settings, ack}, nil)
	for chunk := 1; chunk <= len(in); chunk++ {
		a := &ackFilter{Conn: &chunkConn{data: in, chunk: chunk}, skip: len(clientPreface)}
		got, err := io.ReadAll(a)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ackFilter reading %d bytes at a time = %x, %v; want %x", chunk, got, err, want)
		}
	}
}

// chunkConn reads data chunk bytes at a time, then EOF.
type chunkConn struct {
	net.Conn
	data  []byte
	chunk int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.data[:min(c.chunk, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

// rawGoAway opens an HTTP/2 connection with a request and returns the
// GOAWAY it gets: its code and debug data.
func rawGoAway(ctx context.Context, t *testing.T, addr string) string {
	t.Helper()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fr := http2.NewFramer(c, c)
	_, _ = io.WriteString(c, clientPreface)
	_ = fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", addr}, {":path", "/x"}, {"content-type", "application/grpc"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return "no GOAWAY: " + err.Error()
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			return ga.ErrCode.String() + " " + string(ga.DebugData())
		}
	}
}
