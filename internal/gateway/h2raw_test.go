package gateway

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// rawClient is an HTTP/2 client written with x/net/http2's Framer, which
// behaves as an attacker may: any SETTINGS, any headers, no WINDOW_UPDATE
// ever, while answering PINGs so keepalive is satisfied.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	addr string

	wmu  sync.Mutex // writes
	fr   *http2.Framer
	hbuf bytes.Buffer
	enc  *hpack.Encoder

	mu      sync.Mutex
	resets  map[uint32]http2.ErrCode // RST_STREAM by stream
	headers map[uint32]int           // HEADERS frames by stream
	goAway  bool
	done    chan struct{} // closed when the read loop ends (the server closed)
}

// dialRaw connects to addr and sends the client preface and settings.
func dialRaw(t *testing.T, addr string, settings ...http2.Setting) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	c := &rawClient{t: t, conn: conn, addr: addr, resets: map[uint32]http2.ErrCode{}, headers: map[uint32]int{}, done: make(chan struct{})}
	c.fr = http2.NewFramer(conn, conn)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	t.Cleanup(func() { conn.Close(); <-c.done })
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatalf("write preface: %v", err)
	}
	if err := c.fr.WriteSettings(settings...); err != nil {
		t.Fatalf("write settings: %v", err)
	}
	go c.readLoop()
	return c
}

// subscribe opens stream id with a Gateway.Subscribe request (an empty
// SubscribeRequest), plus extra header fields.
func (c *rawClient) subscribe(id uint32, extra ...hpack.HeaderField) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.hbuf.Reset()
	fields := append([]hpack.HeaderField{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: "http"},
		{Name: ":path", Value: "/galaxy.gateway.v1.Gateway/Subscribe"},
		{Name: ":authority", Value: c.addr},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "te", Value: "trailers"},
	}, extra...)
	for _, f := range fields {
		if err := c.enc.WriteField(f); err != nil {
			return err
		}
	}
	block := c.hbuf.Bytes()
	const frag = 16384
	first := block[:min(frag, len(block))]
	rest := block[len(first):]
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndHeaders: len(rest) == 0}); err != nil {
		return err
	}
	for len(rest) > 0 {
		n := min(frag, len(rest))
		if err := c.fr.WriteContinuation(id, n == len(rest), rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
	}
	// The gRPC message: not compressed, zero bytes long.
	return c.fr.WriteData(id, true, make([]byte, 5))
}

// readLoop answers PINGs and SETTINGS and records what matters, until the
// connection fails.
func (c *rawClient) readLoop() {
	defer close(c.done)
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.PingFrame:
			if !f.IsAck() {
				c.wmu.Lock()
				_ = c.fr.WritePing(true, f.Data)
				c.wmu.Unlock()
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.wmu.Lock()
				_ = c.fr.WriteSettingsAck()
				c.wmu.Unlock()
			}
		case *http2.RSTStreamFrame:
			c.mu.Lock()
			c.resets[f.StreamID] = f.ErrCode
			c.mu.Unlock()
		case *http2.MetaHeadersFrame:
			c.mu.Lock()
			c.headers[f.StreamID]++
			c.mu.Unlock()
		case *http2.GoAwayFrame:
			c.mu.Lock()
			c.goAway = true
			c.mu.Unlock()
		}
	}
}

// state returns what the server has done to stream id: its RST_STREAM
// code (ok false without one) and how many HEADERS frames it sent.
func (c *rawClient) state(id uint32) (rst http2.ErrCode, reset bool, headers int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rst, reset = c.resets[id]
	return rst, reset, c.headers[id]
}

// closed reports whether the server has closed the connection.
func (c *rawClient) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitClosed waits until the server closes the connection or d passes.
func (c *rawClient) waitClosed(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}
