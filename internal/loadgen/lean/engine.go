package lean

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Events receives what the streams receive. Its methods are called from
// the engine's goroutines (an event loop, or a connection's own), for
// different connections at once, and must return quickly.
type Events interface {
	// Message is a message on client's open stream, read at at.
	Message(client int, heartbeat bool, at time.Time)
	// End is the end of client's open stream: io.EOF for status OK,
	// otherwise a gRPC status error. A stream that fails before its
	// response header is not ended: its Open returns the error.
	End(client int, err error)
}

// Meter is told every byte a connection reads from and writes to its
// socket, as the syscalls return, so the caller can decode and count
// them. Its methods are called from one goroutine at a time per
// connection.
type Meter interface {
	// BeginIO and EndIO bracket each read or write syscall an event loop
	// makes on the socket, its SocketRead or SocketWrote included, so a
	// TCP_INFO reading paired with the counters can tell it was in flight.
	BeginIO()
	EndIO()
	SocketRead(p []byte)
	SocketWrote(p []byte)
	// PlainRead and PlainWrote are the HTTP bytes inside TLS; without TLS
	// they are not called (the socket's bytes are the HTTP bytes).
	PlainRead(p []byte)
	PlainWrote(p []byte)
	// Moved says the socket now lives on rc: the engine took it over from
	// the dialed net.Conn, which it closed. Read TCP_INFO through rc from
	// then on.
	Moved(rc syscall.RawConn)
	// Closing runs once, before the socket closes.
	Closing()
}

// Engine holds idle client streams for one client kind (Config). It is
// safe for concurrent use.
type Engine struct {
	cfg    Config
	tls    *tls.Config
	reqs   *requests
	loops  []*loop // nil: every connection has a goroutine of its own
	next   atomic.Uint32
	procs  sync.Pool
	closed atomic.Bool

	mu    sync.Mutex
	conns map[*Conn]struct{} // connections with a goroutine of their own
	wg    sync.WaitGroup
}

// New starts an engine: its event loops, on Linux unless cfg.Portable.
func New(cfg Config) (*Engine, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, conns: make(map[*Conn]struct{})}
	e.reqs = newRequests(&e.cfg)
	e.procs.New = func() any { return newProc() }
	if cfg.TLS != nil {
		e.tls = cfg.TLS.Clone()
		if e.tls.ServerName == "" && !e.tls.InsecureSkipVerify {
			// As grpc-go's credentials do: the authority's host.
			host, _, err := net.SplitHostPort(cfg.Authority)
			if err != nil {
				host = cfg.Authority
			}
			e.tls.ServerName = host
		}
		e.tls.NextProtos = []string{"h2"}
		if cfg.HTTP == HTTP1 {
			e.tls.NextProtos = []string{"http/1.1"}
		} else if cfg.Profile == ProfileBrowser {
			e.tls.NextProtos = []string{"h2", "http/1.1"}
		}
	}
	if !cfg.Portable {
		if e.loops, err = startLoops(e, cfg.Loops); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Config returns the engine's configuration, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// errClosed ends the streams of a connection the caller closed.
var errClosed = status.Error(codes.Canceled, "connection closed by the client")

// Close closes every connection (their streams end without an End event)
// and stops the engine's goroutines.
func (e *Engine) Close() {
	if !e.closed.CompareAndSwap(false, true) {
		return
	}
	for _, l := range e.loops {
		l.stop()
	}
	e.mu.Lock()
	conns := make([]*Conn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	for _, c := range conns {
		_ = c.Close() // closing never fails; it ends the streams
	}
	e.wg.Wait()
}

func (e *Engine) getProc() *proc  { return e.procs.Get().(*proc) }
func (e *Engine) putProc(p *proc) { e.procs.Put(p) }

// Conn is one client connection and its streams.
type Conn struct {
	e    *Engine
	l    *loop // nil: served by a goroutine of its own
	sock sockConn
	tc   *tls.Conn
	sess session

	mu   sync.Mutex  // without a loop: guards sess, the writes and done
	dead atomic.Bool // no new streams: closed, failed or told to go away
	done bool        // closed; the serving goroutine only
}

// session is the protocol of a connection, HTTP/2 or HTTP/1.1. Its
// methods run on the connection's serving goroutine; what they write goes
// to p, which the caller flushes.
type session interface {
	// start writes what a client writes before its first request.
	start(c *Conn, p *proc)
	// open starts st with body; it reports to st.opened.
	open(c *Conn, p *proc, st *stream, body []byte)
	// cancel gives up st, which did not open in time.
	cancel(c *Conn, p *proc, st *stream)
	// feed processes plaintext bytes read from the connection.
	feed(c *Conn, p *proc, b []byte) error
	// fail ends every stream: opening ones with err, open ones with an
	// End event when report is set.
	fail(c *Conn, err error, report bool)
}

// Connect takes over nc, a connection dialed to the server: it runs the
// TLS handshake, writes what the client writes before a request, and
// serves the connection from then on. m is told every byte. On error nc
// is closed (after m.Closing).
func (e *Engine) Connect(ctx context.Context, nc net.Conn, m Meter) (*Conn, error) {
	c := &Conn{e: e}
	c.sock.init(nc, m)
	if e.closed.Load() {
		c.closeEarly()
		return nil, status.Error(codes.Canceled, "engine closed")
	}
	if e.cfg.Profile == ProfileBrowser {
		browserKeepAlive(nc)
	}
	if err := c.handshake(ctx); err != nil {
		c.closeEarly()
		return nil, err
	}
	if e.cfg.HTTP == HTTP1 {
		c.sess = &h1sess{cfg: &e.cfg, reqs: e.reqs}
	} else {
		c.sess = newH2Sess(&e.cfg, e.reqs)
	}
	p := e.getProc()
	p.now = e.cfg.Now()
	c.sess.start(c, p)
	err := c.flush(p)
	e.putProc(p)
	if err != nil {
		c.closeEarly()
		return nil, status.Errorf(codes.Unavailable, "write connection preface: %v", err)
	}
	if l := e.pickLoop(); l != nil {
		if ok, err := c.handOff(l); err != nil {
			c.closeEarly()
			return nil, status.Errorf(codes.Unavailable, "hand the connection to the event loop: %v", err)
		} else if ok {
			return c, nil
		}
	}
	e.serveOwn(c)
	return c, nil
}

// chromeKeepAlive is Chromium's TCP keepalive (kTCPKeepAliveSeconds in
// net/socket/tcp_socket_posix.cc, idle and interval alike), against Go's
// dialer default of 15 s, which at a 15 s heartbeat races the heartbeat
// and sends probes Chromium would not.
const chromeKeepAlive = 45 * time.Second

// browserKeepAlive gives a browser's socket Chromium's keepalive.
func browserKeepAlive(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: chromeKeepAlive, Interval: chromeKeepAlive})
	}
}

