//go:build linux

package lean

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// haveLoop is whether connections are served by event loops here.
const haveLoop = true

// Buffers of a loop, shared by all its connections: one socket read
// (many frames at once on a busy connection) and the plaintext of one TLS
// record.
const (
	loopReadBuf  = 64 << 10
	loopPlainBuf = 16 << 10
	loopEvents   = 256
)

// loop is one event loop: a goroutine waiting in epoll_wait
// (level-triggered) on non-blocking sockets, with one read buffer, one
// Framer and one reply buffer for all of them. Every operation on one of
// its connections runs on its goroutine; other goroutines post them.
type loop struct {
	e     *Engine
	ep    int
	wake  int // eventfd that post rings
	p     *proc
	rbuf  []byte
	pbuf  []byte
	conns []*Conn // by file descriptor
	quit  bool
	done  chan struct{}

	mu     sync.Mutex
	posted []func()
	spare  []func()
	woken  bool
	exited bool
}

func startLoops(e *Engine, n int) ([]*loop, error) {
	ls := make([]*loop, 0, n)
	for range n {
		l, err := newLoop(e)
		if err != nil {
			for _, l := range ls {
				l.stop()
			}
			return nil, err
		}
		ls = append(ls, l)
		go l.run()
	}
	return ls, nil
}

func newLoop(e *Engine) (*loop, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(ep)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		_ = unix.Close(ep)
		_ = unix.Close(wake)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return &loop{e: e, ep: ep, wake: wake, p: newProc(), rbuf: make([]byte, loopReadBuf),
		pbuf: make([]byte, loopPlainBuf), done: make(chan struct{})}, nil
}

// post runs f on the loop's goroutine; false when the loop has exited.
func (l *loop) post(f func()) bool {
	l.mu.Lock()
	if l.exited {
		l.mu.Unlock()
		return false
	}
	l.posted = append(l.posted, f)
	ring := !l.woken
	l.woken = true
	l.mu.Unlock()
	if ring {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(l.wake, one[:]) // the counter cannot overflow from here
	}
	return true
}

// stop closes every connection of the loop and waits for it to exit.
func (l *loop) stop() {
	if l.post(func() { l.quit = true }) {
		<-l.done
	}
}

func (l *loop) run() {
	defer close(l.done)
	evs := make([]unix.EpollEvent, loopEvents)
	for {
		n, err := unix.EpollWait(l.ep, evs, -1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			l.shutdown(fmt.Errorf("epoll_wait: %w", err))
			return
		}
		l.p.now = l.e.cfg.Now()
		for i := range max(n, 0) {
			if int(evs[i].Fd) == l.wake {
				var b [8]byte
				_, _ = unix.Read(l.wake, b[:])
				continue
			}
			l.handle(int(evs[i].Fd), evs[i].Events)
		}
		l.runPosted()
		if l.quit {
			l.shutdown(errClosed)
			return
		}
	}
}

func (l *loop) runPosted() {
	l.mu.Lock()
	fs := l.posted
	l.posted, l.spare = l.spare[:0], nil
	l.woken = false
	l.mu.Unlock()
	for i, f := range fs {
		f()
		fs[i] = nil
	}
	l.mu.Lock()
	if l.spare == nil {
		l.spare = fs[:0]
	}
	l.mu.Unlock()
}

// shutdown closes every connection, without End events, and the loop.
func (l *loop) shutdown(err error) {
	l.mu.Lock()
	l.exited = true
	fs := l.posted
	l.posted = nil
	l.mu.Unlock()
	for _, f := range fs {
		f() // opens and closes posted late: they find their connection done
	}
	for _, c := range l.conns {
		if c != nil {
			c.fail(err, false)
		}
	}
	_ = unix.Close(l.ep)
	_ = unix.Close(l.wake)
}

func (l *loop) handle(fd int, events uint32) {
	if fd < 0 || fd >= len(l.conns) || l.conns[fd] == nil {
		return
	}
	c := l.conns[fd]
	if events&unix.EPOLLOUT != 0 {
		if err := c.sock.flushPending(); err != nil {
			c.fail(err, true)
			return
		}
		if err := c.afterWrite(); err != nil {
			c.fail(err, true)
			return
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR|unix.EPOLLRDHUP) == 0 {
		return
	}
	m := c.sock.meter
	m.BeginIO()
	n, err := unix.Read(fd, l.rbuf)
	if n > 0 {
		m.SocketRead(l.rbuf[:n])
	}
	m.EndIO()
	switch {
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
	case err != nil:
		c.fail(err, true)
	case n == 0:
		c.fail(io.EOF, true)
	default:
		c.received(l.p, l.rbuf[:n], l.pbuf)
	}
}

// add registers c, whose socket is now the loop's.
func (l *loop) add(c *Conn) {
	fd := c.sock.fd
	if l.quit {
		c.fail(errClosed, false)
		return
	}
	if fd >= len(l.conns) {
		grown := make([]*Conn, max(2*len(l.conns), fd+1, 1024))
		copy(grown, l.conns)
		l.conns = grown
	}
	l.conns[fd] = c
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		c.fail(fmt.Errorf("epoll_ctl: %w", err), true)
		return
	}
	if c.tc != nil {
		// crypto/tls may hold bytes it read during the handshake (the
		// server's SETTINGS): epoll will not report them.
		c.received(l.p, nil, l.pbuf)
	}
}

