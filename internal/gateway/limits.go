package gateway

import (
	"net"
	"time"

	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/keepalive"
)

// MaxHeaderListBytes bounds the header list (HTTP/2
// SETTINGS_MAX_HEADER_LIST_SIZE) that serve accepts and that galaxyctl's
// clients accept from servers. grpc-go's default is 16 MiB per stream,
// which lets one connection pin 1,024 streams × 16 MiB; 16 KiB holds a
// bearer token, the gRPC and Connect headers and a browser's usual
// cookies many times over.
const MaxHeaderListBytes = 16 << 10

// Limits bounds what one client connection can make the server hold, on
// every stack the server runs. The fields are stack-neutral: on grpc-go
// they become server options (GRPCServerOptions); on net/http they map to
// http.Server.ReadHeaderTimeout (HandshakeTimeout), IdleTimeout
// (MaxConnectionIdle), MaxHeaderBytes and http2.Server's
// MaxConcurrentStreams and MaxReadFrameSize.
type Limits struct {
	// MaxRecvBytes is the largest request message.
	MaxRecvBytes int
	// MaxStreamsPerConn is HTTP/2 MAX_CONCURRENT_STREAMS.
	MaxStreamsPerConn uint32
	// MaxConnections is how many connections are served at once; 0 means
	// no limit beyond open files. Over it, connections wait unserved in the
	// kernel's accept queue.
	MaxConnections int
	// HeaderListBytes is the largest request header list.
	HeaderListBytes uint32
	// HandshakeTimeout bounds a new connection's TLS handshake and HTTP/2
	// preface and first SETTINGS: a socket that says nothing is closed
	// after it, so silent sockets cannot hold MaxConnections' slots.
	HandshakeTimeout time.Duration
	// MaxConnectionIdle closes (GOAWAY) a connection that has had no
	// stream for this long.
	MaxConnectionIdle time.Duration
	// KeepaliveTime and KeepaliveTimeout: the server pings a connection
	// silent for KeepaliveTime and closes it without an answer within
	// KeepaliveTimeout. KeepaliveMinInterval is the most often a client
	// may ping.
	KeepaliveTime        time.Duration
	KeepaliveTimeout     time.Duration
	KeepaliveMinInterval time.Duration
}

// DefaultLimits returns serve's limits, as the README's table lists them.
func DefaultLimits() Limits {
	return Limits{
		MaxRecvBytes:         1 << 20,
		MaxStreamsPerConn:    1024,
		HeaderListBytes:      MaxHeaderListBytes,
		HandshakeTimeout:     5 * time.Second,
		MaxConnectionIdle:    time.Minute,
		KeepaliveTime:        30 * time.Second,
		KeepaliveTimeout:     10 * time.Second,
		KeepaliveMinInterval: 10 * time.Second,
	}
}

// GRPCServerOptions returns the grpc-go server options that enforce l.
// tracker (nil: none) follows the connections so that one that cannot be
// flushed is closed; creds (nil: plaintext) secures them.
func (l Limits) GRPCServerOptions(tracker *ConnTracker, creds credentials.TransportCredentials) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(l.MaxRecvBytes),
		grpc.MaxConcurrentStreams(l.MaxStreamsPerConn),
		grpc.MaxHeaderListSize(l.HeaderListBytes),
		grpc.ConnectionTimeout(l.HandshakeTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: l.MaxConnectionIdle,
			Time:              l.KeepaliveTime,
			Timeout:           l.KeepaliveTimeout,
		}),
		// Clients (tail, gateways) ping every 30 s; allow that, refuse floods.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: l.KeepaliveMinInterval, PermitWithoutStream: true}),
		// Encoding and transport buffers sized to the message, not 1 MiB
		// for anything over 32 KiB (see bufferPool).
		grpc.ForceServerCodecV2(protoCodec{}),
		experimental.BufferPool(bufferPool),
	}
	if tracker != nil {
		opts = append(opts, grpc.Creds(tracker.Credentials(creds)), grpc.StatsHandler(tracker.StatsHandler()))
	} else if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	return opts
}

// Listener applies MaxConnections to ln.
func (l Limits) Listener(ln net.Listener) net.Listener {
	if l.MaxConnections > 0 {
		return netutil.LimitListener(ln, l.MaxConnections)
	}
	return ln
}
