package pipeline

import (
	"bufio"
	"bytes"
	"context"
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
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The two stacks, by the content type that routes a connection to each.
var stacks = []struct {
	name        string
	contentType string
	// headerRefusal is how the stack refuses a header list over 16 KiB.
	headerRefusal string
}{
	{"grpc-go", "application/grpc", `status "" grpc-status "" rst FRAME_SIZE_ERROR goaway ""`},
	// gRPC with the JSON codec is served by connect-go on net/http.
	{"net/http", "application/grpc+json", `status "431" grpc-status "" rst NO_ERROR goaway ""`},
}

const healthCheck = "/grpc.health.v1.Health/Check"

// TestLimitsEachStack checks the README's limits on each stack: what each
// advertises, and a header list or a message over the limit refused.
func TestLimitsEachStack(t *testing.T) {
	p := start(t, Config{Role: RoleAll, Heartbeat: time.Hour})
	addr := p.Info().Addr
	// 40 headers of 512 bytes: a list over 16 KiB of values each small.
	// (One value over the limit is a COMPRESSION_ERROR on both stacks:
	// the HPACK decoder refuses a string longer than the whole list.)
	var bigHeader [][2]string
	for i := range 40 {
		bigHeader = append(bigHeader, [2]string{fmt.Sprintf("x-big-%d", i), strings.Repeat("h", 512)})
	}
	hugeMessage := []byte{0, 0, 0x20, 0, 0} // declares 2 MiB
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			ctx := testContext(t)
			ok := rawH2(ctx, t, addr, healthCheck, st.contentType, nil, envelope(st.contentType, "{}"))
			if ok.grpc != "0" {
				t.Fatalf("health Check over %s = %s, want grpc-status 0", st.name, ok)
			}
			if got := ok.settings[http2.SettingMaxConcurrentStreams]; got != DefaultMaxStreamsPerConn {
				t.Errorf("%s SETTINGS_MAX_CONCURRENT_STREAMS = %d, want %d", st.name, got, DefaultMaxStreamsPerConn)
			}
			// net/http advertises its limit plus 320 bytes of slack.
			if got := ok.settings[http2.SettingMaxHeaderListSize]; got < 16<<10 || got > 16<<10+320 {
				t.Errorf("%s SETTINGS_MAX_HEADER_LIST_SIZE = %d, want 16 KiB", st.name, got)
			}
			if r := rawH2(ctx, t, addr, healthCheck, st.contentType, bigHeader, envelope(st.contentType, "{}")); r.String() != st.headerRefusal {
				t.Errorf("a 20 KiB header list over %s = %s, want %s", st.name, r, st.headerRefusal)
			}
			if r := rawH2(ctx, t, addr, healthCheck, st.contentType, nil, hugeMessage); r.grpc != "8" {
				t.Errorf("a 2 MiB message over %s = %s, want grpc-status 8 (ResourceExhausted)", st.name, r)
			}
		})
	}
	t.Run("net/http HTTP/1.1", func(t *testing.T) {
		ctx := testContext(t)
		for _, tc := range []struct {
			name   string
			header string
			body   []byte
			want   int
		}{
			{"header over 16 KiB", "X-Big: " + strings.Repeat("h", 20<<10) + "\r\n", []byte("{}"), http.StatusRequestHeaderFieldsTooLarge},
			{"message over 1 MiB", "", bytes.Repeat([]byte(" "), 2<<20), http.StatusTooManyRequests},
		} {
			if got := rawHTTP1(ctx, t, addr, "POST", healthCheck, "Content-Type: application/json\r\n"+tc.header, tc.body); got != tc.want {
				t.Errorf("%s over HTTP/1.1 = %d, want %d", tc.name, got, tc.want)
			}
		}
	})
}

// envelope is an empty request message in the codec of contentType.
func envelope(contentType, json string) []byte {
	msg := []byte{}
	if strings.HasSuffix(contentType, "json") {
		msg = []byte(json)
	}
	return append([]byte{0, 0, 0, 0, byte(len(msg))}, msg...)
}

// rawHTTP1 sends one HTTP/1.1 request on a connection of its own and
// returns the response's status code.
func rawHTTP1(ctx context.Context, t *testing.T, addr, method, path, header string, body []byte) int {
	t.Helper()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	go func() {
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n%s\r\n", method, path, addr, len(body), header)
		_, _ = c.Write(body)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHandshakeTimeoutEachStack checks that connections that say too
// little are closed after the handshake timeout, on the way to either
// stack: before routing (silent, TLS, a preface without a request) and,
// for HTTP/1.1, net/http's wait for a request's headers.
func TestHandshakeTimeoutEachStack(t *testing.T) {
	limits := DefaultLimits()
	limits.HandshakeTimeout = 300 * time.Millisecond
	p := start(t, Config{Role: RoleAll, Heartbeat: time.Hour, Limits: limits})
	addr := p.Info().Addr
	for _, tc := range []struct{ name, send string }{
		{"silent", ""},
		{"HTTP/2 preface, no request (either stack)", http2.ClientPreface + "\x00\x00\x00\x04\x00\x00\x00\x00\x00"},
		{"HTTP/1.1 headers never finished (net/http)", "GET / HTTP/1.1\r\nHost: x\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _ = io.WriteString(c, tc.send)
			start := time.Now()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.Copy(io.Discard, c)
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("reading after sending %q = %v, want the server to close", tc.send, err)
			}
			if el := time.Since(start); el < 250*time.Millisecond || el > 3*time.Second {
				t.Errorf("closed after %s, want the handshake timeout of 300ms", el)
			}
		})
	}
}

