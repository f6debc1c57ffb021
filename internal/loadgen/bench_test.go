package loadgen

import (
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// heartbeatFrame is the 33 bytes of one heartbeat on the wire.
var heartbeatFrame = []byte{
	0, 0, 24, 0, 0, 0, 0, 0, 1, // DATA, 24 bytes, stream 1
	0, 0, 0, 0, 19, // gRPC prefix
	0x0a, 17, 'g', 'a', 't', 'e', 'w', 'a', 'y', '.', 'h', 'e', 'a', 'r', 't', 'b', 'e', 'a', 't',
}

// nopConn reads heartbeats forever.
type nopConn struct{ net.Conn }

func (nopConn) Read(p []byte) (int, error)  { return copy(p, heartbeatFrame), nil }
func (nopConn) Write(p []byte) (int, error) { return len(p), nil }
func (nopConn) Close() error                { return nil }
func (nopConn) RemoteAddr() net.Addr        { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// BenchmarkCountedRead is the per-read hot path through the collector's
// counting connection: read, lock the shard, decode, unlock.
func BenchmarkCountedRead(b *testing.B) {
	col := newCollector(false, false)
	c := col.wrap(nopConn{})
	buf := make([]byte, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(heartbeatFrame)))
	for b.Loop() {
		c.Read(buf)
	}
	if got := col.load().H2In.Heartbeats; got == 0 {
		b.Fatal("no heartbeats counted")
	}
}

// BenchmarkCountedReadParallel reads from many connections at once, as
// the clients' goroutines do.
func BenchmarkCountedReadParallel(b *testing.B) {
	col := newCollector(false, false)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := col.wrap(nopConn{})
		buf := make([]byte, 4096)
		for pb.Next() {
			c.Read(buf)
		}
	})
}

// BenchmarkCollectorLoad is the aggregation behind every snapshot and the
// window's edges: a consistent copy of all shards.
func BenchmarkCollectorLoad(b *testing.B) {
	col := newCollector(false, false)
	for range 1000 {
		c := col.wrap(nopConn{})
		c.Read(make([]byte, 64))
	}
	b.ReportAllocs()
	for b.Loop() {
		col.load()
	}
}

// BenchmarkSnapshot is one whole live snapshot of a run of 10,000 clients
// with a filled gap histogram.
func BenchmarkSnapshot(b *testing.B) {
	cfg, err := Config{Addr: "127.0.0.1:1", Clients: 10_000, ExpectedInterval: 15 * time.Second}.withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	r, err := newRunner(cfg)
	if err != nil {
		b.Fatal(err)
	}
	r.tally.connectFailed(status.Error(codes.Unavailable, "refused"))
	r.started = time.Now()
	r.phases.set(phaseMark{phase: PhaseMeasure, start: r.started})
	for i := range 10_000 {
		r.gaps.record(15*time.Second + time.Duration(i)*time.Microsecond)
	}
	var s rates
	b.ReportAllocs()
	for b.Loop() {
		r.snapshot(&s, nil)
	}
}

func TestCollectorWindow(t *testing.T) {
	col := newCollector(false, false)
	a := col.wrap(nopConn{})
	buf := make([]byte, 64)
	a.Read(buf)
	period, base := col.startPeriod()
	b := col.wrap(nopConn{}) // opened inside the window
	a.Read(buf)
	b.Read(buf)
	if cur, _, ok := col.sample(period); !ok || cur.Sub(base).H2In.Heartbeats != 2 {
		t.Errorf("sample(window) = %v heartbeats, ok %v; want 2, true", cur.Sub(base).H2In.Heartbeats, ok)
	}
	if _, _, ok := col.sample(period - 1); ok {
		t.Errorf("sample(an earlier period) ok = true, want false")
	}
	b.Close()
	end, tcp := col.endWindow()
	if _, _, ok := col.sample(period); ok {
		t.Errorf("sample(window) after its end ok = true, want false")
	}
	d := end.Sub(base)
	if d.H2In.Heartbeats != 2 || d.H2In.Bytes != 66 || d.H2In.Residual() != 0 {
		t.Errorf("window delta heartbeats %d bytes %d residual %d, want 2 66 0", d.H2In.Heartbeats, d.H2In.Bytes, d.H2In.Residual())
	}
	// Neither conn is a socket: no TCP_INFO, and each is counted as such.
	if tcp.Sockets != 0 || tcp.Failed != 2 {
		t.Errorf("window tcp sockets %d failed %d, want 0 2", tcp.Sockets, tcp.Failed)
	}
	if col.opened.Load() != 2 || col.closed.Load() != 1 {
		t.Errorf("opened %d closed %d, want 2 1", col.opened.Load(), col.closed.Load())
	}
}
