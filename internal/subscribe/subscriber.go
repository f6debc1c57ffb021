// Package subscribe is the gateway-side consumer of the backend's
// Push.SubscribePush stream. It keeps one subscription alive for as long as
// its context lives: it reconnects after every transport error, Aborted,
// ResourceExhausted, Unavailable and end of stream, waiting a jittered
// exponential backoff, and resumes from the cursor of the last event its
// handler accepted, so events still in the backend's ring arrive exactly
// once across reconnects.
//
// Cancellation is the normal end, but not the only one. Run also ends, with
// an error, on four terminal gRPC codes, because the next attempt would send
// the same request to the same backend and fail the same way:
// InvalidArgument, Unauthenticated, PermissionDenied and Unimplemented (see
// terminalCodes and IsTerminal). It ends as well when the handler returns
// an error, and, with Config.NoReconnect, on the first failure of a stream.
package subscribe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"

	"galaxy/galaxyctl/internal/backoff"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// ErrStreamClosed is the failure of a stream the backend ended with status
// OK. Run returns it, wrapped, only with Config.NoReconnect; otherwise it
// reconnects.
var ErrStreamClosed = errors.New("backend closed the stream")

// Subscriber follows the push stream of one gateway client id.
type Subscriber struct {
	cfg     Config
	metrics instruments
	running atomic.Bool

	mu     sync.Mutex
	cursor string
}

// New validates cfg and returns a Subscriber that has not connected yet.
func New(cfg Config) (*Subscriber, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("subscribe config: %w", err)
	}
	in, err := newInstruments(cfg.Meter)
	if err != nil {
		return nil, fmt.Errorf("subscribe metrics: %w", err)
	}
	return &Subscriber{cfg: cfg, metrics: in, cursor: cfg.Cursor}, nil
}

// Run is New followed by Subscriber.Run.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// Cursor returns the cursor of the last event whose handler returned nil, or
// Config.Cursor before any. It is safe to call while Run runs and after it
// returns: resuming from it later neither skips nor repeats a handled event.
func (s *Subscriber) Cursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

func (s *Subscriber) setCursor(c string) {
	s.mu.Lock()
	s.cursor = c
	s.mu.Unlock()
}

// Run subscribes and handles events until ctx is done, then returns nil:
// cancellation is the normal way to stop it, and a nil result tells the
// caller that nothing went wrong. This holds even when a stream or the
// handler failed in the same instant, since such a failure is usually the
// cancellation itself. It returns an error only for a failure no
// retry can fix (see terminalCodes), a handler error, or, with
// Config.NoReconnect, the first stream failure. Run may be called again after
// it returns and then resumes from Cursor; it must not run twice at once,
// since two streams with one client id would keep replacing each other.
func (s *Subscriber) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("subscribe: already running")
	}
	defer s.running.Store(false)

	// The backoff restarts at its base once a stream delivers an event, so
	// a backend that serves for a while between failures is retried
	// promptly.
	retry := backoff.Retry{
		Config: s.cfg.Backoff,
		Rand:   s.cfg.Rand,
		Clock:  s.cfg.Clock,
		OnRetry: func(err error, attempt int, delay time.Duration) {
			s.cfg.Logger.Warn("push stream ended, reconnecting",
				zap.String("client_id", s.cfg.ClientID),
				zap.Stringer("code", codeOf(err)),
				zap.Error(err),
				zap.Int("attempt", attempt),
				zap.Duration("delay", delay))
			if s.cfg.OnRetry != nil {
				s.cfg.OnRetry(err, attempt, delay)
			}
		},
	}
	var lastCode codes.Code
	return retry.Run(ctx, func(ctx context.Context, n int) (bool, error) {
		if n > 0 {
			s.metrics.reconnected(ctx, lastCode)
		}
		progressed, err := s.stream(ctx, n)
		if ctx.Err() != nil {
			return progressed, err
		}
		if herr := (*handlerError)(nil); errors.As(err, &herr) {
			return progressed, backoff.Permanent(fmt.Errorf("subscribe: %w", herr))
		}
		lastCode = codeOf(err)
		if lastCode == codes.OK {
			err = ErrStreamClosed
		}
		if why, ok := terminalCodes[lastCode]; ok {
			return progressed, backoff.Permanent(fmt.Errorf("subscribe push: %s, not retrying: %w", why, err))
		}
		if s.cfg.NoReconnect {
			return progressed, backoff.Permanent(fmt.Errorf("subscribe push: %w", err))
		}
		return progressed, err
	})
}

// handlerError marks a failure of Config.Handler, which ends Run, apart from
// a failure of the stream, which is retried.
type handlerError struct {
	cursor string
	err    error
}

func (e *handlerError) Error() string {
	return fmt.Sprintf("handle event %q: %v", e.cursor, e.err)
}

func (e *handlerError) Unwrap() error { return e.err }

// stream runs one subscription until it fails, and reports whether it
// delivered at least one event. The error is never nil.
func (s *Subscriber) stream(ctx context.Context, attempt int) (progressed bool, err error) {
	// Cancelling the stream's own context releases it on every return,
	// including a handler error in the middle of the stream.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()

	cursor := s.Cursor()
	req := &pushv1.GatewaySubscribeRequest{
		GatewayClientId: s.cfg.ClientID,
		Cursor:          cursor,
		FromStart:       cursor == "" && s.cfg.FromStart,
	}
	st, err := s.cfg.Client.SubscribePush(sctx, req)
	if err != nil {
		return false, err
	}
	md, err := st.Header()
	if err != nil {
		return false, err
	}
	// grpc-go returns a nil header for a stream that failed before it
	// started (a trailers-only response); Recv then returns why.
	if md != nil {
		info := parseStart(md, attempt, cursor)
		// Adopt the backend's resume point: a live or from-start stream
		// that breaks before its first event then resumes instead of
		// starting live again, and after a reset the events already
		// reported missed are not reported again.
		if rc := md.Get(pushv1.MetadataResumeCursor); len(rc) > 0 && rc[0] != "" {
			s.setCursor(rc[0])
		}
		s.cfg.Logger.Debug("push stream started",
			zap.String("client_id", s.cfg.ClientID),
			zap.String("start", info.Start),
			zap.String("reset_reason", info.ResetReason),
			zap.Int64("missed", info.Missed),
			zap.String("incarnation", info.Incarnation),
			zap.Int("attempt", info.Attempt),
			zap.String("cursor", info.Cursor))
		if s.cfg.OnStart != nil {
			s.cfg.OnStart(info)
		}
	}
	for {
		ev, err := st.Recv()
		if err != nil {
			return progressed, err
		}
		progressed = true
		// Events already buffered keep arriving after the context ends;
		// a handler that cancelled it (tail --count) must see no more.
		if err := ctx.Err(); err != nil {
			return progressed, err
		}
		if err := s.cfg.Handler(ctx, ev); err != nil {
			return true, &handlerError{cursor: ev.GetCursor(), err: err}
		}
		// An event without a cursor cannot be resumed after; keeping the
		// previous cursor may repeat events on reconnect, whereas forgetting
		// it would silently restart live and skip some.
		if c := ev.GetCursor(); c != "" {
			s.setCursor(c)
		}
		s.metrics.handled(ctx)
	}
}
