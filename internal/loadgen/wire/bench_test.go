package wire

import (
	"sync"
	"testing"
)

// BenchmarkH2DecoderHeartbeat is the per-read hot path: one 33-byte
// heartbeat frame per Feed. It must not allocate.
func BenchmarkH2DecoderHeartbeat(b *testing.B) {
	hb := frame(frameData, 0, 1, grpcMsg(0, heartbeatBytes(b)))
	var s H2Stats
	d := NewH2Decoder(&s, false)
	b.ReportAllocs()
	b.SetBytes(int64(len(hb)))
	for b.Loop() {
		d.Feed(hb)
	}
	if s.Heartbeats == 0 {
		b.Fatal("no heartbeats decoded")
	}
}

// BenchmarkH2DecoderSplit feeds each heartbeat in two reads, cut inside
// the message, which exercises the cross-read state.
func BenchmarkH2DecoderSplit(b *testing.B) {
	hb := frame(frameData, 0, 1, grpcMsg(0, heartbeatBytes(b)))
	var s H2Stats
	d := NewH2Decoder(&s, false)
	b.ReportAllocs()
	for b.Loop() {
		d.Feed(hb[:20])
		d.Feed(hb[20:])
	}
}

// BenchmarkConnFeed is the locked feed a Conn does per read.
func BenchmarkConnFeed(b *testing.B) {
	hb := frame(frameData, 0, 1, grpcMsg(0, heartbeatBytes(b)))
	var (
		mu sync.Mutex
		s  H2Stats
	)
	c := NewConn(nil, &mu, NewH2Decoder(&s, false), NewH2Decoder(&H2Stats{}, true), nil)
	b.ReportAllocs()
	for b.Loop() {
		c.mu.Lock()
		c.in.Feed(hb)
		c.mu.Unlock()
	}
}

func TestFeedDoesNotAllocate(t *testing.T) {
	hb := frame(frameData, 0, 1, grpcMsg(0, heartbeatBytes(t)))
	ping := frame(framePing, 0, 0, make([]byte, 8))
	var s H2Stats
	d := NewH2Decoder(&s, false)
	got := testing.AllocsPerRun(1000, func() {
		d.Feed(hb[:7])
		d.Feed(hb[7:])
		d.Feed(ping)
	})
	if got != 0 {
		t.Errorf("AllocsPerRun(Feed) = %v, want 0", got)
	}
}
