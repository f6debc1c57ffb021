package loadgen

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
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
	mu sync.Mutex
	c  report.Counters
	_  [64]byte // keep neighbouring shards' locks off one cache line
}

// collector owns the byte accounting of every client connection (the
// counting connections' shards) and the TCP_INFO readings of its sockets
// (sockets.go).
type collector struct {
	tls    bool
	http1  bool
	shards [numShards]shard
	nextID atomic.Uint64

	socks sockets

	opened, closed atomic.Int64
}

// newCollector returns the accounting of connections with TLS or not,
// carrying HTTP/1.1 or HTTP/2.
func newCollector(tls, http1 bool) *collector {
	return &collector{tls: tls, http1: http1, socks: sockets{live: make(map[*connRecord]struct{})}}
}

// httpDecoders decode the HTTP bytes of a connection (the socket's, or
// the plaintext inside TLS) into sh's counters.
func (c *collector) httpDecoders(sh *shard) (in, out wire.Feeder) {
	if c.http1 {
		return wire.NewH1Decoder(&sh.c.H1In, true), wire.NewH1Decoder(&sh.c.H1Out, false)
	}
	return wire.NewH2Decoder(&sh.c.H2In, false), wire.NewH2Decoder(&sh.c.H2Out, true)
}

// socketDecoders decode a socket's bytes: TLS records, or HTTP.
func (c *collector) socketDecoders(sh *shard) (in, out wire.Feeder) {
	if c.tls {
		return wire.NewTLSDecoder(&sh.c.TLSIn), wire.NewTLSDecoder(&sh.c.TLSOut)
	}
	return c.httpDecoders(sh)
}

// nextShard spreads connections over the shards.
func (c *collector) nextShard() *shard { return &c.shards[c.nextID.Add(1)%numShards] }

// newRecord starts the TCP_INFO accounting of a socket.
func (c *collector) newRecord(raw net.Conn) *connRecord {
	rec := &connRecord{sys: probe.RawConnOf(raw)}
	if a, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
		rec.ipv6 = a.IP.To4() == nil
	}
	return rec
}

// track makes rec, complete with its counter, visible to sweeps.
func (c *collector) track(rec *connRecord) {
	c.opened.Add(1)
	c.socks.register(rec)
}

// untrack runs once before a socket closes.
func (c *collector) untrack(rec *connRecord) {
	c.closed.Add(1)
	c.socks.unregister(rec)
}

// load copies every shard under all their locks at once.
func (c *collector) load() report.Counters {
	for i := range c.shards {
		c.shards[i].mu.Lock()
	}
	defer func() {
		for i := range c.shards {
			c.shards[i].mu.Unlock()
		}
	}()
	var t report.Counters
	for i := range c.shards {
		t.Add(&c.shards[i].c)
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
	sh := c.nextShard()
	rec := c.newRecord(raw)
	in, out := c.socketDecoders(sh)
	wc := wire.NewConn(raw, &sh.mu, in, out, func() { c.untrack(rec) })
	// rec is complete before a sweep can see it.
	rec.ctr = wc.Counter
	c.track(rec)
	return &countedConn{Conn: wc, shard: sh}
}

// wrapTLS decodes the plaintext of a TLS connection as HTTP, into the same
// shard as its socket.
func (c *collector) wrapTLS(raw net.Conn, plain net.Conn) net.Conn {
	sh := &c.shards[0]
	if cc, ok := raw.(*countedConn); ok {
		sh = cc.shard
	}
	in, out := c.httpDecoders(sh)
	return wire.NewConn(plain, &sh.mu, in, out, nil)
}

// meter starts the accounting of a socket an engine reads and writes
// itself (package lean): the same decoders as a counting connection's,
// fed by the engine.
func (c *collector) meter(raw net.Conn) *socketMeter {
	sh := c.nextShard()
	m := &socketMeter{col: c, rec: c.newRecord(raw)}
	in, out := c.socketDecoders(sh)
	m.sock = wire.NewCounter(&sh.mu, in, out)
	if c.tls {
		in, out = c.httpDecoders(sh)
		m.plain = wire.NewCounter(&sh.mu, in, out)
	}
	m.rec.ctr = m.sock
	c.track(m.rec)
	return m
}

// socketMeter is a lean.Meter: one socket's counters and TCP_INFO record.
type socketMeter struct {
	col         *collector
	rec         *connRecord
	sock, plain *wire.Counter
}

func (m *socketMeter) BeginIO()             { m.sock.BeginIO() }
func (m *socketMeter) EndIO()               { m.sock.EndIO() }
func (m *socketMeter) SocketRead(p []byte)  { m.sock.Received(p) }
func (m *socketMeter) SocketWrote(p []byte) { m.sock.Sent(p) }
func (m *socketMeter) PlainRead(p []byte)   { m.plain.Received(p) }
func (m *socketMeter) PlainWrote(p []byte)  { m.plain.Sent(p) }

// Moved points the socket's TCP_INFO readings at the engine's descriptor;
// sweeps hold the lock, so none reads a closed one.
func (m *socketMeter) Moved(rc syscall.RawConn) {
	m.col.socks.mu.Lock()
	m.rec.sys = rc
	m.col.socks.mu.Unlock()
}

// Closing takes the socket's last reading before it closes.
func (m *socketMeter) Closing() { m.col.untrack(m.rec) }

// startPeriod opens a period (the ramp, the warm-up, the window): it reads
// every socket's TCP_INFO as its base and returns the period's number and
// the byte counters at its start. No socket opens or closes between the
// two readings.
func (c *collector) startPeriod() (int, report.Counters) {
	c.socks.mu.Lock()
	defer c.socks.mu.Unlock()
	period := c.socks.startLocked()
	return period, c.load()
}

// sample returns the byte counters now and the TCP_INFO deltas of every
// socket over period so far; ok is false once period is over.
func (c *collector) sample(period int) (_ report.Counters, _ report.TCPTotals, ok bool) {
	c.socks.mu.Lock()
	defer c.socks.mu.Unlock()
	if !c.socks.active || c.socks.period != period {
		return report.Counters{}, report.TCPTotals{}, false
	}
	t := c.socks.sumLocked()
	return c.load(), t, true
}

// endWindow closes the last period, the window, and returns the byte
// counters at its end and the TCP_INFO deltas of every socket over it.
// Sockets closed afterwards (the teardown) are counted nowhere.
func (c *collector) endWindow() (report.Counters, report.TCPTotals) {
	c.socks.mu.Lock()
	defer c.socks.mu.Unlock()
	t := c.socks.sumLocked()
	c.socks.active = false
	return c.load(), t
}
