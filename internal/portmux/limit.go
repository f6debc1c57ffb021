package portmux

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// sweepEvery is how often a full limiter looks for closed connections.
const sweepEvery = 100 * time.Millisecond

// limiter caps the connections held at once. It cannot wrap the
// connections it counts, since a wrapped connection costs grpc-go a pinned
// read buffer; so it learns that a socket was closed by asking the socket
// itself (a closed fd refuses RawConn.Control), when it is full. Only
// connections that are not sockets are wrapped, to hear their Close.
type limiter struct {
	max int

	mu       sync.Mutex
	reserved int
	held     map[net.Conn]struct{}
	closed   bool
	freed    chan struct{} // a slot may be free: sweep now
	stop     chan struct{}
}

func newLimiter(n int) *limiter {
	return &limiter{max: n, held: make(map[net.Conn]struct{}), freed: make(chan struct{}, 1), stop: make(chan struct{})}
}

// reserve waits for a free slot, for the next Accept; it fails with
// net.ErrClosed once the limiter is closed.
func (l *limiter) reserve() error {
	var tick *time.Ticker
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return net.ErrClosed
		}
		if l.reserved+len(l.held) >= l.max {
			l.sweepLocked()
		}
		if l.reserved+len(l.held) < l.max {
			l.reserved++
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if tick == nil {
			tick = time.NewTicker(sweepEvery)
		}
		select {
		case <-l.freed:
		case <-tick.C:
		case <-l.stop:
		}
	}
}

// unreserve gives back a reservation that Accept did not use.
func (l *limiter) unreserve() {
	l.mu.Lock()
	l.reserved--
	l.mu.Unlock()
}

// hold turns the reservation into c's slot, kept until c is closed.
func (l *limiter) hold(c net.Conn) net.Conn {
	if _, ok := c.(syscall.Conn); !ok {
		c = &notifyConn{Conn: c, l: l}
	}
	l.mu.Lock()
	l.reserved--
	l.held[c] = struct{}{}
	l.mu.Unlock()
	return c
}

// sweepLocked forgets the connections that have been closed.
func (l *limiter) sweepLocked() {
	for c := range l.held {
		if isClosed(c) {
			delete(l.held, c)
		}
	}
}

func (l *limiter) release(c net.Conn) {
	l.mu.Lock()
	delete(l.held, c)
	l.mu.Unlock()
	select {
	case l.freed <- struct{}{}:
	default:
	}
}

func (l *limiter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
}

// isClosed reports whether c, a socket, has been closed. A connection that
// is not a socket is a notifyConn, released by its Close.
func isClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil
}

// notifyConn releases its slot when closed.
type notifyConn struct {
	net.Conn
	l    *limiter
	once sync.Once
}

func (c *notifyConn) Close() error {
	c.once.Do(func() { c.l.release(c) })
	return c.Conn.Close()
}
