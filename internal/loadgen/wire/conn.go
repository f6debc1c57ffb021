package wire

import (
	"net"
	"sync"
	"sync/atomic"
)

// Feeder is a decoder of one direction: H2Decoder or TLSDecoder.
type Feeder interface {
	Feed(p []byte)
}

// Conn is a net.Conn that feeds every byte read to In and every byte
// written to Out, holding Mu while it does. Connections may share one Mu
// (and the stats their decoders add to): a reader that takes Mu then sees
// each read or write either wholly counted or not at all, which keeps
// bytes, frames and heartbeats of a window consistent with each other.
//
// grpc-go reads a connection from one goroutine and writes it from one
// other, so each decoder is fed by one goroutine at a time.
type Conn struct {
	net.Conn
	mu      *sync.Mutex
	in, out Feeder

	// read and written count bytes as the syscalls return, before the
	// decoders take Mu, so TCP_INFO can be compared with them per socket.
	read, written atomic.Uint64

	closeOnce sync.Once
	onClose   func()
}

// Totals returns the bytes read from and written to the inner connection.
func (c *Conn) Totals() (read, written uint64) { return c.read.Load(), c.written.Load() }

// NewConn wraps c. onClose, if set, runs once, before c is closed, so it
// can still read socket state (TCP_INFO).
func NewConn(c net.Conn, mu *sync.Mutex, in, out Feeder, onClose func()) *Conn {
	return &Conn{Conn: c, mu: mu, in: in, out: out, onClose: onClose}
}

// Read reads from the inner connection and feeds what it got to In.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.read.Add(uint64(n))
		c.mu.Lock()
		c.in.Feed(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// Write writes to the inner connection and feeds what it wrote to Out.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.written.Add(uint64(n))
		c.mu.Lock()
		c.out.Feed(p[:n])
		c.mu.Unlock()
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
