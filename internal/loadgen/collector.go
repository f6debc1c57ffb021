package loadgen

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// numShards spreads connections over this many counter sets, each with
// its own mutex, so connections on different cores rarely share a lock
// while a snapshot still reads a handful of sets, not every connection.
const numShards = 16

// shard is the byte accounting of the connections assigned to it. Its
// mutex is held for every read or write fed to its decoders, so a reader
// that holds it sees each read or write wholly counted or not at all.
type shard struct {
	mu            sync.Mutex
	h2In, h2Out   wire.H2Stats
	tlsIn, tlsOut wire.TLSStats
	_             [64]byte // keep neighbouring shards' locks off one cache line
}

// counters is a consistent copy of every shard: the HTTP/2 view (for TLS,
// the plaintext under it) and, when TLS is on, the record view.
type counters struct {
	H2In, H2Out   wire.H2Stats
	TLSIn, TLSOut wire.TLSStats
}

func (c counters) sub(o counters) counters {
	return counters{
		H2In:   c.H2In.Sub(&o.H2In),
		H2Out:  c.H2Out.Sub(&o.H2Out),
		TLSIn:  c.TLSIn.Sub(&o.TLSIn),
		TLSOut: c.TLSOut.Sub(&o.TLSOut),
	}
}

// socketIn and socketOut are the bytes through the TCP socket: TLS records
// when TLS is on, HTTP/2 otherwise.
func (c *counters) socketIn(tls bool) uint64 {
	if tls {
		return c.TLSIn.Bytes
	}
	return c.H2In.Bytes
}

func (c *counters) socketOut(tls bool) uint64 {
	if tls {
		return c.TLSOut.Bytes
	}
	return c.H2Out.Bytes
}

// Window states of a collector.
const (
	windowBefore = iota
	windowActive
	windowEnded
)

// connRecord is one client socket's place in the TCP_INFO accounting.
type connRecord struct {
	sys      syscall.RawConn
	conn     *wire.Conn // its counting wrapper, for paired readings
	ipv6     bool
	base     tcpSample // TCP_INFO at the window start (zero if opened in it)
	inWindow bool
}

// collector owns the byte accounting of every client connection and the
// TCP_INFO readings that bracket the measurement window.
type collector struct {
	tls    bool
	shards [numShards]shard
	nextID atomic.Uint64

	mu      sync.Mutex
	live    map[*connRecord]struct{}
	window  int
	closedT tcpTotals // deltas of sockets closed inside the window

	opened, closed atomic.Int64
}

func newCollector(tls bool) *collector {
	return &collector{tls: tls, live: make(map[*connRecord]struct{})}
}

// load copies every shard under all their locks at once.
func (c *collector) load() counters {
	c.lockShards()
	defer c.unlockShards()
	return c.loadLocked()
}

func (c *collector) lockShards() {
	for i := range c.shards {
		c.shards[i].mu.Lock()
	}
}

func (c *collector) unlockShards() {
	for i := range c.shards {
		c.shards[i].mu.Unlock()
	}
}

// loadLocked sums the shards; the caller holds every shard lock.
func (c *collector) loadLocked() counters {
	var t counters
	for i := range c.shards {
		s := &c.shards[i]
		t.H2In.Add(&s.h2In)
		t.H2Out.Add(&s.h2Out)
		t.TLSIn.Add(&s.tlsIn)
		t.TLSOut.Add(&s.tlsOut)
	}
	return t
}

// countedConn is a client's TCP connection with its counting wrapper.
type countedConn struct {
	*wire.Conn
	shard *shard
}

// wrap starts accounting for a freshly dialed socket. Over TLS the socket
// carries records; the HTTP/2 view is added by wrapTLS after the handshake.
func (c *collector) wrap(raw net.Conn) *countedConn {
	sh := &c.shards[c.nextID.Add(1)%numShards]
	rec := &connRecord{sys: rawConnOf(raw)}
	if a, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		rec.ipv6 = a.IP.To4() == nil
	}
	c.register(rec)
	var in, out wire.Feeder
	if c.tls {
		in, out = wire.NewTLSDecoder(&sh.tlsIn), wire.NewTLSDecoder(&sh.tlsOut)
	} else {
		in, out = wire.NewH2Decoder(&sh.h2In, false), wire.NewH2Decoder(&sh.h2Out, true)
	}
	wc := wire.NewConn(raw, &sh.mu, in, out, func() { c.unregister(rec) })
	rec.conn = wc
	return &countedConn{Conn: wc, shard: sh}
}

// wrapTLS decodes the plaintext of a TLS connection as HTTP/2, into the
// same shard as its socket.
func (c *collector) wrapTLS(raw net.Conn, plain net.Conn) net.Conn {
	sh := &c.shards[0]
	if cc, ok := raw.(*countedConn); ok {
		sh = cc.shard
	}
	return wire.NewConn(plain, &sh.mu, wire.NewH2Decoder(&sh.h2In, false), wire.NewH2Decoder(&sh.h2Out, true), nil)
}

// read reads the socket's TCP_INFO and, right after, its counting
// connection's byte totals: paired per socket, the two views differ only by
// a read or write in the instant between them.
func (rec *connRecord) read() (tcpSample, error) {
	if rec.conn == nil {
		return readTCPInfo(rec.sys)
	}
	// Bracket the syscall: if the counters moved during it, a read or
	// write landed in between and the pair is retaken.
	for try := 0; ; try++ {
		r0, w0 := rec.conn.Totals()
		s, err := readTCPInfo(rec.sys)
		r1, w1 := rec.conn.Totals()
		if err != nil || (r0 == r1 && w0 == w1) || try == 3 {
			s.ConnRead, s.ConnWritten = r1, w1
			return s, err
		}
	}
}

func (c *collector) register(rec *connRecord) {
	c.opened.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live[rec] = struct{}{}
	// Opened inside the window: all of its traffic belongs to it.
	rec.inWindow = c.window == windowActive
}

// unregister runs before the socket closes, while TCP_INFO can be read.
func (c *collector) unregister(rec *connRecord) {
	c.closed.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.live, rec)
	if c.window != windowActive || !rec.inWindow {
		return
	}
	s, err := rec.read()
	if err != nil {
		c.closedT.Failed++
		return
	}
	c.closedT.addWindow(rec.base, s, headerLen(rec.ipv6, s.Timestamps))
}

// startWindow reads every socket's TCP_INFO as its base and returns the
// byte counters at the start of the window.
func (c *collector) startWindow() counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	for rec := range c.live {
		s, err := rec.read()
		rec.inWindow = err == nil
		rec.base = s
	}
	c.window = windowActive
	return c.load()
}

// endWindow returns the byte counters at the end of the window and the
// TCP_INFO deltas of every socket over it.
func (c *collector) endWindow() (counters, tcpTotals) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.closedT
	for rec := range c.live {
		if !rec.inWindow {
			t.Failed++
			continue
		}
		s, err := rec.read()
		if err != nil {
			t.Failed++
			continue
		}
		t.addWindow(rec.base, s, headerLen(rec.ipv6, s.Timestamps))
	}
	c.window = windowEnded
	return c.load(), t
}
