package lean

import (
	"net"
	"time"
)

// sockConn is a connection's socket as the engine and crypto/tls see it.
// Until the hand-off to an event loop (and for good without one) it passes
// reads and writes through to the dialed net.Conn, telling the meter.
// After it, Read hands out the bytes the loop read (then errWouldBlock),
// and Write writes to the file descriptor without blocking, keeping what
// the socket would not take for when it can.
type sockConn struct {
	nc    net.Conn // nil after the hand-off
	fd    int      // -1 before the hand-off
	meter Meter

	pending []byte // read by the loop, for crypto/tls to take
	wpend   []byte // written, not yet taken by the socket
	armed   bool   // the loop waits for the socket to take wpend
}

func (s *sockConn) init(nc net.Conn, m Meter) {
	s.nc, s.fd, s.meter = nc, -1, m
}

// Read reads from the dialed connection, or hands out what the loop read.
func (s *sockConn) Read(p []byte) (int, error) {
	if s.nc != nil {
		n, err := s.nc.Read(p)
		if n > 0 {
			s.meter.SocketRead(p[:n])
		}
		return n, err
	}
	if s.fd < 0 {
		return 0, net.ErrClosed
	}
	if len(s.pending) == 0 {
		return 0, errWouldBlock
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// Write writes to the dialed connection, or to the descriptor.
func (s *sockConn) Write(p []byte) (int, error) {
	if s.nc != nil {
		n, err := s.nc.Write(p)
		if n > 0 {
			s.meter.SocketWrote(p[:n])
		}
		return n, err
	}
	if s.fd < 0 {
		return 0, net.ErrClosed
	}
	return s.writeFD(p)
}

// closeNet closes the dialed connection, if the engine still holds it.
// It leaves nc set: a connection's own goroutine may still be reading it.
func (s *sockConn) closeNet() {
	if s.nc != nil {
		_ = s.nc.Close() // nothing to do about a failed close
	}
}

// Close is crypto/tls's; the engine closes sockets itself.
func (s *sockConn) Close() error { return nil }

// LocalAddr and RemoteAddr are the dialed connection's while it is held;
// keeping them after the hand-off would cost two addresses per client.
func (s *sockConn) LocalAddr() net.Addr {
	if s.nc != nil {
		return s.nc.LocalAddr()
	}
	return nil
}

func (s *sockConn) RemoteAddr() net.Addr {
	if s.nc != nil {
		return s.nc.RemoteAddr()
	}
	return nil
}

// SetDeadline and its kin pass through while the dialed connection is
// held (crypto/tls bounds its handshake with them); after the hand-off
// nothing blocks.
func (s *sockConn) SetDeadline(t time.Time) error {
	if s.nc != nil {
		return s.nc.SetDeadline(t)
	}
	return nil
}

func (s *sockConn) SetReadDeadline(t time.Time) error {
	if s.nc != nil {
		return s.nc.SetReadDeadline(t)
	}
	return nil
}

func (s *sockConn) SetWriteDeadline(t time.Time) error {
	if s.nc != nil {
		return s.nc.SetWriteDeadline(t)
	}
	return nil
}
