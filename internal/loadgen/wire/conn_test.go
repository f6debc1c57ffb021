package wire

import (
	"io"
	"net"
	"sync"
	"testing"
)

func TestConnCounts(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	var (
		mu      sync.Mutex
		in, out H2Stats
		closed  int
	)
	c := NewConn(client, &mu, NewH2Decoder(&in, false), NewH2Decoder(&out, true), func() { closed++ })

	hb := frame(frameData, 0, 1, grpcMsg(0, heartbeatBytes(t)))
	go func() {
		// Two heartbeats in three writes, cut mid-header and mid-message.
		both := concat(hb, hb)
		server.Write(both[:4])
		server.Write(both[4:40])
		server.Write(both[40:])
		io.ReadFull(server, make([]byte, PrefaceLen+17))
	}()
	buf := make([]byte, 66)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(concat([]byte(ClientPreface), frame(framePing, 0, 0, make([]byte, 8)))); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	mu.Lock()
	defer mu.Unlock()
	if in.Bytes != 66 || in.Heartbeats != 2 || in.Residual() != 0 {
		t.Errorf("Conn read stats bytes %d heartbeats %d residual %d, want 66 2 0", in.Bytes, in.Heartbeats, in.Residual())
	}
	if out.Bytes != PrefaceLen+17 || out.Frames[KindPing] != 1 {
		t.Errorf("Conn write stats bytes %d pings %d, want %d 1", out.Bytes, out.Frames[KindPing], PrefaceLen+17)
	}
	if closed != 1 {
		t.Errorf("onClose ran %d times, want 1", closed)
	}
}
