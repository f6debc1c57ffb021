package cli

import (
	"net"
	"strconv"
)

// checkHostPort validates a HOST:PORT flag value up front, so a bad port is
// a usage error naming the flag rather than a dial that retries forever.
// Listen addresses may use port 0 (pick a free one); dial targets may not.
func checkHostPort(flag, v string, listen bool) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return usagef("%s %q is not HOST:PORT: %v", flag, v, stripAddrErr(err))
	}
	n, err := strconv.Atoi(port)
	lo := 1
	if listen {
		lo = 0
	}
	if err != nil || n < lo || n > 65535 {
		return usagef("%s %q: the port must be a number from %d to 65535", flag, v, lo)
	}
	return nil
}
