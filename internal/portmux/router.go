// Package portmux serves two HTTP server stacks on one port: native gRPC
// over HTTP/2 goes to grpc-go's own transport, everything else (Connect,
// gRPC-Web, HTTP/1.1, pages, and gRPC on a connection that started with
// something else) to net/http. It decides per connection, from the first
// request's content-type, and never per stream: an HTTP/2 connection
// belongs to one stack for its whole life.
//
// The point of routing whole connections, rather than putting net/http in
// front of grpc-go, is memory. grpc-go reads an idle connection without
// holding a read buffer only when it owns the raw *net.TCPConn; given any
// wrapper it pins 32 KiB per connection. So plaintext connections are
// sniffed with recv(MSG_PEEK) and handed over untouched: not a byte has
// been consumed. Where peeking is not available (build tags, or a listener
// whose connections are not sockets), the router reads what it needs and
// replays it, and native gRPC then pins that 32 KiB buffer.
//
// TLS is terminated here, with ALPN from Config.HTTP1/HTTP2. grpc-go pins
// its buffer under TLS anyway (its own TLS does the same), so TLS
// connections are read and replayed.
//
// grpc-go clients send nothing after their SETTINGS until they have the
// server's: they would wait for ever on a router that waits for their
// first HEADERS. After SettingsDelay the router sends an empty SETTINGS
// frame itself. grpc-go's server ignores the client's ACK of it; net/http's
// treats an unexpected ACK as a protocol error, so such a connection, when
// it goes to net/http, has that first ACK filtered out.
package portmux

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Config's zero fields.
const (
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultSettingsDelay    = 50 * time.Millisecond
	DefaultMaxHeaderBytes   = 16 << 10
)

// Config shapes a Router. The zero value serves HTTP/1.1 and HTTP/2 in
// plaintext with the defaults above and no connection limit.
type Config struct {
	// TLS, if set, is terminated by the router; its NextProtos are replaced
	// by what HTTP1 and HTTP2 allow.
	TLS *tls.Config
	// DisableHTTP1 and DisableHTTP2 refuse one HTTP version, with a
	// message: TLS leaves it out of ALPN, plaintext answers it with an
	// error (HTTP/1.1 505, or an HTTP/2 GOAWAY HTTP_1_1_REQUIRED).
	DisableHTTP1, DisableHTTP2 bool
	// HandshakeTimeout bounds the TLS handshake, the HTTP/2 preface and the
	// first request's headers: a connection that has not said what it is
	// by then is closed, so silent sockets cannot hold MaxConns slots.
	HandshakeTimeout time.Duration
	// SettingsDelay is how long after a client's SETTINGS, without a
	// HEADERS frame, the router sends its own empty SETTINGS.
	SettingsDelay time.Duration
	// MaxHeaderBytes bounds the first header block the router decodes; a
	// larger one goes to net/http, which refuses it by its own limit.
	MaxHeaderBytes int
	// MaxConns caps the connections held at once, routing or served, on
	// both stacks; zero means no cap. Over it, Accept is not called, so new
	// connections wait in the kernel's accept queue.
	MaxConns int
	// NoPeek reads and replays instead of peeking, as on platforms without
	// MSG_PEEK; for tests.
	NoPeek bool
}

// Stats counts what a Router did with the connections it accepted.
type Stats struct {
	// GRPC and HTTP count connections handed to each stack.
	GRPC, HTTP int64
	// Nudged counts connections the router sent its SETTINGS on.
	Nudged int64
	// Refused counts connections closed for an HTTP version not served.
	Refused int64
	// Failed counts connections closed during routing: timeouts, resets,
	// failed TLS handshakes.
	Failed int64
}

// Router accepts connections on one listener and hands each to GRPC or
// HTTP, the listeners its two servers serve.
type Router struct {
	ln    net.Listener
	cfg   Config
	grpc  *chanListener
	http  *chanListener
	limit *limiter

	stop     chan struct{}   // closed by Close
	ctx      context.Context // canceled by Close: ends TLS handshakes
	cancel   context.CancelFunc
	mu       sync.Mutex
	inflight map[net.Conn]struct{} // connections being routed
	closed   bool
	wg       sync.WaitGroup // routing goroutines

	closeOnce sync.Once
	stats     struct{ grpc, http, nudged, refused, failed atomic.Int64 }
}