// remove unregisters c and closes its socket.
func (l *loop) remove(c *Conn) {
	fd := c.sock.fd
	if fd < 0 {
		return
	}
	_ = unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, fd, nil)
	if fd < len(l.conns) && l.conns[fd] == c {
		l.conns[fd] = nil
	}
	_ = unix.Close(fd)
	c.sock.fd = -1
	c.sock.wpend = nil
}

// afterWrite asks the loop to wait for the socket to take what it would
// not, or stops waiting once it took it all.
func (c *Conn) afterWrite() error {
	if c.l == nil || c.done || c.sock.fd < 0 {
		return nil
	}
	want := len(c.sock.wpend) > 0
	if want == c.sock.armed {
		return nil
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.sock.fd)}
	if want {
		ev.Events |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(c.l.ep, unix.EPOLL_CTL_MOD, c.sock.fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	c.sock.armed = want
	return nil
}

// handOff moves c's socket to l: a duplicate of its descriptor, which
// keeps every option the dialer set (TCP_NODELAY, keepalive), while the
// net.Conn, with its share of Go's poller, is closed. Closing one of two
// descriptors of a socket sends nothing. A net.Conn without a descriptor
// stays with a goroutine of its own (false).
func (c *Conn) handOff(l *loop) (bool, error) {
	sc, ok := c.sock.nc.(syscall.Conn)
	if !ok {
		return false, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false, nil
	}
	fd, derr := -1, error(nil)
	if err := raw.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return false, err
	}
	if derr != nil {
		return false, fmt.Errorf("dup: %w", derr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return false, fmt.Errorf("set non-blocking: %w", err)
	}
	c.sock.meter.Moved(fdConn(fd))
	_ = c.sock.nc.Close() // the duplicate keeps the socket
	c.sock.nc, c.sock.fd, c.l = nil, fd, l
	if !l.post(func() { l.add(c) }) {
		c.sock.meter.Closing()
		_ = unix.Close(fd)
		c.sock.fd = -1
		c.done = true
		c.dead.Store(true)
		return true, nil
	}
	return true, nil
}

// fdConn is a socket descriptor as a syscall.RawConn, for TCP_INFO.
type fdConn int

func (f fdConn) Control(fn func(fd uintptr)) error { fn(uintptr(f)); return nil }

func (fdConn) Read(func(fd uintptr) bool) error  { return errors.ErrUnsupported }
func (fdConn) Write(func(fd uintptr) bool) error { return errors.ErrUnsupported }

// writeFD writes p without blocking; what the socket does not take now
// waits in wpend, after anything already waiting, for the loop to write
// when it can. It fails only when the socket does.
func (s *sockConn) writeFD(p []byte) (int, error) {
	if len(s.wpend) > 0 {
		s.wpend = append(s.wpend, p...)
		return len(p), nil
	}
	s.meter.BeginIO()
	n, err := writeNB(s.fd, p)
	if n > 0 {
		s.meter.SocketWrote(p[:n])
	}
	s.meter.EndIO()
	if err != nil {
		return n, err
	}
	if n < len(p) {
		s.wpend = append([]byte(nil), p[n:]...)
	}
	return len(p), nil
}

// flushPending writes what waits, as much as the socket takes.
func (s *sockConn) flushPending() error {
	if len(s.wpend) == 0 || s.fd < 0 {
		return nil
	}
	s.meter.BeginIO()
	n, err := writeNB(s.fd, s.wpend)
	if n > 0 {
		s.meter.SocketWrote(s.wpend[:n])
	}
	s.meter.EndIO()
	if n > 0 {
		s.wpend = s.wpend[n:]
		if len(s.wpend) == 0 {
			s.wpend = nil
		}
	}
	return err
}

// writeNB writes what the socket takes now: a full socket is 0 bytes, not
// an error.
func writeNB(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return 0, nil
		default:
			return 0, &net.OpError{Op: "write", Net: "tcp", Err: err}
		}
	}
}
