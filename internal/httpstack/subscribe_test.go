package httpstack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

var heartbeat = &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}

// TestSubscribeEveryProtocol subscribes with connect-go's client in each
// protocol, codec and HTTP version, and checks the header, the events in
// order, and the gateway's status at the end.
func TestSubscribeEveryProtocol(t *testing.T) {
	for _, version := range []string{"1.1", "2"} {
		for _, protocol := range []string{"connect", "grpc-web", "grpc"} {
			for _, codec := range []string{"proto", "json"} {
				if protocol == "grpc" && version == "1.1" {
					continue // refused: TestBadInput
				}
				t.Run(fmt.Sprintf("%s/%s/HTTP%s", protocol, codec, version), func(t *testing.T) {
					ctx := testContext(t)
					s := startServer(t, nil)
					client := s.connectClient(httpClient(version), protocol, codec)
					st, err := client.Subscribe(ctx, connect.NewRequest(&gatewayv1.SubscribeRequest{UserId: "alice"}))
					if err != nil {
						t.Fatalf("Subscribe() = %v", err)
					}
					ev := &gatewayv1.GatewayEvent{EventType: "order.created", EventId: "c-1", UserId: "alice", Payload: []byte(`{"id":1}`), Signature: []byte{1, 2}}
					s.send(ctx, t, heartbeat, ev)
					for _, want := range []*gatewayv1.GatewayEvent{heartbeat, ev} {
						if !st.Receive() {
							t.Fatalf("Receive() = false, %v; want %v", st.Err(), want)
						}
						if !proto.Equal(st.Msg(), want) {
							t.Errorf("Receive() = %v, want %v", st.Msg(), want)
						}
					}
					if got := st.ResponseHeader().Get("Galaxy-Start"); got != "live" {
						t.Errorf("response header galaxy-start = %q, want live", got)
					}
					s.gw.end <- struct{}{}
					if st.Receive() {
						t.Fatalf("Receive() after the gateway ended = %v, want the end", st.Msg())
					}
					if code := connect.CodeOf(st.Err()); code != connect.CodeUnavailable || !strings.Contains(st.Err().Error(), "gateway shutting down") {
						t.Errorf("stream end = %v, want unavailable: gateway shutting down", st.Err())
					}
					_ = st.Close()
					s.waitIdle(ctx, t)
				})
			}
		}
	}
}

// rawSubscribe posts a Connect Subscribe on a raw HTTP/1.1 connection and
// returns the connection, a reader positioned at the response body's
// first chunk, and the response header, once it has arrived.
func rawSubscribe(ctx context.Context, t *testing.T, s *testServer, contentType string, extra string, msg []byte) (net.Conn, *bufio.Reader, rawResponse) {
	t.Helper()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	body := envelope(msg)
	fmt.Fprintf(c, "POST /galaxy.gateway.v1.Gateway/Subscribe HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n",
		s.addr, contentType, len(body), extra)
	_, _ = c.Write(body)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response header: %v", err)
	}
	// The body is read raw from br. Closing it drains it, so the
	// connection is closed first.
	t.Cleanup(func() { c.Close(); resp.Body.Close() })
	return c, br, rawResponse{resp.Status, resp.StatusCode, resp.Header, resp.TransferEncoding}
}

// rawResponse is a response's header, its body left on the connection.
type rawResponse struct {
	Status           string
	StatusCode       int
	Header           http.Header
	TransferEncoding []string
}

// envelope frames msg as one uncompressed message.
func envelope(msg []byte) []byte {
	b := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

// TestHeadersAtOnceOneChunkPerSend checks the wire on HTTP/1.1: the
// response header arrives before any message (a browser's fetch resolves
// on it), each send is exactly one chunk, and a client that accepts gzip
// still gets plain heartbeats.
func TestHeadersAtOnceOneChunkPerSend(t *testing.T) {
	ctx := testContext(t)
	s := startServer(t, nil)
	_, br, resp := rawSubscribe(ctx, t, s, "application/connect+json", "Connect-Protocol-Version: 1\r\nConnect-Accept-Encoding: gzip\r\n", []byte("{}"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Galaxy-Start") != "live" || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("response = %s %v, want 200 chunked with galaxy-start: live", resp.Status, resp.Header)
	}
	s.send(ctx, t, heartbeat)
	msg := []byte(`{"eventType":"gateway.heartbeat"}`)
	want := fmt.Sprintf("%x\r\n%s\r\n", len(msg)+5, envelope(msg))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != want {
		t.Fatalf("heartbeat on the wire = %q, %v; want one uncompressed chunk %q", got, err, want)
	}
	if br.Buffered() != 0 {
		t.Errorf("%d more bytes buffered after the heartbeat's chunk, want none", br.Buffered())
	}
}

// TestStalledClientReleased stops reading a stream and checks that the
// send times out, the stream ends, and nothing is held after.
func TestStalledClientReleased(t *testing.T) {
	ctx := testContext(t)
	s := startServer(t, func(c *Config) { c.Limits.SendTimeout = 200 * time.Millisecond })
	conn, _, _ := rawSubscribe(ctx, t, s, "application/connect+proto", "Connect-Protocol-Version: 1\r\n", nil)
	// Fill the socket buffers with events the client never reads.
	big := &gatewayv1.GatewayEvent{EventType: "big", Payload: bytes.Repeat([]byte("x"), 512<<10)}
	for {
		select {
		case s.gw.events <- big:
			continue
		case err := <-s.gw.sendErr:
			if !isTimeout(err) {
				t.Errorf("send to a client that reads nothing = %v, want a timeout", err)
			}
		case <-ctx.Done():
			t.Fatal("sends to a client that reads nothing never failed")
		}
		break
	}
	s.waitIdle(ctx, t)
	// The server closed the connection: reading drains it to its end.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Errorf("reading the stalled connection after the timeout = %v, want EOF", err)
	}
}

// racingGateway returns from Serve while its own goroutine keeps sending,
// as the gateway's drain and heartbeat goroutines may: those sends must
// neither write to a finished response (the race detector watches) nor
// block, and must fail once the handler is done.
type racingGateway struct{ after chan error }

func (g racingGateway) Serve(_ *gatewayv1.SubscribeRequest, st gateway.ClientStream) error {
	if err := st.SendHeader(nil); err != nil {
		return err
	}
	started := make(chan struct{})
	go func() {
		close(started)
		for {
			if err := st.Send(heartbeat); err != nil {
				g.after <- err
				return
			}
		}
	}()
	<-started
	return status.Error(codes.Unavailable, "gateway shutting down")
}

func TestSendAfterServeReturns(t *testing.T) {
	for _, version := range []string{"1.1", "2"} {
		t.Run("HTTP/"+version, func(t *testing.T) {
			ctx := testContext(t)
			g := racingGateway{after: make(chan error, 1)}
			s := startServer(t, func(c *Config) { c.Gateway = g })
			st, err := s.connectClient(httpClient(version), "connect", "proto").Subscribe(ctx, connect.NewRequest(&gatewayv1.SubscribeRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			for st.Receive() {
			}
			if code := connect.CodeOf(st.Err()); code != connect.CodeUnavailable {
				t.Errorf("stream end = %v, want unavailable", st.Err())
			}
			_ = st.Close()
			select {
			case err := <-g.after:
				if !errors.Is(err, errFinished) {
					t.Errorf("Send after Serve returned = %v, want %v", err, errFinished)
				}
			case <-ctx.Done():
				t.Fatal("the sender never stopped")
			}
		})
	}
}
