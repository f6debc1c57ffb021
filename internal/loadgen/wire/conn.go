package wire

import (
	"net"
	"sync"
	"sync/atomic"
)

// Feeder is a decoder of one direction: H2Decoder, H1Decoder or
// TLSDecoder.
type Feeder interface {
	Feed(p []byte)
}

// Counter feeds every byte read from a connection to In and every byte
// written to Out, holding Mu while it does. Connections may share one Mu
// (and the stats their decoders add to): a reader that takes Mu then sees
// each read or write either wholly counted or not at all, which keeps
// bytes, frames and heartbeats of a window consistent with each other.
//
// Each direction must be fed by one goroutine at a time. Counter holds no
// connection, so an engine that does its own I/O (an event loop on raw
// file descriptors) reports its reads and writes to one directly; Conn
// does it for a net.Conn.
type Counter struct {
	mu      *sync.Mutex
	in, out Feeder

	// read and written count bytes as the syscalls return, before the
	// decoders take Mu, so TCP_INFO can be compared with them per socket.
	read, written atomic.Uint64
	// io is odd while an engine's read or write syscall is between its
	// start and its counting (BeginIO, EndIO): the kernel may already
	// show bytes the counters do not yet.
	io atomic.Uint64
}

// BeginIO marks the start of a read or write syscall whose bytes the
// engine reports to c (Received, Sent) before it calls EndIO. Engines that
// make their syscalls themselves (an event loop) bracket each one, so
// that Paired never pairs a kernel reading with counters that lag it.
func (c *Counter) BeginIO() { c.io.Add(1) }

// EndIO marks the end of the syscall BeginIO started, its bytes counted.
func (c *Counter) EndIO() { c.io.Add(1) }

// Paired calls kernel (a TCP_INFO reading of the same socket) between two
// readings of the totals, and returns the later one. stable reports that
// no syscall was between its start and its counting at any point, and
// that none was counted in between: the kernel's figures and the totals
// then describe the same instant.
func (c *Counter) Paired(kernel func()) (read, written uint64, stable bool) {
	s0 := c.io.Load()
	r0, w0 := c.Totals()
	kernel()
	r1, w1 := c.Totals()
	s1 := c.io.Load()
	return r1, w1, s0 == s1 && s0%2 == 0 && r0 == r1 && w0 == w1
}

// NewCounter returns a Counter that feeds in and out under mu.
func NewCounter(mu *sync.Mutex, in, out Feeder) *Counter {
	return &Counter{mu: mu, in: in, out: out}
}

// Received counts and decodes bytes read from the connection.
func (c *Counter) Received(p []byte) {
	if len(p) == 0 {
		return
	}
	c.read.Add(uint64(len(p)))
	c.mu.Lock()
	c.in.Feed(p)
	c.mu.Unlock()
}

// Sent counts and decodes bytes written to the connection.
func (c *Counter) Sent(p []byte) {
	if len(p) == 0 {
		return
	}
	c.written.Add(uint64(len(p)))
	c.mu.Lock()
	c.out.Feed(p)
	c.mu.Unlock()
}

// Totals returns the bytes read and written so far.
func (c *Counter) Totals() (read, written uint64) { return c.read.Load(), c.written.Load() }

// Conn is a net.Conn whose reads and writes go through a Counter.
type Conn struct {
	net.Conn
	*Counter

	closeOnce sync.Once
	onClose   func()
}

// NewConn wraps c. onClose, if set, runs once, before c is closed, so it
// can still read socket state (TCP_INFO).
func NewConn(c net.Conn, mu *sync.Mutex, in, out Feeder, onClose func()) *Conn {
	return &Conn{Conn: c, Counter: NewCounter(mu, in, out), onClose: onClose}
}

// Read reads from the inner connection and feeds what it got to In.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.Received(p[:n])
	}
	return n, err
}

// Write writes to the inner connection and feeds what it wrote to Out.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.Sent(p[:n])
	}
	return n, err
}

// Close runs onClose once, then closes the inner connection.
func (c *Conn) Close() error {
	if c.onClose != nil {
		c.closeOnce.Do(c.onClose)
	}
	return c.Conn.Close()
}

// NetConn returns the wrapped connection.
func (c *Conn) NetConn() net.Conn { return c.Conn }
