package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"galaxy/galaxyctl/internal/clock"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// ErrStopped is what HeartbeatStream.Send returns once Stop has been called.
var ErrStopped = errors.New("heartbeat stream stopped")

// heartbeatEvent is the one heartbeat every stream sends. It is never
// modified, so sharing it costs nothing per stream and nothing per beat, and
// concurrent marshalling of it is safe.
var heartbeatEvent = &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}

// Attribute sets built once, so counting a heartbeat does not allocate.
var (
	outcomeSent  = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "sent")))
	outcomeError = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", "error")))
)

// HeartbeatConfig shapes a HeartbeatStream. Every field has a usable zero
// value, which disables heartbeats.
type HeartbeatConfig struct {
	// Interval is the silence after which a heartbeat is sent; zero or
	// negative disables heartbeats, leaving a plain serialized sender.
	Interval time.Duration
	// Clock arms the silence timer; nil means clock.System.
	Clock clock.Clock
	// Counter counts each heartbeat with attribute outcome=sent|error; nil
	// counts nothing. HeartbeatCounter makes the gateway's instrument.
	Counter metric.Int64Counter
	// OnError, if set, is called once, from the timer's goroutine, with the
	// error of the heartbeat send that failed. Heartbeats end with it; the
	// owner of the stream should end the stream too.
	OnError func(error)
}

// HeartbeatStream wraps the Send of one client stream so that a heartbeat
// goes out after every silence of one interval. It holds no goroutine: the
// silence timer is a runtime timer re-armed by each send, which is what keeps
// an idle stream cheap when a gateway holds tens of thousands of them.
//
// Send may be called from any goroutine; sends, real or heartbeat, never
// overlap, since a gRPC server stream's Send is not safe for concurrent use.
type HeartbeatStream struct {
	send     func(*gatewayv1.GatewayEvent) error
	interval time.Duration
	counter  metric.Int64Counter
	onError  func(error)

	// sendMu serializes calls of send. It is apart from mu so that Stop never
	// waits for a send that is blocked on flow control: only ending the RPC
	// unblocks such a send, and Stop is on the way to ending it.
	sendMu sync.Mutex

	mu      sync.Mutex  // guards the fields below and the arming of timer
	timer   clock.Timer // nil when heartbeats are disabled
	stopped bool
	dead    bool  // a send failed: the stream is broken, no more heartbeats
	hbErr   error // the failed heartbeat send, if that is what broke it
	// stale counts timer firings already overtaken by a real send: each
	// one's callback was started before the send re-armed the timer, so it
	// must not send a heartbeat when it gets its turn.
	stale int
}

// NewHeartbeatStream returns a stream that sends through send, which must
// not be nil, and arms its silence timer at once.
func NewHeartbeatStream(send func(*gatewayv1.GatewayEvent) error, cfg HeartbeatConfig) *HeartbeatStream {
	s := &HeartbeatStream{
		send:     send,
		interval: cfg.Interval,
		counter:  cfg.Counter,
		onError:  cfg.OnError,
	}
	if s.interval > 0 {
		// Armed under mu: a very short interval could otherwise fire before
		// the timer field is set.
		s.mu.Lock()
		s.timer = clock.Or(cfg.Clock).AfterFunc(s.interval, s.fire)
		s.mu.Unlock()
	}
	return s
}

// Send sends ev and restarts the silence timer. After Stop it sends nothing
// and returns ErrStopped. A failed send ends the heartbeats, since the stream
// is broken.
func (s *HeartbeatStream) Send(ev *gatewayv1.GatewayEvent) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	if stopped {
		return ErrStopped
	}
	err := s.send(ev)
	s.mu.Lock()
	switch {
	case s.timer == nil || s.stopped || s.dead:
	case err != nil:
		s.dead = true
		s.timer.Stop()
	case !s.timer.Reset(s.interval):
		// The timer had fired and its callback is waiting for sendMu.
		s.stale++
	}
	s.mu.Unlock()
	return err
}

// fire is the timer's callback: one heartbeat, then the timer re-armed.
func (s *HeartbeatStream) fire() {
	s.sendMu.Lock()
	s.mu.Lock()
	skip := s.stopped || s.dead || s.stale > 0
	if !s.stopped && !s.dead && s.stale > 0 {
		s.stale--
	}
	s.mu.Unlock()
	if skip {
		s.sendMu.Unlock()
		return
	}

	err := s.send(heartbeatEvent)

	s.mu.Lock()
	if err != nil {
		s.dead = true
		s.hbErr = err
	} else if !s.stopped {
		s.timer.Reset(s.interval)
	}
	s.mu.Unlock()
	s.sendMu.Unlock()

	if err != nil {
		s.count(outcomeError)
		if s.onError != nil {
			s.onError(err)
		}
		return
	}
	s.count(outcomeSent)
}

func (s *HeartbeatStream) count(outcome metric.AddOption) {
	if s.counter != nil {
		s.counter.Add(context.Background(), 1, outcome)
	}
}

// Stop ends the heartbeats and releases the timer; it is idempotent. No
// heartbeat send starts after Stop returns, even from a timer that had
// already fired and was waiting for its turn. Stop does not wait for a send
// already in progress: one blocked on flow control ends only when the RPC
// does.
func (s *HeartbeatStream) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// Err returns the error of the heartbeat send that failed, or nil.
func (s *HeartbeatStream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hbErr
}