// TestMaxConnectionsBothStacks holds one connection on each stack with
// MaxConnections 2: a third, for either stack, waits until one closes.
func TestMaxConnectionsBothStacks(t *testing.T) {
	limits := DefaultLimits()
	limits.MaxConnections = 2
	p := start(t, Config{Role: RoleAll, Heartbeat: time.Hour, Limits: limits})
	addr := p.Info().Addr
	ctx := testContext(t)

	grpcConn := dial(t, addr)
	if servingStatus(ctx, grpcConn, "") != healthpb.HealthCheckResponse_SERVING {
		t.Fatal("health over grpc-go: not SERVING")
	}
	keepAlive := &http.Client{Transport: &http.Transport{}}
	get := func(c *http.Client) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}
	if err := get(keepAlive); err != nil {
		t.Fatalf("GET / over HTTP/1.1: %v", err)
	}

	third := make(chan error, 1)
	go func() { third <- get(&http.Client{Transport: &http.Transport{}}) }()
	select {
	case err := <-third:
		t.Fatalf("a third connection was served (%v) while two hold the limit", err)
	case <-time.After(300 * time.Millisecond):
		// Negative check: nothing to wait on but time.
	}
	grpcConn.Close()
	if err := <-third; err != nil {
		t.Errorf("third connection after the gRPC one closed = %v, want served", err)
	}

	// Now HTTP holds the slots (the keep-alive and the third's); a gRPC
	// connection waits for the keep-alive to close.
	late := dial(t, addr)
	waitCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := healthpb.NewHealthClient(late).Check(waitCtx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err == nil {
		t.Fatal("a gRPC connection was served while HTTP/1.1 connections hold the limit")
	}
	keepAlive.CloseIdleConnections()
	if servingStatus(ctx, late, "") != healthpb.HealthCheckResponse_SERVING {
		t.Error("gRPC connection after an HTTP/1.1 one closed: not served")
	}
}

// TestStreamsPerConnectionEachStack opens one stream more than the limit
// on one HTTP/2 connection, all at once, as a client that ignores
// SETTINGS_MAX_CONCURRENT_STREAMS would: each stack serves the first 1024
// and refuses the last with RST_STREAM REFUSED_STREAM. (Browsers and Go's
// clients queue the extra stream instead.)
func TestStreamsPerConnectionEachStack(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2 × 1,025 streams")
	}
	p := start(t, Config{Role: RoleAll, Heartbeat: time.Hour})
	for _, st := range []struct{ name, contentType string }{
		{"grpc-go", "application/grpc"},
		{"net/http", "application/connect+proto"},
	} {
		t.Run(st.name, func(t *testing.T) {
			ctx := testContext(t)
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", p.Info().Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			fr := http2.NewFramer(c, c)
			fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
			var hb bytes.Buffer
			enc := hpack.NewEncoder(&hb)
			go func() {
				_, _ = io.WriteString(c, http2.ClientPreface)
				_ = fr.WriteSettings()
				for i := range DefaultMaxStreamsPerConn + 1 {
					hb.Reset()
					for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", "x"},
						{":path", "/galaxy.gateway.v1.Gateway/Subscribe"}, {"content-type", st.contentType}, {"te", "trailers"}} {
						_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
					}
					id := uint32(2*i + 1)
					_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true})
					_ = fr.WriteData(id, true, []byte{0, 0, 0, 0, 0})
				}
			}()
			last := uint32(2*DefaultMaxStreamsPerConn + 1)
			served, refused := 0, http2.ErrCode(0)
			for served < DefaultMaxStreamsPerConn || refused == 0 {
				f, err := fr.ReadFrame()
				if err != nil {
					t.Fatalf("after %d streams served, refused %v: %v", served, refused, err)
				}
				switch f := f.(type) {
				case *http2.MetaHeadersFrame:
					if f.PseudoValue("status") == "200" && f.StreamID != last {
						served++
					}
				case *http2.RSTStreamFrame:
					if f.StreamID != last {
						t.Fatalf("stream %d reset with %v, want only stream %d refused", f.StreamID, f.ErrCode, last)
					}
					if refused == 0 { // then STREAM_CLOSED for its DATA
						refused = f.ErrCode
					}
				}
			}
			if refused != http2.ErrCodeRefusedStream {
				t.Errorf("stream %d over the limit reset with %v, want REFUSED_STREAM", last, refused)
			}
		})
	}
}
