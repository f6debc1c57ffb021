//go:build linux

package gateway

import (
	"errors"
	"syscall"
)

// rawReadSupported says non-pinning reads are available: on Linux, as in
// grpc-go itself.
const rawReadSupported = true

// rawRead reads with the syscall package, as net and grpc-go do, so the
// race detector sees the same synchronisation.
func rawRead(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }

func wouldBlock(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
}
