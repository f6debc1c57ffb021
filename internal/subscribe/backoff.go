package subscribe

import (
	"fmt"
	"math"
	"time"
)

// BackoffConfig shapes the delay before each reconnect, like grpc-go's
// backoff.Config: the delay grows from Base by Multiplier per failed attempt
// up to Max, and Jitter spreads it so that many gateways cut off by one
// backend restart do not all reconnect in the same instant.
type BackoffConfig struct {
	// Base is the delay before the first reconnect after progress.
	Base time.Duration
	// Multiplier scales the delay after each further failure; 1 keeps it
	// constant.
	Multiplier float64
	// Jitter is the multiplicative spread: 0.2 yields a delay within ±20 %
	// of the un-jittered one.
	Jitter float64
	// Max caps the un-jittered delay; with jitter the delay may exceed it by
	// up to Jitter*Max.
	Max time.Duration
}

// DefaultBackoff returns the gateway's backoff: 250ms doubling up to 30s with
// ±20 % jitter. The base is short because a gateway that is not subscribed
// delivers nothing to its clients, and the backend replaces a stale
// subscription by id, so an eager first retry costs the backend little.
func DefaultBackoff() BackoffConfig {
	return BackoffConfig{
		Base:       250 * time.Millisecond,
		Multiplier: 2,
		Jitter:     0.2,
		Max:        30 * time.Second,
	}
}

// Validate reports the first field that cannot shape a sane delay.
func (c BackoffConfig) Validate() error {
	// The comparisons are negated so that NaN fails them too.
	switch {
	case c.Base <= 0:
		return fmt.Errorf("backoff base must be greater than 0, got %v", c.Base)
	case c.Max < c.Base:
		return fmt.Errorf("backoff max must be at least base (%v), got %v", c.Base, c.Max)
	case !(c.Multiplier >= 1) || math.IsInf(c.Multiplier, 1):
		return fmt.Errorf("backoff multiplier must be a finite number of at least 1, got %g", c.Multiplier)
	case !(c.Jitter >= 0 && c.Jitter < 1):
		return fmt.Errorf("backoff jitter must be in [0, 1), got %g", c.Jitter)
	}
	return nil
}

// Delay is the wait before reconnect attempt (0-based) when the random draw
// is r in [0, 1):
//
//	min(Base*Multiplier^attempt, Max) * (1 + Jitter*(2r-1))
//
// It is pure so that tests can check it exactly. A negative attempt counts as
// 0 and r is clamped to [0, 1], so a faulty random source cannot stretch the
// delay beyond the jitter bounds.
func (c BackoffConfig) Delay(attempt int, r float64) time.Duration {
	attempt = max(attempt, 0)
	if !(r >= 0) { // also catches NaN
		r = 0
	}
	r = min(r, 1)
	// math.Pow saturates to +Inf for huge attempts instead of overflowing,
	// and the cap then applies.
	d := min(float64(c.Base)*math.Pow(c.Multiplier, float64(attempt)), float64(c.Max))
	d *= 1 + c.Jitter*(2*r-1)
	if !(d > 0) {
		return 0
	}
	if d >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}
