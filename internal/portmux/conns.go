package portmux

import (
	"net"
	"sync"

	"golang.org/x/net/http2"
)

// chanListener is the net.Listener a server serves: the router pushes the
// connections it routes there.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next routed connection, or net.ErrClosed once the
// listener is closed.
func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept fail from now on; it is idempotent. Servers close
// their listener when they stop, and the router its two when it does.
func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// push hands c to the server, or closes it when the listener, or the
// router (stop), is closed first.
func (l *chanListener) push(c net.Conn, stop <-chan struct{}) {
	select {
	case l.ch <- c:
	case <-l.done:
		_ = c.Close()
	case <-stop:
		_ = c.Close()
	}
}

// ackFilter drops the first SETTINGS ACK a client sends, the reply to the
// router's own SETTINGS, which net/http's HTTP/2 server would take for a
// protocol error; after it the filter only passes reads through.
type ackFilter struct {
	net.Conn
	skip    int // preface bytes still to pass
	hdr     []byte
	left    int // payload bytes of the current frame still to pass
	dropped bool
	out     []byte // filtered bytes not yet returned
	scratch []byte
}

func (a *ackFilter) Read(p []byte) (int, error) {
	for len(a.out) == 0 {
		if a.dropped {
			a.out, a.scratch = nil, nil
			return a.Conn.Read(p)
		}
		if cap(a.scratch) < len(p) {
			a.scratch = make([]byte, len(p))
		}
		n, err := a.Conn.Read(a.scratch[:len(p)])
		a.feed(a.scratch[:n])
		if err != nil && len(a.out) == 0 {
			return 0, err
		}
	}
	n := copy(p, a.out)
	a.out = a.out[n:]
	return n, nil
}

// feed appends b to out, minus the ACK frame when it is in b.
func (a *ackFilter) feed(b []byte) {
	for len(b) > 0 {
		switch {
		case a.dropped:
			a.out = append(a.out, b...)
			return
		case a.skip > 0:
			n := min(a.skip, len(b))
			a.out = append(a.out, b[:n]...)
			a.skip -= n
			b = b[n:]
		case a.left > 0:
			n := min(a.left, len(b))
			a.out = append(a.out, b[:n]...)
			a.left -= n
			b = b[n:]
		default:
			n := min(9-len(a.hdr), len(b))
			a.hdr = append(a.hdr, b[:n]...)
			b = b[n:]
			if len(a.hdr) < 9 {
				return
			}
			length := int(a.hdr[0])<<16 | int(a.hdr[1])<<8 | int(a.hdr[2])
			if http2.FrameType(a.hdr[3]) == http2.FrameSettings && http2.Flags(a.hdr[4]).Has(http2.FlagSettingsAck) && length == 0 {
				a.dropped = true
			} else {
				a.out = append(a.out, a.hdr...)
				a.left = length
			}
			a.hdr = a.hdr[:0]
		}
	}
}
