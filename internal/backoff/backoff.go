// Package backoff is galaxyctl's one retry policy, in grpc-go's shape: a
// Config (base, multiplier, jitter, max), a pure Delay so tests pin every
// jittered delay without a clock, and Retry, the loop that the subscriber
// and tail's gateway stream share.
package backoff

import (
	"fmt"
	"math"
	"time"
)

// Config shapes the delay before each retry, like grpc-go's backoff.Config:
// the delay grows from Base by Multiplier per failed attempt up to Max, and
// Jitter spreads it so that many clients cut off by one server restart do
// not all retry in the same instant.
type Config struct {
	// Base is the delay before the first retry (attempt 0).
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

// ConfigError names the Config field that cannot shape a sane delay, its
// value and what would be accepted, so a command can name its own flag.
type ConfigError struct {
	Field    string // "Base", "Max", "Multiplier" or "Jitter"
	Value    any
	Accepted string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("backoff %s is %v, want %s", e.Field, e.Value, e.Accepted)
}

// Validate reports the first field that cannot shape a sane delay, as a
// *ConfigError.
func (c Config) Validate() error {
	// The comparisons are negated so that NaN fails them too.
	switch {
	case c.Base <= 0:
		return &ConfigError{Field: "Base", Value: c.Base, Accepted: "a duration greater than 0"}
	case c.Max < c.Base:
		return &ConfigError{Field: "Max", Value: c.Max, Accepted: fmt.Sprintf("a duration of at least Base (%v)", c.Base)}
	case !(c.Multiplier >= 1) || math.IsInf(c.Multiplier, 1):
		return &ConfigError{Field: "Multiplier", Value: c.Multiplier, Accepted: "a finite number of at least 1"}
	case !(c.Jitter >= 0 && c.Jitter < 1):
		return &ConfigError{Field: "Jitter", Value: c.Jitter, Accepted: "a fraction in [0, 1)"}
	}
	return nil
}

// Delay is the wait before retry attempt (0-based) when the random draw is
// r in [0, 1):
//
//	min(Base*Multiplier^attempt, Max) * (1 + Jitter*(2r-1))
//
// A loop that counts its retries from 1 passes n-1. Delay is pure so that
// tests can check it exactly. A negative attempt counts as 0 and r is
// clamped to [0, 1], so a faulty random source cannot stretch the delay
// beyond the jitter bounds.
func (c Config) Delay(attempt int, r float64) time.Duration {
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