// handshake runs TLS, when configured, and checks ALPN.
func (c *Conn) handshake(ctx context.Context) error {
	e := c.e
	if e.tls == nil {
		return nil
	}
	c.tc = tls.Client(&c.sock, e.tls)
	if err := c.tc.HandshakeContext(ctx); err != nil {
		return status.Errorf(codes.Unavailable, "tls handshake: %v", err)
	}
	want := "h2"
	if e.cfg.HTTP == HTTP1 {
		want = "http/1.1"
	}
	if got := c.tc.ConnectionState().NegotiatedProtocol; got != want && !(got == "" && want == "http/1.1") {
		return status.Errorf(codes.Unavailable, "tls: the server negotiated ALPN %q, not %q (is --http right?)", got, want)
	}
	return nil
}

// closeEarly closes a connection that never started serving.
func (c *Conn) closeEarly() {
	c.sock.meter.Closing()
	c.sock.closeNet()
}

func (e *Engine) pickLoop() *loop {
	if len(e.loops) == 0 {
		return nil
	}
	return e.loops[int(e.next.Add(1))%len(e.loops)]
}

// Usable reports whether new streams may open on c.
func (c *Conn) Usable() bool { return !c.dead.Load() }

// Open opens client's stream on c, asking for userID's events, and
// returns once its response header arrived: nil, or the stream's error.
// When ctx ends first, the stream is cancelled and ctx's error returned.
// It waits on c's serving goroutine, so Events methods must not call it
// (nor Close).
func (c *Conn) Open(ctx context.Context, client int, userID string) error {
	if c.dead.Load() {
		return status.Error(codes.Unavailable, "connection closed")
	}
	body, err := c.e.reqs.body(userID)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	// The serving goroutine clears st.opened once it reported: wait on a
	// copy.
	opened := make(chan error, 1)
	st := &stream{client: int32(client), opened: opened}
	if !c.run(func(p *proc) { c.sess.open(c, p, st, body) }) {
		return errClosed
	}
	select {
	case err := <-opened:
		return err
	case <-ctx.Done():
		c.runWait(func(p *proc) { c.sess.cancel(c, p, st) })
		return ctx.Err()
	}
}

// Close closes c and returns once it is closed; its streams end without
// an End event.
func (c *Conn) Close() error {
	c.runWait(func(*proc) { c.fail(errClosed, false) })
	return nil
}

// runWait is run, returning once f has run.
func (c *Conn) runWait(f func(p *proc)) {
	done := make(chan struct{})
	if c.run(func(p *proc) { f(p); close(done) }) {
		<-done
	}
}

// run runs f on c's serving goroutine (or under its lock), then writes
// what f wrote; false when c's loop has exited and f will never run.
func (c *Conn) run(f func(p *proc)) bool {
	if c.l != nil {
		return c.l.post(func() {
			p := c.l.p
			p.now = c.e.cfg.Now()
			f(p)
			c.flushOrFail(p)
		})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.e.getProc()
	defer c.e.putProc(p)
	p.now = c.e.cfg.Now()
	f(p)
	c.flushOrFail(p)
	return true
}

func (c *Conn) flushOrFail(p *proc) {
	if err := c.flush(p); err != nil {
		c.fail(err, true)
	}
}

// flush writes what the session wrote to p: one write per unit (a
// browser writes each WINDOW_UPDATE on its own), through TLS when on.
func (c *Conn) flush(p *proc) error {
	defer p.reset()
	if p.out.Len() == 0 || c.done {
		return nil
	}
	b := p.out.Bytes()
	start := 0
	for _, end := range append(p.cuts, len(b)) {
		if end <= start {
			continue
		}
		if err := c.write(b[start:end]); err != nil {
			return err
		}
		start = end
	}
	return c.afterWrite()
}

func (c *Conn) write(b []byte) error {
	if c.tc == nil {
		_, err := c.sock.Write(b)
		return err
	}
	if _, err := c.tc.Write(b); err != nil {
		return err
	}
	c.sock.meter.PlainWrote(b)
	return nil
}

// fail ends c: its streams (reported when report is set), its socket.
func (c *Conn) fail(err error, report bool) {
	if c.done {
		return
	}
	c.done = true
	c.dead.Store(true)
	c.sess.fail(c, connErr(err), report)
	c.sock.meter.Closing()
	if c.l != nil {
		c.l.remove(c)
		return
	}
	c.sock.closeNet()
	c.e.mu.Lock()
	delete(c.e.conns, c)
	c.e.mu.Unlock()
}
