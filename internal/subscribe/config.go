package subscribe

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/clock"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Config is what a Subscriber needs. ClientID, Client and Handler are
// required; every other field has a usable zero value.
type Config struct {
	// ClientID is sent as gateway_client_id. The backend keeps one live
	// subscription per id and ends the older with Aborted, so each gateway
	// instance needs an id of its own.
	ClientID string
	// Client opens the streams. A grpc.ClientConn already reconnects its
	// transport; the subscriber adds the stream-level retry and the cursor.
	Client pushv1.PushClient
	// Cursor resumes after this event on the first connect; later connects
	// use the cursor of the last handled event.
	Cursor string
	// FromStart asks for every event the ring holds, for as long as no
	// cursor is known (neither Cursor nor a handled event).
	FromStart bool
	// Backoff shapes the delays between reconnects. The zero value means
	// DefaultBackoff(); any other value is used as given and must be valid.
	Backoff backoff.Config
	// Handler is called for every event, in order, from the goroutine that
	// runs Run; it must not block for long, since the backend drops a
	// subscriber that falls behind. A non-nil error ends Run with that error
	// and leaves the event unhandled: its cursor is not remembered.
	Handler func(ctx context.Context, ev *pushv1.PushEvent) error
	// OnStart, if set, is called once each stream has its response header,
	// before its first event, from the same goroutine as Handler.
	OnStart func(StartInfo)
	// OnRetry, if set, is called with the failure (ErrStreamClosed when the
	// backend ended the stream), the 0-based backoff attempt and the chosen
	// delay before each backoff wait, from the same goroutine as Handler.
	OnRetry func(err error, attempt int, delay time.Duration)
	// NoReconnect ends Run with the first stream failure instead of
	// reconnecting, for a one-shot tail.
	NoReconnect bool
	// Clock times the backoff waits; nil means clock.System. Tests pass a
	// clocktest.Fake and advance it.
	Clock clock.Clock
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2.Float64.
	Rand func() float64
	// Logger receives stream starts and retries; nil means zap.NewNop().
	Logger *zap.Logger
	// Meter creates the subscriber's instruments; nil means a no-op meter.
	Meter metric.Meter
}

// DefaultBackoff returns the gateway's backoff: 250ms doubling up to 30s with
// ±20 % jitter. The base is short because a gateway that is not subscribed
// delivers nothing to its clients, and the backend replaces a stale
// subscription by id, so an eager first retry costs the backend little.
func DefaultBackoff() backoff.Config {
	return backoff.Config{
		Base:       250 * time.Millisecond,
		Multiplier: 2,
		Jitter:     0.2,
		Max:        30 * time.Second,
	}
}

// withDefaults validates c and fills the optional fields.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.ClientID == "":
		return c, errors.New("gateway client id is required")
	case c.Client == nil:
		return c, errors.New("push client is required")
	case c.Handler == nil:
		return c, errors.New("event handler is required")
	}
	if c.Backoff == (backoff.Config{}) {
		c.Backoff = DefaultBackoff()
	}
	if err := c.Backoff.Validate(); err != nil {
		return c, err
	}
	c.Clock = clock.Or(c.Clock)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider().Meter(meterName)
	}
	return c, nil
}
