package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// readBufferSize is the HTTP/2 read buffer of each client connection.
// grpc-go's default (32 KiB) would be most of an idle client's memory;
// heartbeats are 33 bytes, so a small buffer costs nothing on the wire.
const readBufferSize = 4 << 10

// netDial is the default Config.Dial.
func netDial(ctx context.Context, local netip.Addr, addr string) (net.Conn, error) {
	var d net.Dialer
	if local.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0))
	}
	return d.DialContext(ctx, "tcp", addr)
}

// dialOptions are the grpc options of connection number conn.
func (r *runner) dialOptions(conn int) []grpc.DialOption {
	cfg := r.cfg
	var local netip.Addr
	if len(cfg.SourceAddrs) > 0 {
		local = cfg.SourceAddrs[conn%len(cfg.SourceAddrs)]
	}
	dialer := func(ctx context.Context, addr string) (net.Conn, error) {
		raw, err := cfg.Dial(ctx, local, addr)
		if err != nil {
			return nil, err
		}
		return r.col.wrap(raw), nil
	}
	var creds credentials.TransportCredentials
	if cfg.TLS != nil {
		creds = &countingCreds{
			TransportCredentials: credentials.NewTLS(cfg.TLS),
			wrap:                 r.col.wrapTLS,
		}
	} else {
		creds = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{
		grpc.WithContextDialer(dialer),
		grpc.WithTransportCredentials(creds),
		grpc.WithReadBufferSize(readBufferSize),
		// Each connection releases its write buffer after a flush: grpc-go
		// does this by default (WithSharedWriteBuffer, now deprecated, set
		// it), and it keeps an idle stream's memory small.
		// Our backoff decides when to retry; grpc's own only governs the
		// reconnects of a connection that already served a stream.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.DefaultConfig,
			MinConnectTimeout: cfg.ConnectTimeout,
		}),
	}
	if cfg.ClientWindow == WindowStatic {
		// Either option alone turns grpc-go's BDP estimator off.
		opts = append(opts,
			grpc.WithInitialWindowSize(cfg.StaticWindow),
			grpc.WithInitialConnWindowSize(cfg.StaticWindow))
	}
	return opts
}

// newClientConn creates the (lazy) grpc connection for connection number
// conn; passthrough keeps Addr away from name resolution, so the dialer
// sees exactly what the user gave.
func (r *runner) newClientConn(conn int) (*grpc.ClientConn, error) {
	cc, err := grpc.NewClient("passthrough:///"+r.cfg.Addr, r.dialOptions(conn)...)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", r.cfg.Addr, err)
	}
	return cc, nil
}

// countingCreds wraps TLS transport credentials: the handshake runs over
// the counting socket (so records are counted below TLS), and the TLS
// connection it returns is wrapped again so the HTTP/2 frames inside are
// decoded.
type countingCreds struct {
	credentials.TransportCredentials
	wrap func(raw, plain net.Conn) net.Conn
}

// ClientHandshake runs the inner handshake on raw and wraps the result.
func (c *countingCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err != nil {
		return nil, nil, err
	}
	return c.wrap(raw, conn), info, nil
}

// Clone clones the inner credentials.
func (c *countingCreds) Clone() credentials.TransportCredentials {
	return &countingCreds{TransportCredentials: c.TransportCredentials.Clone(), wrap: c.wrap}
}
