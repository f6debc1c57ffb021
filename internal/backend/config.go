package backend

import (
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/clock"
)

// Defaults for the zero values of Config.
const (
	// DefaultMaxAge is how long an event stays resumable: long enough to
	// ride out a gateway deploy or a backend-side network blip.
	DefaultMaxAge = 5 * time.Minute
	// DefaultMaxEvents bounds the ring's memory whatever the publish rate.
	DefaultMaxEvents = 65536
	// DefaultMaxPayload bounds one event, so MaxEvents bounds memory.
	DefaultMaxPayload = 64 << 10
)

// Config is what a Server needs. Every field has a usable zero value.
type Config struct {
	// MaxAge is how long an event is kept: it is evicted once it is MaxAge
	// old. 0 means DefaultMaxAge.
	MaxAge time.Duration
	// MaxEvents is how many events the ring holds at most; 0 means
	// DefaultMaxEvents.
	MaxEvents int
	// MaxLag is how many live events (published since its stream started)
	// a subscriber may have unsent before it is dropped with
	// ResourceExhausted; 0 means MaxEvents. The events a stream replays at
	// its start do not count, so a large replay alone never drops a
	// subscriber. Whatever MaxLag says, a subscriber whose next event has
	// been evicted is dropped, since continuing would leave a gap.
	MaxLag int
	// MaxPayload is the largest payload Publish accepts, in bytes; 0 means
	// DefaultMaxPayload.
	MaxPayload int
	// Incarnation identifies this backend's lifetime in its cursors; 0
	// means a random one. Tests set it to make cursors predictable.
	Incarnation uint64
	// Clock stamps and ages events (only its Now is read); nil means
	// clock.System.
	Clock clock.Clock
	// Meter creates the backend's instruments; nil means a no-op meter.
	Meter metric.Meter
	// Logger receives subscription starts, replacements and drops; nil
	// means zap.NewNop().
	Logger *zap.Logger
}

// withDefaults validates c and fills its zero values.
func (c Config) withDefaults() (Config, error) {
	if c.MaxAge < 0 {
		return c, fmt.Errorf("MaxAge is %v, want a positive duration or 0 for the default %v", c.MaxAge, DefaultMaxAge)
	}
	if c.MaxEvents < 0 {
		return c, fmt.Errorf("MaxEvents is %d, want a positive count or 0 for the default %d", c.MaxEvents, DefaultMaxEvents)
	}
	if c.MaxLag < 0 {
		return c, fmt.Errorf("MaxLag is %d, want a positive count or 0 for MaxEvents", c.MaxLag)
	}
	if c.MaxPayload < 0 {
		return c, fmt.Errorf("MaxPayload is %d, want a positive byte count or 0 for the default %d", c.MaxPayload, DefaultMaxPayload)
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = DefaultMaxEvents
	}
	if c.MaxLag == 0 {
		c.MaxLag = c.MaxEvents
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	c.Clock = clock.Or(c.Clock)
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider().Meter(meterName)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, nil
}
