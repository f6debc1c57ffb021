//go:build linux

package lean

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The engine keeps the dialer's socket options through the hand-off
// (TCP_NODELAY, Go's 15 s keepalive, which grpc-go's clients have), and
// gives a browser's socket Chromium's 45 s keepalive.
func TestSocketOptions(t *testing.T) {
	for _, tc := range []struct {
		k    kind
		idle int
	}{
		{kind{ProtocolGRPC, HTTP2, CodecProto, ProfileGRPCGo, false, false}, 15},
		{kind{ProtocolConnect, HTTP2, CodecJSON, ProfileBrowser, false, false}, 45},
	} {
		addr, _ := start(t, tc.k, &gateway{interval: time.Second})
		c := newClient(t, tc.k, addr, nil)
		_, m, err := c.open(1)
		if err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		rc := m.moved
		m.mu.Unlock()
		if rc == nil {
			t.Fatal("the socket was not handed to the loop")
		}
		var idle, intvl, nodelay, keep int
		rc.Control(func(fd uintptr) {
			idle, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
			intvl, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
			nodelay, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY)
			keep, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE)
		})
		if idle != tc.idle || intvl != tc.idle || nodelay != 1 || keep != 1 {
			t.Errorf("profile %s: keepalive %v idle %d s interval %d s, TCP_NODELAY %d; want on, %d s, %d s, 1",
				tc.k.profile, keep, idle, intvl, nodelay, tc.idle, tc.idle)
		}
	}
}
