package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/clock"
	"galaxy/galaxyctl/internal/subscribe"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// ErrGatewayClosed is the failure of a Subscribe stream the gateway ended
// with status OK.
var ErrGatewayClosed = errors.New("the gateway closed the stream")

// FollowConfig is what a Follower needs. Client and Handler are required;
// every other field has a usable zero value.
type FollowConfig struct {
	// Client opens the Subscribe streams.
	Client gatewayv1.GatewayClient
	// UserID filters the events, as SubscribeRequest.user_id.
	UserID string
	// LastEventID resumes after this event on the first stream; later
	// streams resume after the last event Handler accepted.
	LastEventID string
	// Backoff shapes the delays between reconnects; zero means
	// subscribe.DefaultBackoff().
	Backoff backoff.Config
	// NoReconnect ends Run with the first stream failure.
	NoReconnect bool
	// Permanent, if set, reports failures that no retry fixes besides the
	// terminal gRPC codes (subscribe.IsTerminal), such as a server
	// certificate that fails verification; they end Run.
	Permanent func(error) bool
	// Handler is called for every message, heartbeats included, in order,
	// from Run's goroutine. An error ends Run and leaves the event
	// unaccepted.
	Handler func(ctx context.Context, ev *gatewayv1.GatewayEvent) error
	// OnStart, if set, is called with each stream's response header.
	OnStart func(FollowStart)
	// OnRetry, if set, is called before each backoff wait.
	OnRetry func(err error, attempt int, delay time.Duration)
	// Clock times the backoff waits; nil means clock.System.
	Clock clock.Clock
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2.Float64.
	Rand func() float64
}

// FollowStart is how one Subscribe stream started, from its header.
type FollowStart struct {
	// Start is pushv1.StartLive, StartResume or StartReset; empty from a
	// gateway that says nothing.
	Start string
	// Missed is how many events were missed with StartReset, or -1 when
	// unknown.
	Missed int64
	// LastEventID is the id the request resumed after; empty for live.
	LastEventID string
	// Attempt is 0 for Run's first stream, then as subscribe.StartInfo's.
	Attempt int
}

// Follower holds a gateway Subscribe stream as a browser would, and more
// reliably: across every reconnect it resumes after the last event it
// accepted (last_event_id), so events still in the gateway's window
// arrive exactly once.
type Follower struct {
	cfg FollowConfig

	mu     sync.Mutex
	lastID string
}

// NewFollower validates cfg.
func NewFollower(cfg FollowConfig) (*Follower, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("follow: gateway client is required")
	case cfg.Handler == nil:
		return nil, errors.New("follow: event handler is required")
	}
	if cfg.Backoff == (backoff.Config{}) {
		cfg.Backoff = subscribe.DefaultBackoff()
	}
	if err := cfg.Backoff.Validate(); err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}
	return &Follower{cfg: cfg, lastID: cfg.LastEventID}, nil
}

// LastEventID returns the id to resume after: the last event Handler
// accepted, or where the gateway said the stream started.
func (f *Follower) LastEventID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastID
}

func (f *Follower) setLastID(id string) {
	f.mu.Lock()
	f.lastID = id
	f.mu.Unlock()
}

// followHandlerError marks a Handler failure, which ends Run.
type followHandlerError struct{ err error }

func (e followHandlerError) Error() string { return e.err.Error() }
func (e followHandlerError) Unwrap() error { return e.err }

// Run follows the gateway until ctx is done (then it returns nil), Handler
// fails, a stream fails in a way no retry fixes (subscribe.IsTerminal), or,
// with NoReconnect, the first stream fails. Reconnects run on the one
// retry loop the subscriber uses too.
func (f *Follower) Run(ctx context.Context) error {
	retry := backoff.Retry{Config: f.cfg.Backoff, Rand: f.cfg.Rand, Clock: f.cfg.Clock, OnRetry: f.cfg.OnRetry}
	return retry.Run(ctx, func(ctx context.Context, n int) (bool, error) {
		progressed, err := f.stream(ctx, n)
		if herr := (followHandlerError{}); errors.As(err, &herr) {
			return progressed, backoff.Permanent(herr.err)
		}
		if err == nil || errors.Is(err, io.EOF) {
			err = ErrGatewayClosed
		}
		if subscribe.IsTerminal(status.Code(err)) || f.cfg.NoReconnect || (f.cfg.Permanent != nil && f.cfg.Permanent(err)) {
			return progressed, backoff.Permanent(err)
		}
		return progressed, err
	})
}

// stream runs one Subscribe stream until it fails; the error is nil only
// when the gateway ended it with status OK.
func (f *Follower) stream(ctx context.Context, attempt int) (progressed bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lastID := f.LastEventID()
	st, err := f.cfg.Client.Subscribe(sctx, &gatewayv1.SubscribeRequest{UserId: f.cfg.UserID, LastEventId: lastID})
	if err != nil {
		return false, err
	}
	md, err := st.Header()
	if err != nil {
		return false, err
	}
	// A trailers-only response has no header; Recv says why.
	if md != nil {
		if rc := first(md, pushv1.MetadataResumeCursor); rc != "" {
			f.setLastID(rc)
		}
		if f.cfg.OnStart != nil {
			f.cfg.OnStart(parseFollowStart(md, lastID, attempt))
		}
	}
	for {
		ev, err := st.Recv()
		if err != nil {
			return progressed, err
		}
		progressed = true
		// Buffered messages keep arriving after a handler cancelled ctx.
		if err := ctx.Err(); err != nil {
			return true, err
		}
		if err := f.cfg.Handler(ctx, ev); err != nil {
			return true, followHandlerError{err}
		}
		if id := ev.GetEventId(); id != "" {
			f.setLastID(id)
		}
	}
}

func parseFollowStart(md metadata.MD, lastID string, attempt int) FollowStart {
	fs := FollowStart{Start: first(md, pushv1.MetadataStart), Missed: -1, LastEventID: lastID, Attempt: attempt}
	if n, err := strconv.ParseInt(first(md, pushv1.MetadataMissed), 10, 64); err == nil && n >= 0 {
		fs.Missed = n
	}
	return fs
}
