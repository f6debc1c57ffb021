package loadgen

import (
	"net"
	"testing"
)

// BenchmarkLiveSweep is the TCP_INFO half of one live rebuild over 2,000
// real loopback sockets: a read of every socket's TCP_INFO and queue
// levels, and the byte counters. Its time per socket, times 100,000,
// is what the live view costs at that scale (once a second at most, and
// less often when it takes more than a tenth of that).
func BenchmarkLiveSweep(b *testing.B) {
	const n = 2000
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer lis.Close()
	accepted := make(chan net.Conn, n)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	col := newCollector(false, false)
	var conns []net.Conn
	for range n {
		c, err := net.Dial("tcp", lis.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, col.wrap(c), <-accepted)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	period, _ := col.startPeriod()
	b.ResetTimer()
	for b.Loop() {
		if _, t, ok := col.sample(period); !ok || t.Sockets != n {
			b.Fatalf("sample() = %d sockets, ok %v; want %d", t.Sockets, ok, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/socket")
}
