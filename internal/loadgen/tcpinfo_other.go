//go:build !linux

package loadgen

import (
	"errors"
	"syscall"
)

const tcpInfoSupported = false

func readTCPInfo(syscall.RawConn) (tcpSample, error) {
	return tcpSample{}, errors.New("tcp_info: only read on Linux")
}
