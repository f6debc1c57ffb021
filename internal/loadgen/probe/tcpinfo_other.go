//go:build !linux

package probe

import (
	"errors"
	"syscall"
)

// TCPInfoSupported is whether ReadTCPInfo can work on this system: only
// Linux has TCP_INFO with the counters bench reads.
const TCPInfoSupported = false

// ReadTCPInfo fails: TCP_INFO is only read on Linux.
func ReadTCPInfo(syscall.RawConn) (TCPSample, error) {
	return TCPSample{}, errors.New("tcp_info: only read on Linux")
}
