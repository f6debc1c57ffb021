package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// readBufferSize is the HTTP/2 read buffer of each client connection.
// grpc-go's default (32 KiB) would be most of an idle client's memory;
// heartbeats are 33 bytes, so a small buffer costs nothing on the wire.
const readBufferSize = 4 << 10

// grpcEngine runs the clients on real grpc-go ClientConns, one per
// connection, a goroutine per stream receiving: the ground truth of the
// grpc-go profiles. Every socket is a counting connection.
type grpcEngine struct{ r *runner }

// grpcConn is a ClientConn in the pool; grpc-go reconnects it by itself.
type grpcConn struct{ *grpc.ClientConn }

func (grpcConn) Usable() bool { return true }

// sourceAddr is the local address connection g binds to, if any.
func (r *runner) sourceAddr(g int) netip.Addr {
	if len(r.cfg.SourceAddrs) == 0 {
		return netip.Addr{}
	}
	return r.cfg.SourceAddrs[g%len(r.cfg.SourceAddrs)]
}

// dialOptions are the grpc options of connection number conn.
func (e grpcEngine) dialOptions(conn int) []grpc.DialOption {
	r := e.r
	cfg := r.cfg
	local := r.sourceAddr(conn)
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
	if cfg.Profile == ProfileGRPCGoStatic {
		// Either option alone turns grpc-go's BDP estimator off.
		opts = append(opts,
			grpc.WithInitialWindowSize(cfg.StaticWindow),
			grpc.WithInitialConnWindowSize(cfg.StaticWindow))
	}
	return opts
}

// newConn creates the (lazy) grpc connection for connection number g;
// passthrough keeps Addr away from name resolution, so the dialer sees
// exactly what the user gave.
func (e grpcEngine) newConn(_ context.Context, g int) (poolConn, error) {
	cc, err := grpc.NewClient("passthrough:///"+e.r.cfg.Addr, e.dialOptions(g)...)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", e.r.cfg.Addr, err)
	}
	return grpcConn{cc}, nil
}

// open opens client i's stream on c. The stream outlives the attempt, so
// its bound is a timer that cancels it, not the attempt's deadline.
func (e grpcEngine) open(ctx, _ context.Context, c poolConn, i int) (func(), error) {
	r := e.r
	streamCtx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(r.cfg.ConnectTimeout, cancel)
	stream, err := gatewayv1.NewGatewayClient(c.(grpcConn).ClientConn).Subscribe(streamCtx, &gatewayv1.SubscribeRequest{UserId: r.cfg.UserID(i)})
	if err == nil {
		err = awaitHeader(stream)
	}
	if !timer.Stop() {
		// The timer cancelled the stream, whatever came of it.
		err = ctx.Err()
		if err == nil {
			err = status.Errorf(codes.DeadlineExceeded, "no response header within %s: the server did not open the stream (its limit of concurrent streams per connection reached?)", r.cfg.ConnectTimeout)
		}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return func() {
		defer cancel()
		ev := new(gatewayv1.GatewayEvent)
		for {
			if err := stream.RecvMsg(ev); err != nil {
				if ctx.Err() == nil {
					r.streamEnded(i, err)
				}
				return
			}
			r.message(i, isHeartbeatEvent(ev), r.cfg.Clock.Now())
		}
	}, nil
}

// close leaves the connections to the pool, which closes them.
func (grpcEngine) close() {}

// awaitHeader waits for stream's response header. A stream that ends
// before sending one (the server refused it) yields its status, which
// grpc hands out through RecvMsg only.
func awaitHeader(stream grpc.ServerStreamingClient[gatewayv1.GatewayEvent]) error {
	md, err := stream.Header()
	if err != nil || md != nil {
		return err
	}
	if err := stream.RecvMsg(new(gatewayv1.GatewayEvent)); err != nil {
		return err
	}
	return status.Error(codes.Internal, "stream ended before its response header")
}

// isHeartbeatEvent is the application's view of a heartbeat: only
// event_type set, to the heartbeat type.
func isHeartbeatEvent(ev *gatewayv1.GatewayEvent) bool {
	return ev.GetEventType() == gatewayv1.HeartbeatEventType && ev.GetEventId() == "" &&
		ev.GetUserId() == "" && len(ev.GetPayload()) == 0 && ev.GetCreatedAt() == nil &&
		len(ev.GetSignature()) == 0
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