// New returns a Router for ln; Serve starts it.
func New(ln net.Listener, cfg Config) *Router {
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.SettingsDelay <= 0 {
		cfg.SettingsDelay = DefaultSettingsDelay
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.TLS != nil {
		cfg.TLS = cfg.TLS.Clone()
		cfg.TLS.NextProtos = nil
		if !cfg.DisableHTTP2 {
			cfg.TLS.NextProtos = append(cfg.TLS.NextProtos, "h2")
		}
		if !cfg.DisableHTTP1 {
			cfg.TLS.NextProtos = append(cfg.TLS.NextProtos, "http/1.1")
		}
	}
	r := &Router{
		ln:       ln,
		cfg:      cfg,
		grpc:     newChanListener(ln.Addr()),
		http:     newChanListener(ln.Addr()),
		inflight: make(map[net.Conn]struct{}),
		stop:     make(chan struct{}),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if cfg.MaxConns > 0 {
		r.limit = newLimiter(cfg.MaxConns)
	}
	return r
}

// GRPC is the listener of native gRPC connections, for grpc.Server.Serve.
// Its connections are plaintext HTTP/2 (TLS is terminated already), so the
// gRPC server must use insecure credentials.
func (r *Router) GRPC() net.Listener { return r.grpc }

// HTTP is the listener of every other connection, for http.Server.Serve:
// HTTP/1.1 on a raw or *tls.Conn, or HTTP/2 with prior knowledge, so the
// server must allow unencrypted HTTP/2 (http.Protocols).
func (r *Router) HTTP() net.Listener { return r.http }

// Addr is the address of the listener the router accepts on.
func (r *Router) Addr() net.Addr { return r.ln.Addr() }

// Stats returns the counts so far.
func (r *Router) Stats() Stats {
	return Stats{
		GRPC: r.stats.grpc.Load(), HTTP: r.stats.http.Load(), Nudged: r.stats.nudged.Load(),
		Refused: r.stats.refused.Load(), Failed: r.stats.failed.Load(),
	}
}

// Serve accepts connections until the listener fails or Close is called;
// then it returns the listener's error (net.ErrClosed after Close). Each
// connection is routed on a goroutine of its own, under HandshakeTimeout.
func (r *Router) Serve() error {
	for {
		if r.limit != nil {
			if err := r.limit.reserve(); err != nil {
				return err
			}
		}
		c, err := r.ln.Accept()
		if err != nil {
			if r.limit != nil {
				r.limit.unreserve()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if r.limit != nil {
			c = r.limit.hold(c)
		}
		if !r.begin(c) {
			_ = c.Close()
			return net.ErrClosed
		}
		go r.route(c)
	}
}

// begin registers c as being routed; false once the router is closed.
func (r *Router) begin(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.inflight[c] = struct{}{}
	r.wg.Add(1)
	return true
}

func (r *Router) end(c net.Conn) {
	r.mu.Lock()
	delete(r.inflight, c)
	r.mu.Unlock()
	r.wg.Done()
}

// Close stops accepting, closes the connections still being routed and
// both listeners (the servers close the connections they serve), and
// waits for the routing goroutines. It is idempotent.
func (r *Router) Close() error {
	var err error
	r.closeOnce.Do(func() {
		err = r.ln.Close()
		close(r.stop)
		r.cancel()
		r.mu.Lock()
		r.closed = true
		for c := range r.inflight {
			_ = c.Close()
		}
		r.mu.Unlock()
		if r.limit != nil {
			r.limit.close()
		}
		r.wg.Wait()
		_ = r.grpc.Close()
		_ = r.http.Close()
	})
	return err
}

// route decides where c goes and hands it over, or closes it.
func (r *Router) route(c net.Conn) {
	defer r.end(c)
	deadline := time.Now().Add(r.cfg.HandshakeTimeout)
	_ = c.SetDeadline(deadline)
	out, dest, err := r.decide(c, deadline)
	switch {
	case errors.Is(err, errRefused):
		lingerClose(out)
		return
	case err != nil:
		r.stats.failed.Add(1)
		_ = c.Close()
		return
	}
	_ = out.SetDeadline(time.Time{})
	switch dest {
	case toGRPC:
		r.stats.grpc.Add(1)
		r.grpc.push(out, r.stop)
	default:
		r.stats.http.Add(1)
		r.http.push(out, r.stop)
	}
}

type destination int

const (
	toHTTP destination = iota
	toGRPC
)

// decide returns the connection to hand over and where, after TLS and a
// look at the first bytes.
func (r *Router) decide(c net.Conn, deadline time.Time) (net.Conn, destination, error) {
	if r.cfg.TLS == nil {
		if !r.cfg.NoPeek {
			if p, ok := newPeeker(c, r.cfg.MaxHeaderBytes); ok {
				return r.sniffed(c, p, deadline)
			}
		}
		return r.sniffed(c, newReader(c, r.cfg.MaxHeaderBytes), deadline)
	}
	tc := tls.Server(c, r.cfg.TLS)
	ctx, cancel := context.WithDeadline(r.ctx, deadline)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, 0, err
	}
	if tc.ConnectionState().NegotiatedProtocol != "h2" {
		// ALPN http/1.1, or none: HTTP/2 over TLS needs ALPN (RFC 9113
		// §3.2), so this is HTTP/1.x. net/http sees a finished handshake
		// and serves it on the *tls.Conn, with Request.TLS set.
		if r.cfg.DisableHTTP1 {
			r.refuseHTTP1(tc)
			return tc, 0, errRefused
		}
		return tc, toHTTP, nil
	}
	return r.sniffed(tc, newReader(tc, r.cfg.MaxHeaderBytes), deadline)
}

// sniffed looks at the first bytes from src and returns what to hand over.
func (r *Router) sniffed(c net.Conn, src source, deadline time.Time) (net.Conn, destination, error) {
	res, err := r.sniff(c, src, deadline)
	out := src.handover(c)
	if res.nudged {
		r.stats.nudged.Add(1)
	}
	if err != nil {
		return nil, 0, err
	}
	switch {
	case !res.h2 && r.cfg.DisableHTTP1:
		r.refuseHTTP1(c)
		return c, 0, errRefused
	case res.h2 && r.cfg.DisableHTTP2:
		r.refuseHTTP2(c)
		return c, 0, errRefused
	case res.h2 && isGRPC(res.contentType):
		return out, toGRPC, nil
	case res.nudged:
		return &ackFilter{Conn: out, skip: len(clientPreface)}, toHTTP, nil
	default:
		return out, toHTTP, nil
	}
}

// errRefused is a connection refused for its HTTP version, with a message.
var errRefused = errors.New("http version not served")
