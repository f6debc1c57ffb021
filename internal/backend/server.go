package backend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Server is the Push service over one freshness-window ring. It is safe for
// concurrent use. Close it to end its streams.
type Server struct {
	pushv1.UnimplementedPushServer

	cfg Config
	inc uint64
	in  instruments
	reg metric.Registration
	log *zap.Logger

	mu     sync.Mutex
	ring   *ring
	subs   map[string]*subscription // live subscriptions by gateway_client_id
	closed bool
}

var _ pushv1.PushServer = (*Server)(nil)

// errShuttingDown ends every stream at Close; Unavailable tells a
// subscriber to reconnect, to this backend's successor.
var errShuttingDown = status.Error(codes.Unavailable, "backend shutting down")

// New returns a Server for cfg, with a random incarnation unless
// cfg.Incarnation is set.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	in, err := newInstruments(cfg.Meter)
	if err != nil {
		return nil, err
	}
	inc := cfg.Incarnation
	for inc == 0 {
		inc = rand.Uint64()
	}
	s := &Server{
		cfg:  cfg,
		inc:  inc,
		in:   in,
		log:  cfg.Logger.With(zap.String("incarnation", fmt.Sprintf("%016x", inc))),
		ring: newRing(cfg.MaxEvents),
		subs: make(map[string]*subscription),
	}
	// Evicting in the callback keeps the gauge true at every scrape, even
	// when nothing has been published or read for longer than MaxAge.
	s.reg, err = cfg.Meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(in.ring, int64(s.Len()))
		return nil
	}, in.ring)
	if err != nil {
		return nil, fmt.Errorf("instrument %s: register callback: %w", ringName, err)
	}
	return s, nil
}

// Incarnation returns the identifier of this backend's lifetime, as embedded
// in its cursors.
func (s *Server) Incarnation() uint64 { return s.inc }

// Close ends every subscription with Unavailable and refuses new ones and
// Publish calls. Append still works, so an in-process publisher racing with
// shutdown needs no error path. Close is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, sub := range s.subs {
		s.endLocked(sub, errShuttingDown)
	}
	s.mu.Unlock()
	if err := s.reg.Unregister(); err != nil {
		return fmt.Errorf("unregister %s callback: %w", ringName, err)
	}
	return nil
}

// Stats is a snapshot of a Server.
type Stats struct {
	// Incarnation is the server's incarnation.
	Incarnation uint64
	// Events is how many events the ring holds, after evicting the expired.
	Events int
	// Oldest is the sequence number of the oldest event held, or Next when
	// the ring is empty.
	Oldest uint64
	// Next is the sequence number the next event gets: one more than the
	// last published.
	Next uint64
	// Subscriptions is the number of live subscriptions.
	Subscriptions int
}

// Stats evicts the expired events and returns a snapshot.
func (s *Server) Stats() Stats {
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	return Stats{
		Incarnation:   s.inc,
		Events:        s.ring.n,
		Oldest:        s.ring.oldest(),
		Next:          s.ring.next,
		Subscriptions: len(s.subs),
	}
}

// Len evicts the expired events and returns how many the ring holds.
func (s *Server) Len() int { return s.Stats().Events }

// expireLocked evicts the events older than MaxAge at now, and drops the
// subscribers whose next event went with them.
func (s *Server) expireLocked(now time.Time) {
	n := s.ring.expire(now.Add(-s.cfg.MaxAge))
	if n == 0 {
		return
	}
	s.in.evictedAge(n)
	oldest := s.ring.oldest()
	for _, sub := range s.subs {
		if sub.next < oldest {
			s.dropLocked(sub)
		}
	}
}

// dropLocked ends sub because it fell behind. The count it reports is every
// published event it has not been sent, replay included: what resuming from
// its last cursor will bring it.
func (s *Server) dropLocked(sub *subscription) {
	behind := s.ring.next - sub.sent.Load()
	s.in.drops.Add(context.Background(), 1)
	s.log.Warn("dropping slow subscriber",
		zap.String("gateway_client_id", sub.id),
		zap.Uint64("behind", behind),
		zap.Int("max_lag", s.cfg.MaxLag))
	s.endLocked(sub, status.Errorf(codes.ResourceExhausted,
		"subscriber fell %d events behind; resume from your last cursor", behind))
}
