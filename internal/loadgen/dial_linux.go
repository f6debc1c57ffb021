//go:build linux

package loadgen

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT before the dialer binds to a
// source address: without it, bind reserves an ephemeral port for every
// destination at once, capping an address at one port range (28,232
// here) of connections, and TIME_WAIT ports of earlier runs stay taken.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
