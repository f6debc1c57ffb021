package loadgen

import (
	"errors"
	"time"

	"galaxy/galaxyctl/internal/backoff"
)

// BackoffConfig paces retries of a failed connect with the shared
// backoff.Config; the delay after failed attempt n (counted from 1) is
// Delay(n-1, r). A client gives up after MaxAttempts attempts and counts
// as failed.
type BackoffConfig struct {
	backoff.Config
	MaxAttempts int
}

// DefaultBackoff is used when Config.ConnectBackoff is the zero value.
func DefaultBackoff() BackoffConfig {
	return BackoffConfig{
		Config: backoff.Config{
			Base:       100 * time.Millisecond,
			Multiplier: 1.6,
			Jitter:     0.2,
			Max:        5 * time.Second,
		},
		MaxAttempts: 5,
	}
}

// validate reports the first field that is out of range, named as a field
// of Config ("ConnectBackoff.Jitter").
func (b BackoffConfig) validate() error {
	if err := b.Config.Validate(); err != nil {
		var be *backoff.ConfigError
		if errors.As(err, &be) {
			return &ConfigError{Field: "ConnectBackoff." + be.Field, Value: be.Value, Accepted: be.Accepted}
		}
		return err
	}
	if b.MaxAttempts < 1 {
		return &ConfigError{Field: "ConnectBackoff.MaxAttempts", Value: b.MaxAttempts, Accepted: "a count of at least 1"}
	}
	return nil
}
