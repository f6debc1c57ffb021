package loadgen

import (
	"context"
	"net"
	"net/netip"
)

// netDial is the default Config.Dial: Go's dialer, with its defaults
// (TCP_NODELAY, keepalive every 15 s) that both engines' wire behaviour
// depends on. Bound to a source address, the port is chosen at connect
// time (bindNoPort), so each source address carries as many connections
// as there are ports per destination, not per address.
func netDial(ctx context.Context, local netip.Addr, addr string) (net.Conn, error) {
	var d net.Dialer
	if local.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0))
		d.Control = bindNoPort
	}
	return d.DialContext(ctx, "tcp", addr)
}
