package backoff

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"galaxy/galaxyctl/internal/clock"
)

// Retry is the loop of a long-lived stream in grpc-go's shape: try, and on
// failure wait the Config's delay and try again; the delay restarts at Base
// once a try made progress, and the loop ends on a permanent error or when
// its context ends. The zero values of Rand and Clock are usable.
type Retry struct {
	// Config shapes the waits; it must be valid (see Config.Validate).
	Config Config
	// Rand returns the jitter draw in [0, 1); nil means
	// math/rand/v2.Float64.
	Rand func() float64
	// Clock times the waits; nil means clock.System.
	Clock clock.Clock
	// OnRetry, if set, is called before each wait with the failure, the
	// 0-based backoff attempt and the chosen delay, from the goroutine that
	// runs Run.
	OnRetry func(err error, attempt int, delay time.Duration)
}

// Try is one attempt of a Retry loop. n is 0 for the first try and otherwise
// one more than the backoff attempt of the wait before it: 1 right after a
// try that made progress, growing while failures repeat. progressed reports
// that the try got somewhere (a stream delivered a message), which restarts
// the backoff at Base. A nil error ends Run with nil; an error wrapped by
// Permanent ends it with that error; any other error is retried.
type Try func(ctx context.Context, n int) (progressed bool, err error)

// Run calls try until it returns nil or a Permanent error, or until ctx is
// done. Cancellation is the normal way to stop a stream, so once ctx is done
// Run returns nil, even when the last try failed in the same instant, since
// such a failure is usually the cancellation itself. Run returns a
// *ConfigError, without trying, when r.Config is invalid.
func (r Retry) Run(ctx context.Context, try Try) error {
	if err := r.Config.Validate(); err != nil {
		return err
	}
	draw := r.Rand
	if draw == nil {
		draw = rand.Float64
	}
	clk := clock.Or(r.Clock)
	attempt := 0
	for n := 0; ; n = attempt {
		progressed, err := try(ctx, n)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			return nil
		}
		var p *permanent
		if errors.As(err, &p) {
			return p.err
		}
		if progressed {
			attempt = 0
		}
		delay := r.Config.Delay(attempt, draw())
		if r.OnRetry != nil {
			r.OnRetry(err, attempt, delay)
		}
		// clock.Sleep fails only when ctx is done: a normal stop.
		if clock.Sleep(ctx, clk, delay) != nil {
			return nil
		}
		attempt++
	}
}

// permanent marks an error that Run returns instead of retrying.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Run returns err, unwrapped, without retrying:
// for failures that the next try would repeat (an invalid request, rejected
// credentials). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err: err}
}
