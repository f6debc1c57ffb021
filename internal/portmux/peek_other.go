//go:build !unix

package portmux

import "net"

// Peeks reports whether this platform peeks at plaintext connections: not
// here, so native gRPC connections pin grpc-go's 32 KiB read buffer.
const Peeks = false

// newPeeker reports that this platform cannot peek: the router reads and
// replays instead, and native gRPC connections then pin grpc-go's 32 KiB
// read buffer (see the package doc).
func newPeeker(net.Conn, int) (source, bool) { return nil, false }
