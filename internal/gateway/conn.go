package gateway

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"
)

// MaxStalledStreamsPerConn is how many streams of one connection may be
// dropped as stalled before the connection is closed even though it still
// carries data: each such stream leaves what the stack had queued for it
// (grpc-go: up to 64 KiB plus one message, and its trailers) held until the
// connection ends.
const MaxStalledStreamsPerConn = 8

// ConnTracker follows a server's connections, so that a stream dropped as
// stalled can take down a connection that cannot be flushed at all: grpc-go
// queues a dropped stream's trailers behind its unsent data, so with a
// zero flow-control window neither is ever released while the connection
// lives (keepalive is satisfied by a peer that answers PINGs). Install it
// with Limits.GRPCServerOptions; streams find their Conn with
// ConnFromContext. A net/http stack would set it with WithConn from
// http.Server.ConnContext instead.
type ConnTracker struct {
	now func() time.Time

	mu    sync.Mutex
	conns map[string]*Conn // by remote address; nil when two share one
}

// NewConnTracker returns a tracker that reads time from now (nil:
// time.Now).
func NewConnTracker(now func() time.Time) *ConnTracker {
	if now == nil {
		now = time.Now
	}
	return &ConnTracker{now: now, conns: make(map[string]*Conn)}
}

// track wraps c, handshake done, and files it by remote address. An
// address two connections share (in-memory listeners) files neither.
func (t *ConnTracker) track(c net.Conn) *Conn {
	tc := &Conn{Conn: c, t: t, key: c.RemoteAddr().String(), rr: newReadyReader(c)}
	tc.lastData.Store(t.now().UnixNano())
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.conns[tc.key]; dup {
		t.conns[tc.key] = nil
	} else {
		t.conns[tc.key] = tc
	}
	return tc
}

func (t *ConnTracker) forget(tc *Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns[tc.key] == tc {
		delete(t.conns, tc.key)
	}
}

func (t *ConnTracker) lookup(addr net.Addr) *Conn {
	if addr == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conns[addr.String()]
}

// Conn is one server connection after its handshake. It counts the
// HTTP/2 DATA payload it writes, parsing the frame headers of the plaintext
// the server writes, so it knows when the connection last carried data.
type Conn struct {
	net.Conn
	t   *ConnTracker
	key string

	lastData  atomic.Int64 // unix nanos of the last DATA payload written
	dataBytes atomic.Int64 // DATA payload bytes written
	stalls    atomic.Int32 // streams dropped as stalled
	closeOnce sync.Once

	wmu sync.Mutex // guards the frame parser; writes are one writer's anyway
	fr  frameCounter

	rr *readyReader // ReadOnReady's state
}

// Write writes p and counts the DATA payload in what was written.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.wmu.Lock()
	data := c.fr.count(p[:n])
	c.wmu.Unlock()
	if data > 0 {
		c.dataBytes.Add(int64(data))
		c.lastData.Store(c.t.now().UnixNano())
	}
	return n, err
}

// Close closes the connection once and forgets it.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.t.forget(c)
		err = c.Conn.Close()
	})
	return err
}

// DataBytes returns the DATA payload bytes written so far.
func (c *Conn) DataBytes() int64 { return c.dataBytes.Load() }

// streamStalled records that a stream of c was dropped at now for
// accepting nothing for timeout, and closes c, reporting true, when c
// cannot be flushed: it has written no data for as long (no stream of it
// is flowing), or too many of its streams stalled.
func (c *Conn) streamStalled(now time.Time, timeout time.Duration) bool {
	n := c.stalls.Add(1)
	quiet := now.Sub(time.Unix(0, c.lastData.Load())) >= timeout
	if !quiet && n <= MaxStalledStreamsPerConn {
		return false
	}
	_ = c.Close()
	return true
}

// frameCounter follows HTTP/2 frame boundaries in a byte stream and counts
// DATA payload (padding included; grpc-go sends none). The server writes
// only frames, its preface being a SETTINGS frame.
type frameCounter struct {
	hdr    [9]byte
	hdrN   int
	left   int  // payload bytes of the current frame still to come
	inData bool // the current frame is DATA
}

func (f *frameCounter) count(p []byte) (data int) {
	for len(p) > 0 {
		if f.left == 0 && f.hdrN < len(f.hdr) {
			k := copy(f.hdr[f.hdrN:], p)
			f.hdrN += k
			p = p[k:]
			if f.hdrN < len(f.hdr) {
				return data
			}
			f.left = int(f.hdr[0])<<16 | int(f.hdr[1])<<8 | int(f.hdr[2])
			f.inData = f.hdr[3] == 0x0
			f.hdrN = 0
			if f.left == 0 {
				continue
			}
		}
		k := min(f.left, len(p))
		if f.inData {
			data += k
		}
		f.left -= k
		p = p[k:]
	}
	return data
}

type connKey struct{}

// WithConn returns ctx carrying the connection c, for the streams on it.
func WithConn(ctx context.Context, c *Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnFromContext returns the connection a stream's context carries, or
// nil when the stack does not track connections.
func ConnFromContext(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// Credentials wraps creds (nil: plaintext) so every connection the server
// accepts is tracked once its handshake is done: above TLS, where the
// HTTP/2 frames are plain.
func (t *ConnTracker) Credentials(creds credentials.TransportCredentials) credentials.TransportCredentials {
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	return &trackedCreds{TransportCredentials: creds, t: t}
}

type trackedCreds struct {
	credentials.TransportCredentials
	t *ConnTracker
}

func (c *trackedCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ServerHandshake(raw)
	if err != nil {
		return nil, nil, err
	}
	return c.t.track(conn), info, nil
}

func (c *trackedCreds) Clone() credentials.TransportCredentials {
	return &trackedCreds{TransportCredentials: c.TransportCredentials.Clone(), t: c.t}
}

// StatsHandler puts each connection's Conn into the context its streams
// derive from.
func (t *ConnTracker) StatsHandler() stats.Handler { return connTagger{t} }

type connTagger struct{ t *ConnTracker }

func (h connTagger) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	if c := h.t.lookup(info.RemoteAddr); c != nil {
		return WithConn(ctx, c)
	}
	return ctx
}

func (connTagger) HandleConn(context.Context, stats.ConnStats)                     {}
func (connTagger) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (connTagger) HandleRPC(context.Context, stats.RPCStats)                       {}
