// Package gateway is the client-facing service of the galaxy push pipeline:
// it consumes the backend through the subscriber, signs each event once, and
// fans it out to client Subscribe streams through a bounded queue per
// client. Each client stream is wrapped in a HeartbeatStream, so an idle
// stream gets a 19-byte heartbeat after every silence of one interval and
// survives proxy and browser idle timeouts.
package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// MaxUserIDBytes bounds a Subscribe request's user_id: the filter is held
// for the stream's life, and without a bound a client could pin a request's
// worth (up to the server's largest message) per stream.
const MaxUserIDBytes = 1024

// errShuttingDown ends every client stream when the server closes.
var errShuttingDown = status.Error(codes.Unavailable, "gateway shutting down")

// errHandlerDone ends a client whose handler has returned, which stops its
// drain goroutine.
var errHandlerDone = errors.New("client stream ended")

// Server implements gatewayv1.GatewayServer. Events enter through Dispatch
// (or Consume, which feeds Dispatch from the backend) and leave through the
// client streams that Subscribe serves.
type Server struct {
	gatewayv1.UnimplementedGatewayServer

	cfg Config
	pub ed25519.PublicKey
	m   instruments
	log *zap.Logger

	mu      sync.RWMutex
	byUser  map[string][]*client // by user filter; "" holds the every-event clients
	closed  bool
	closing chan struct{} // closed by Close
}

// New validates cfg and returns a Server with no clients yet.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("gateway config: %w", err)
	}
	in, err := newInstruments(cfg.Meter)
	if err != nil {
		return nil, fmt.Errorf("gateway metrics: %w", err)
	}
	return &Server{
		cfg:     cfg,
		pub:     cfg.SigningKey.Public().(ed25519.PublicKey),
		m:       in,
		log:     cfg.Logger,
		byUser:  make(map[string][]*client),
		closing: make(chan struct{}),
	}, nil
}

// PublicKey returns the public half of the signing key, which verifies every
// event this server sends (tail --verify-key).
func (s *Server) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), s.pub...)
}

// Subscribe serves one client stream: events for req's user (every event
// when user_id is empty) from the moment the response header is sent, with a
// heartbeat after each silence. It returns when the client goes away, a send
// fails, the client falls behind (ResourceExhausted), or the server closes
// (Unavailable). A user_id over MaxUserIDBytes is InvalidArgument.
func (s *Server) Subscribe(req *gatewayv1.SubscribeRequest, stream grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	if n := len(req.GetUserId()); n > MaxUserIDBytes {
		return status.Errorf(codes.InvalidArgument, "user_id is %d bytes, over the limit of %d bytes", n, MaxUserIDBytes)
	}
	// An explicit header tells the client that it is registered: every event
	// dispatched from then on reaches it.
	header := func() error { return stream.SendHeader(metadata.MD{}) }
	return s.serve(stream.Context(), req.GetUserId(), header, stream.Send)
}

// serve is Subscribe over plain functions, which tests and benchmarks drive
// without gRPC. header runs once the client is registered, before any send.
func (s *Server) serve(ctx context.Context, user string, header func() error, send func(*gatewayv1.GatewayEvent) error) error {
	// draining starts true: events may queue once registered, but none is
	// sent until the header is out and the heartbeat stream exists.
	c := &client{user: user, done: make(chan struct{}), draining: true}
	if !s.register(c) {
		return errShuttingDown
	}
	s.m.active.Add(context.Background(), 1)
	defer func() {
		c.end(errHandlerDone)
		s.unregister(c)
		s.m.active.Add(context.Background(), -1)
	}()

	if err := header(); err != nil {
		return err
	}
	c.hb = NewHeartbeatStream(send, HeartbeatConfig{
		Interval: s.cfg.Heartbeat,
		Clock:    s.cfg.Clock,
		Counter:  s.m.heartbeats,
		OnError:  c.end,
	})
	defer c.hb.Stop()
	s.release(c)

	select {
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	case <-s.closing:
		return errShuttingDown
	case <-c.done:
		c.mu.Lock()
		err := c.endErr
		c.mu.Unlock()
		if _, ok := status.FromError(err); !ok {
			s.log.Debug("client stream send failed", zap.String("user_filter", c.user), zap.Error(err))
		}
		return err
	}
}

// Close ends every client stream with Unavailable and refuses new ones; it
// is idempotent. It does not wait for the handlers: the gRPC server's Stop
// or GracefulStop does.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.closing)
}
