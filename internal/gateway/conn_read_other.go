//go:build !linux

package gateway

// rawReadSupported is false off Linux, where grpc-go does not read raw
// sockets either: a tracked connection there reads through one buffer.
const rawReadSupported = false

func rawRead(uintptr, []byte) (int, error) { return 0, nil }

func wouldBlock(error) bool { return false }
