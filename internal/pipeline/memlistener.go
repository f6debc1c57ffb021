package pipeline

import (
	"context"
	"net"
	"sync"
)

// memListener is an in-process net.Listener: DialContext hands Accept one
// end of a net.Pipe. It links the gateway to the backend with RoleAll
// through a real gRPC stream, so the gateway consumes exactly as it would
// across the network, without a port anyone else can reach. net.Pipe is
// unbuffered, which suits gRPC: each side always has a goroutine reading.
type memListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// memAddr is the address of every memListener and its connections.
type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "in-process" }

// Accept waits for the next DialContext, or returns net.ErrClosed once the
// listener is closed.
func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and DialContext fail from now on; connections already
// made stay open until their ends close. It is idempotent.
func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the in-process address.
func (l *memListener) Addr() net.Addr { return memAddr{} }

// DialContext connects to the listener: it returns once Accept has taken
// the other end, or fails when ctx ends or the listener is closed first.
// Its signature is grpc.WithContextDialer's.
func (l *memListener) DialContext(ctx context.Context, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		err := &net.OpError{Op: "dial", Net: "mem", Addr: memAddr{}, Err: net.ErrClosed}
		// net.Pipe's Close cannot fail.
		_, _ = client.Close(), server.Close()
		return nil, err
	case <-ctx.Done():
		_, _ = client.Close(), server.Close()
		return nil, ctx.Err()
	}
}
