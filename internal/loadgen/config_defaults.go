package loadgen

import (
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/clock"
)

// withDefaults validates c and fills the optional fields, a group of
// fields at a time.
func (c Config) withDefaults() (Config, error) {
	for _, fill := range []func() error{c.fillTarget, c.fillPhases, c.fillProjection, c.fillConnect, c.fillSeams} {
		if err := fill(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// fillTarget checks who connects to where: Addr, Clients, StreamsPerConn,
// the ramp and the source addresses.
func (c *Config) fillTarget() error {
	if c.Addr == "" {
		return &ConfigError{Field: "Addr", Value: `""`, Accepted: "host:port of the gateway"}
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return &ConfigError{Field: "Addr", Value: c.Addr, Accepted: "host:port of the gateway"}
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return &ConfigError{Field: "Addr", Value: c.Addr, Accepted: "a port from 1 to 65535"}
	}
	if c.Clients < 1 {
		return &ConfigError{Field: "Clients", Value: c.Clients, Accepted: "a count of at least 1"}
	}
	if c.StreamsPerConn == 0 {
		c.StreamsPerConn = 1
	}
	if c.StreamsPerConn < 1 {
		return &ConfigError{Field: "StreamsPerConn", Value: c.StreamsPerConn, Accepted: "a count of at least 1"}
	}
	if c.RampRate < 0 || math.IsNaN(c.RampRate) || math.IsInf(c.RampRate, 0) {
		return &ConfigError{Field: "RampRate", Value: c.RampRate, Accepted: "clients per second, 0 or more (0: as fast as possible)"}
	}
	if c.Pacer == nil {
		c.Pacer = ConstantPacer{Rate: c.RampRate}
	}
	for _, a := range c.SourceAddrs {
		if !a.IsValid() || !a.IsLoopback() || a.Zone() != "" {
			return &ConfigError{Field: "SourceAddrs", Value: a, Accepted: "loopback addresses (127.0.0.0/8 or ::1)"}
		}
	}
	return nil
}

// fillPhases checks the warm-up, the window and the client's flow
// control.
func (c *Config) fillPhases() error {
	switch {
	case c.Warmup == 0:
		c.Warmup = DefaultWarmup
	case c.Warmup < 0:
		c.Warmup = 0
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Duration < 0 {
		return &ConfigError{Field: "Duration", Value: c.Duration, Accepted: "a duration greater than 0"}
	}
	switch c.ClientWindow {
	case "":
		c.ClientWindow = WindowDynamic
	case WindowDynamic, WindowStatic:
	default:
		return &ConfigError{Field: "ClientWindow", Value: strconv.Quote(c.ClientWindow), Accepted: `"dynamic" or "static"`}
	}
	if c.StaticWindow == 0 {
		c.StaticWindow = DefaultStaticWindow
	}
	if c.StaticWindow < DefaultStaticWindow {
		return &ConfigError{Field: "StaticWindow", Value: c.StaticWindow, Accepted: "at least 65535 bytes (grpc-go ignores smaller windows)"}
	}
	if c.ExpectedInterval < 0 {
		return &ConfigError{Field: "ExpectedInterval", Value: c.ExpectedInterval, Accepted: "a duration of 0 or more (0: learn it)"}
	}
	return nil
}

// fillProjection checks the projection and the server's metrics.
func (c *Config) fillProjection() error {
	if c.ProjectInterval == 0 {
		c.ProjectInterval = DefaultProjectInterval
	}
	if c.ProjectInterval < 0 {
		return &ConfigError{Field: "ProjectInterval", Value: c.ProjectInterval, Accepted: "a duration greater than 0"}
	}
	if c.Scales == nil {
		c.Scales = DefaultScales()
	}
	for _, s := range c.Scales {
		if s < 1 {
			return &ConfigError{Field: "Scales", Value: s, Accepted: "client counts of at least 1"}
		}
	}
	if c.ServerMetricsURL != "" {
		u, err := url.Parse(c.ServerMetricsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &ConfigError{Field: "ServerMetricsURL", Value: c.ServerMetricsURL, Accepted: "an http:// or https:// URL of a Prometheus /metrics endpoint"}
		}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultScrapeTimeout}
	}
	return nil
}

// fillConnect checks how clients connect: backoff, parallelism, timeout.
func (c *Config) fillConnect() error {
	if c.ConnectBackoff == (BackoffConfig{}) {
		c.ConnectBackoff = DefaultBackoff()
	}
	if err := c.ConnectBackoff.validate(); err != nil {
		return err
	}
	if c.ConnectParallel == 0 {
		c.ConnectParallel = DefaultConnectParallel
	}
	if c.ConnectParallel < 1 {
		return &ConfigError{Field: "ConnectParallel", Value: c.ConnectParallel, Accepted: "a count of at least 1"}
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ConnectTimeout < 0 {
		return &ConfigError{Field: "ConnectTimeout", Value: c.ConnectTimeout, Accepted: "a duration greater than 0"}
	}
	if c.UserID == nil {
		c.UserID = func(i int) string { return defaultUserIDPrefix + strconv.Itoa(i) }
	}
	return nil
}

// fillSeams fills the snapshot feed and the injectable dependencies.
func (c *Config) fillSeams() error {
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.SnapshotEvery < 0 {
		return &ConfigError{Field: "SnapshotEvery", Value: c.SnapshotEvery, Accepted: "a duration greater than 0"}
	}
	if c.LiveEvery == 0 {
		c.LiveEvery = DefaultLiveEvery
	}
	if c.LiveEvery < 0 {
		return &ConfigError{Field: "LiveEvery", Value: c.LiveEvery, Accepted: "a duration greater than 0"}
	}
	c.Clock = clock.Or(c.Clock)
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider().Meter(meterName)
	}
	return nil
}
