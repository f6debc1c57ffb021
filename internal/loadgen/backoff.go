package loadgen

import (
	"fmt"
	"math"
	"time"
)

// BackoffConfig shapes retries of failed connects: the delay before retry
// n (1-based) is Base × Multiplier^(n-1), capped at Max, times a random
// factor in [1-Jitter, 1+Jitter]. A client gives up after MaxAttempts
// attempts and counts as failed.
type BackoffConfig struct {
	Base        time.Duration
	Multiplier  float64
	Jitter      float64
	Max         time.Duration
	MaxAttempts int
}

// DefaultBackoff is used when Config.ConnectBackoff is the zero value.
func DefaultBackoff() BackoffConfig {
	return BackoffConfig{
		Base:        100 * time.Millisecond,
		Multiplier:  1.6,
		Jitter:      0.2,
		Max:         5 * time.Second,
		MaxAttempts: 5,
	}
}

// validate reports the first field that is out of range.
func (b BackoffConfig) validate() error {
	switch {
	case b.Base <= 0:
		return &ConfigError{Field: "ConnectBackoff.Base", Value: b.Base, Accepted: "a duration greater than 0"}
	case b.Multiplier < 1 || math.IsNaN(b.Multiplier) || math.IsInf(b.Multiplier, 0):
		return &ConfigError{Field: "ConnectBackoff.Multiplier", Value: b.Multiplier, Accepted: "a number of at least 1"}
	case b.Jitter < 0 || b.Jitter >= 1 || math.IsNaN(b.Jitter):
		return &ConfigError{Field: "ConnectBackoff.Jitter", Value: b.Jitter, Accepted: "a fraction in [0, 1)"}
	case b.Max < b.Base:
		return &ConfigError{Field: "ConnectBackoff.Max", Value: b.Max, Accepted: fmt.Sprintf("a duration of at least Base (%s)", b.Base)}
	case b.MaxAttempts < 1:
		return &ConfigError{Field: "ConnectBackoff.MaxAttempts", Value: b.MaxAttempts, Accepted: "a count of at least 1"}
	}
	return nil
}

// delay returns the wait after failed attempt n (1-based); r is in [0, 1).
func (b BackoffConfig) delay(n int, r float64) time.Duration {
	d := float64(b.Base) * math.Pow(b.Multiplier, float64(n-1))
	d = min(d, float64(b.Max))
	d *= 1 + b.Jitter*(2*r-1)
	return time.Duration(d)
}
