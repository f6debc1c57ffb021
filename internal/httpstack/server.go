// Package httpstack is the net/http side of serve's port: everything but
// native gRPC connections (see internal/portmux). It serves the gateway's
// Subscribe through connect-go in the Connect, gRPC-Web and gRPC protocols
// with the proto and JSON codecs, over HTTP/1.1 and HTTP/2; gRPC health and
// reflection; CORS for the browser origins allowed; the signing key at a
// well-known path; and, when asked, the operator's page from web/.
//
// The limits are the grpc-go stack's, mapped onto net/http (Limits); what
// differs is documented in the README's limits table. Two settings matter
// more than they look: http.Server.WriteTimeout stays zero, since it would
// end every stream after it, and connect-go compresses only messages of
// CompressMinBytes or more, so no client can ask for gzipped heartbeats
// (43 bytes instead of 19).
package httpstack

import (
	"crypto/ed25519"
	"net/http"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/health"
)

// CompressMinBytes is the smallest message connect-go compresses when the
// client accepts gzip: heartbeats and typical events stay plain.
const CompressMinBytes = 1 << 10

// Limits bound what one client can make the net/http stack hold; they
// mirror the grpc-go stack's.
type Limits struct {
	// MaxRecvBytes is the largest request message (connect-go's
	// WithReadMaxBytes; decided from the envelope's prefix, so nothing
	// larger is buffered).
	MaxRecvBytes int
	// MaxHeaderBytes is http.Server.MaxHeaderBytes: HTTP/1.1 request
	// headers, and HTTP/2's advertised SETTINGS_MAX_HEADER_LIST_SIZE.
	MaxHeaderBytes int
	// MaxStreamsPerConn is HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS.
	MaxStreamsPerConn int
	// HandshakeTimeout bounds reading an HTTP/1.1 request's headers
	// (ReadHeaderTimeout); the router bounds TLS and the HTTP/2 preface.
	HandshakeTimeout time.Duration
	// IdleTimeout closes an HTTP/1.1 keep-alive connection between
	// requests, and an HTTP/2 connection without streams.
	IdleTimeout time.Duration
	// KeepaliveTime and KeepaliveTimeout: on HTTP/2 the server pings a
	// connection it has heard nothing from for KeepaliveTime and closes it
	// without an answer within KeepaliveTimeout.
	KeepaliveTime    time.Duration
	KeepaliveTimeout time.Duration
	// SendTimeout bounds one message's write to a client stream: a client
	// that accepts nothing for this long has its stream (HTTP/2) or
	// connection (HTTP/1.1) closed, so it holds nothing after.
	SendTimeout time.Duration
}

// Config is what the stack serves. Gateway nil serves no Subscribe (a
// backend alone): health and reflection remain.
type Config struct {
	// Gateway serves the Subscribe streams; PublicKey verifies its events
	// and is served at SigningKeyPath.
	Gateway   Gateway
	PublicKey ed25519.PublicKey
	// Health is grpc-go's health service, which the net/http side answers
	// from too, so both stacks say the same.
	Health *health.Server
	// CORSOrigins are the browser origins allowed to call from another
	// origin (scheme://host[:port], or "*"); none by default.
	CORSOrigins []string
	// Web serves the operator's page at "/".
	Web    bool
	Limits Limits
	// Logger receives what net/http itself logs; nil discards it.
	Logger *zap.Logger
}

// New returns the http.Server to serve on the router's HTTP listener, with
// the limits set and the handler built.
func New(cfg Config) (*http.Server, error) {
	h, err := Handler(cfg)
	if err != nil {
		return nil, err
	}
	l := cfg.Limits
	var p http.Protocols
	p.SetHTTP1(true)
	// HTTP/2 reaches this server with prior knowledge: plaintext h2c, and
	// TLS connections the router has decrypted.
	p.SetUnencryptedHTTP2(true)
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	errLog, err := zap.NewStdLogAt(log.Named("http"), zap.DebugLevel)
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Handler:           h,
		Protocols:         &p,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ReadHeaderTimeout: l.HandshakeTimeout,
		IdleTimeout:       l.IdleTimeout,
		// No WriteTimeout: it would end every stream after it.
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: l.MaxStreamsPerConn,
			SendPingTimeout:      l.KeepaliveTime,
			PingTimeout:          l.KeepaliveTimeout,
			// A Subscribe request is one small message: a stream need not
			// buffer the default 1 MiB of request body.
			MaxReceiveBufferPerStream: 64 << 10,
		},
		ErrorLog: errLog,
	}, nil
}
