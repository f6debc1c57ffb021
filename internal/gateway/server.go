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
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// MaxUserIDBytes bounds a Subscribe request's user_id: the filter is held
// for the stream's life, and without a bound a client could pin a request's
// worth (up to the server's largest message) per stream.
const MaxUserIDBytes = 1024

// MaxEventIDBytes bounds a Subscribe request's last_event_id. Event ids are
// backend cursors (33 bytes today); the bound leaves room for the format to
// grow and keeps a client from making the gateway hash a megabyte.
const MaxEventIDBytes = 256

// errShuttingDown ends every client stream when the server closes.
var errShuttingDown = status.Error(codes.Unavailable, "gateway shutting down")

// errHandlerDone ends a client whose handler has returned, which stops its
// drain goroutine.
var errHandlerDone = errors.New("client stream ended")

// Server implements gatewayv1.GatewayServer. Events enter through Dispatch
// (or Consume, which feeds Dispatch from the backend) and leave through the
// client streams that Subscribe (or Serve, for other protocols) serves.
type Server struct {
	gatewayv1.UnimplementedGatewayServer

	cfg   Config
	pub   ed25519.PublicKey
	m     instruments
	log   *zap.Logger
	clock clock.Clock

	// dispatchMu serializes Dispatch calls, so only one at a time waits
	// on clients (the pacer is one wait).
	dispatchMu sync.Mutex

	mu      sync.RWMutex
	win     *window
	byUser  map[string][]*client // by user filter; "" holds the every-event clients
	pinned  uint64               // at most the smallest next of busy clients; see evictLocked
	closed  bool
	closing chan struct{} // closed by Close
	pace    pacer
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
		clock:   cfg.Clock,
		win:     newWindow(cfg.ReplayEvents, cfg.ReplayBytes, cfg.ReplayAge),
		byUser:  make(map[string][]*client),
		closing: make(chan struct{}),
		pace:    pacer{wake: make(chan struct{}, 1)},
	}, nil
}

// PublicKey returns the public half of the signing key, which verifies every
// event this server sends (tail --verify-key).
func (s *Server) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), s.pub...)
}

// Subscribe serves one gRPC client stream; see Serve.
func (s *Server) Subscribe(req *gatewayv1.SubscribeRequest, stream grpc.ServerStreamingServer[gatewayv1.GatewayEvent]) error {
	return s.Serve(req, grpcStream{stream})
}

// Serve serves one client stream, whatever protocol carries it: events for
// req's user (every event when user_id is empty), starting live, or after
// req's last_event_id from the window, with a heartbeat after each silence.
// The response header says where the stream started (galaxy-start, and
// galaxy-resume-cursor: the event id to resume from if the stream breaks
// before its first event). It returns when the client goes away, a send
// fails, the client is too slow (ResourceExhausted), or the server closes
// (Unavailable). An over-long user_id or last_event_id is InvalidArgument.
func (s *Server) Serve(req *gatewayv1.SubscribeRequest, st ClientStream) error {
	if n := len(req.GetUserId()); n > MaxUserIDBytes {
		return status.Errorf(codes.InvalidArgument, "user_id is %d bytes, over the limit of %d bytes", n, MaxUserIDBytes)
	}
	if n := len(req.GetLastEventId()); n > MaxEventIDBytes {
		return status.Errorf(codes.InvalidArgument, "last_event_id is %d bytes, over the limit of %d bytes", n, MaxEventIDBytes)
	}
	ctx := st.Context()
	c := &client{user: req.GetUserId(), peer: st.Peer(), conn: ConnFromContext(ctx), done: make(chan struct{})}
	md, err := s.register(c, req.GetLastEventId())
	if err != nil {
		return err
	}
	s.m.active.Add(context.Background(), 1)
	defer func() {
		s.finish(c)
		s.m.active.Add(context.Background(), -1)
	}()

	// The header tells the client that it is registered: every event
	// dispatched from then on reaches it.
	if err := st.SendHeader(md); err != nil {
		return err
	}
	c.hb = NewHeartbeatStream(st.Send, HeartbeatConfig{
		Interval: s.cfg.Heartbeat,
		Clock:    s.clock,
		Counter:  s.m.heartbeats,
		OnError:  func(err error) { s.endClient(c, err) },
	})
	defer c.hb.Stop()
	s.release(c)

	select {
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	case <-s.closing:
		return errShuttingDown
	case <-c.done:
		err := c.err()
		if _, ok := status.FromError(err); !ok {
			s.log.Debug("client stream send failed", zap.String("peer", c.peer), zap.String("user_filter", c.user), zap.Error(err))
		}
		return err
	}
}

// Close ends every client stream with Unavailable, refuses new ones, and
// releases a Dispatch that waits on a client; it is idempotent. It does not
// wait for the handlers: the gRPC server's Stop or GracefulStop does.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.closing)
}
