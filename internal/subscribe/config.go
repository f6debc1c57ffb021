package subscribe

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

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
	Backoff BackoffConfig
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
	// Sleep waits d or until ctx is done, returning ctx.Err() then; nil
	// means a timer. Tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2.Float64.
	Rand func() float64
	// Logger receives stream starts and retries; nil means zap.NewNop().
	Logger *zap.Logger
	// Meter creates the subscriber's instruments; nil means a no-op meter.
	Meter metric.Meter
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
	if c.Backoff == (BackoffConfig{}) {
		c.Backoff = DefaultBackoff()
	}
	if err := c.Backoff.Validate(); err != nil {
		return c, err
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider().Meter(meterName)
	}
	return c, nil
}

// sleep is the default Config.Sleep.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
