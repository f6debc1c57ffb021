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

// Defaults for a gateway; Config's zero ClientQueue means DefaultClientQueue.
const (
	// DefaultHeartbeat is the heartbeat interval serve uses unless told
	// otherwise: under the common 30 s-60 s idle timeouts of proxies and
	// browser fetch streams. Config's zero Heartbeat disables heartbeats, so
	// callers set it explicitly.
	DefaultHeartbeat = 15 * time.Second
	// DefaultClientQueue is how many events may wait for one client before it
	// is dropped as too slow.
	DefaultClientQueue = 256
)

// meterName is the instrumentation scope of the gateway's instruments.
const meterName = "galaxy/galaxyctl/internal/gateway"

// Config is what a Server needs; every field has a usable zero value.
type Config struct {
	// Heartbeat is the silence after which a client stream gets a heartbeat;
	// zero or negative disables heartbeats. See DefaultHeartbeat.
	Heartbeat time.Duration
	// ClientQueue bounds the events waiting for one client; a client with
	// this many waiting is ended with ResourceExhausted. Zero means
	// DefaultClientQueue; negative is invalid.
	ClientQueue int
	// SigningKey signs every event; nil means a fresh ephemeral key, whose
	// public half Server.PublicKey returns.
	SigningKey ed25519.PrivateKey
	// Meter creates the gateway's instruments; nil means a no-op meter.
	Meter metric.Meter
	// Logger receives drops and failures; nil means zap.NewNop().
	Logger *zap.Logger
	// Clock arms the heartbeat timers; nil means clock.System.
	Clock clock.Clock
}

// withDefaults validates c and fills the optional fields.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.ClientQueue < 0:
		return c, fmt.Errorf("client queue must be at least 1, got %d", c.ClientQueue)
	case c.ClientQueue == 0:
		c.ClientQueue = DefaultClientQueue
	}
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
