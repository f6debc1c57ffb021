package gateway

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/clock"
)

// Defaults for a gateway; Config's zero values mean these.
const (
	// DefaultHeartbeat is the heartbeat interval serve uses unless told
	// otherwise: under the common 30 s-60 s idle timeouts of proxies and
	// browser fetch streams. Config's zero Heartbeat disables heartbeats, so
	// callers set it explicitly.
	DefaultHeartbeat = 15 * time.Second
	// DefaultSlowClientTimeout is how long a client may go without
	// accepting an event it has waiting, or hold the others back, before it
	// is dropped.
	DefaultSlowClientTimeout = 10 * time.Second
	// DefaultReplayEvents is the window's size in events: the backend's
	// default ring, so a reconnect's whole backlog fits without the
	// gateway having to wait on its slowest client.
	DefaultReplayEvents = 65536
	// DefaultReplayAge is how long an event stays resumable at the
	// gateway: the backend's default freshness.
	DefaultReplayAge = 5 * time.Minute
	// DefaultReplayBytes bounds the window's memory whatever the payloads:
	// 65,536 events of a few hundred bytes fit, large payloads make the
	// gateway read the backend more slowly instead of growing.
	DefaultReplayBytes = 64 << 20
)

// meterName is the instrumentation scope of the gateway's instruments.
const meterName = "galaxy/galaxyctl/internal/gateway"

// Config is what a Server needs; every field has a usable zero value.
type Config struct {
	// Heartbeat is the silence after which a client stream gets a heartbeat;
	// zero or negative disables heartbeats. See DefaultHeartbeat.
	Heartbeat time.Duration
	// SlowClientTimeout bounds how long one client can hold anything up: a
	// client that accepts none of its waiting events for this long, or that
	// the gateway has waited on for this long in all since it last caught
	// up, is ended with ResourceExhausted. Zero means
	// DefaultSlowClientTimeout; negative is invalid.
	SlowClientTimeout time.Duration
	// ReplayEvents, ReplayAge and ReplayBytes bound the window of recent
	// events that clients are fed from and resume in (last_event_id). Zero
	// means the Default; negative is invalid. An event leaves the window
	// when any bound is passed, unless a connected client has still to be
	// sent it: then the gateway waits for that client before reading more
	// from the backend (see the package doc).
	ReplayEvents int
	ReplayAge    time.Duration
	ReplayBytes  int
	// SigningKey signs every event; nil means a fresh ephemeral key, whose
	// public half Server.PublicKey returns.
	SigningKey ed25519.PrivateKey
	// Meter creates the gateway's instruments; nil means a no-op meter.
	Meter metric.Meter
	// Logger receives drops and failures; nil means zap.NewNop().
	Logger *zap.Logger
	// Clock arms the heartbeat and slow-client timers and ages the window;
	// nil means clock.System.
	Clock clock.Clock
}

// ConfigError is a Config field with a value New cannot use; commands map
// Field to the flag that set it.
type ConfigError struct {
	Field    string
	Value    any
	Accepted string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s is %v, want %s", e.Field, e.Value, e.Accepted)
}

// withDefaults validates c and fills the optional fields.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.SlowClientTimeout < 0:
		return c, &ConfigError{"SlowClientTimeout", c.SlowClientTimeout, "a positive duration, or 0 for the default " + DefaultSlowClientTimeout.String()}
	case c.ReplayEvents < 0:
		return c, &ConfigError{"ReplayEvents", c.ReplayEvents, fmt.Sprintf("a positive count, or 0 for the default %d", DefaultReplayEvents)}
	case c.ReplayAge < 0:
		return c, &ConfigError{"ReplayAge", c.ReplayAge, "a positive duration, or 0 for the default " + DefaultReplayAge.String()}
	case c.ReplayBytes < 0:
		return c, &ConfigError{"ReplayBytes", c.ReplayBytes, fmt.Sprintf("a positive byte count, or 0 for the default %d", DefaultReplayBytes)}
	}
	c.SlowClientTimeout = orDefault(c.SlowClientTimeout, DefaultSlowClientTimeout)
	c.ReplayEvents = orDefault(c.ReplayEvents, DefaultReplayEvents)
	c.ReplayAge = orDefault(c.ReplayAge, DefaultReplayAge)
	c.ReplayBytes = orDefault(c.ReplayBytes, DefaultReplayBytes)
	if c.SigningKey == nil {
		k, err := GenerateSigningKey()
		if err != nil {
			return c, err
		}
		c.SigningKey = k
	} else if len(c.SigningKey) != ed25519.PrivateKeySize {
		return c, fmt.Errorf("signing key is %d bytes, want an Ed25519 private key of %d", len(c.SigningKey), ed25519.PrivateKeySize)
	}
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider().Meter(meterName)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	c.Clock = clock.Or(c.Clock)
	return c, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
