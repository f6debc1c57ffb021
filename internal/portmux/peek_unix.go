//go:build unix

package portmux

import (
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Peeks reports whether this platform peeks at plaintext connections
// (MSG_PEEK) and so hands grpc-go its sockets untouched.
const Peeks = true

// peekPool holds the first-size peek buffers: routing is brief, so a few
// buffers serve every connection.
var peekPool = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// peeker looks at a socket's receive queue with recv(MSG_PEEK), consuming
// nothing, so the server it goes to reads the connection from its first
// byte, on the raw *net.TCPConn.
type peeker struct {
	c   net.Conn
	rc  syscall.RawConn
	bp  *[]byte // pooled; nil once grown
	buf []byte
	n   int // bytes peeked so far
	max int
}

// newPeeker returns a peeker for c, or false when c is not a socket.
func newPeeker(c net.Conn, maxHeaderBytes int) (source, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	bp := peekPool.Get().(*[]byte)
	return &peeker{c: c, rc: rc, bp: bp, buf: *bp, max: sniffLimit(maxHeaderBytes)}, true
}

func (p *peeker) more(deadline time.Time) ([]byte, error) {
	if p.n == len(p.buf) && len(p.buf) < p.max {
		// Rare: a first header block larger than the pooled buffer.
		p.release()
		p.buf = make([]byte, p.max)
		p.n = 0
	}
	_ = p.c.SetReadDeadline(deadline)
	prev := p.n
	var rerr error
	err := p.rc.Read(func(fd uintptr) bool {
		k, _, e := unix.Recvfrom(int(fd), p.buf, unix.MSG_PEEK)
		switch {
		case e == unix.EAGAIN || e == unix.EINTR:
			return false
		case e != nil:
			rerr = e
		case k == 0:
			rerr = io.EOF
		case k == prev:
			// Nothing new: the bytes are still queued, so wait for the
			// netpoller's next arrival rather than spin.
			return false
		default:
			p.n = k
		}
		return true
	})
	if err == nil {
		err = rerr
	}
	return p.buf[:p.n], err
}

func (p *peeker) full() bool { return p.n >= p.max }

func (p *peeker) handover(c net.Conn) net.Conn {
	p.release()
	return c
}

func (p *peeker) release() {
	if p.bp != nil {
		peekPool.Put(p.bp)
		p.bp = nil
	}
	p.buf = nil
}
