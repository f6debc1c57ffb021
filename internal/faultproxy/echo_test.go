package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// echoServer echoes every connection back, with an optional prefix on each
// chunk so tests can tell two servers apart. It counts the bytes it
// received, which is how tests see what a black hole kept from it.
type echoServer struct {
	ln     net.Listener
	prefix string
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	received int
	changed  chan struct{}
}

func newEchoServer(t *testing.T, prefix string) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen = %v, want no error", err)
	}
	e := &echoServer{ln: ln, prefix: prefix, conns: make(map[net.Conn]struct{}), changed: make(chan struct{})}
	e.wg.Go(e.acceptLoop)
	t.Cleanup(e.close)
	return e
}

func (e *echoServer) addr() string { return e.ln.Addr().String() }

func (e *echoServer) acceptLoop() {
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[c] = struct{}{}
		e.accepted++
		e.notifyLocked()
		e.mu.Unlock()
		e.wg.Go(func() { e.serve(c) })
	}
}

func (e *echoServer) serve(c net.Conn) {
	defer func() {
		e.mu.Lock()
		delete(e.conns, c)
		e.notifyLocked()
		e.mu.Unlock()
		_ = c.Close()
	}()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			e.mu.Lock()
			e.received += n
			e.notifyLocked()
			e.mu.Unlock()
			if _, werr := c.Write(append([]byte(e.prefix), buf[:n]...)); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (e *echoServer) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// stats returns connections accepted and bytes received.
func (e *echoServer) stats() (accepted, received int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accepted, e.received
}

// waitOpen waits until exactly n connections are open.
func (e *echoServer) waitOpen(ctx context.Context, n int) error {
	for {
		e.mu.Lock()
		got, changed := len(e.conns), e.changed
		e.mu.Unlock()
		if got == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// closeConns closes the server's side of every open connection.
func (e *echoServer) closeConns() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.conns {
		_ = c.Close()
	}
}

func (e *echoServer) close() {
	_ = e.ln.Close()
	e.closeConns()
	e.wg.Wait()
}

// testContext is the deadline every test runs under.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startProxy starts a proxy to target and closes it when the test ends.
func startProxy(t *testing.T, ctx context.Context, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start(%+v) = %v, want no error", cfg, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// dial connects to addr with the test's deadline on every read and write.
func dial(t *testing.T, ctx context.Context, addr string) *net.TCPConn {
	t.Helper()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s = %v, want no error", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads back len(want) bytes.
func roundTrip(c net.Conn, msg, want string) (string, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, len(want))
	n, err := io.ReadFull(c, buf)
	return string(buf[:n]), err
}

// isReset reports whether err is what a reader sees on a reset or closed
// connection, as opposed to a timeout.
func isReset(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

// dialAndRead dials addr and reads one byte: for a connection the proxy
// resets at once, the reset may fail the dial itself or the read.
func dialAndRead(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	_, err = c.Read(make([]byte, 1))
	return err
}

// dialAndEcho dials addr and makes one round trip.
func dialAndEcho(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	_, err = roundTrip(c, "x", "x")
	return err
}
