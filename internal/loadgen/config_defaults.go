package loadgen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/clock"
	"galaxy/galaxyctl/internal/loadgen/lean"
)

// withDefaults validates c and fills the optional fields, a group of
// fields at a time.
func (c Config) withDefaults() (Config, error) {
	for _, fill := range []func() error{c.fillTarget, c.fillClient, c.fillPhases, c.fillProjection, c.fillConnect, c.fillSeams} {
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

// fillPhases checks the warm-up, the window and the static flow-control
// window.
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

// fillClient checks the client kind (protocol, HTTP version, codec,
// profile) and the engine that runs it, and fills their defaults.
func (c *Config) fillClient() error {
	if c.Protocol == "" {
		c.Protocol = ProtocolGRPC
	}
	if c.HTTP == "" {
		c.HTTP = HTTP2
	}
	fromWindow := false
	switch c.ClientWindow {
	case "":
	case WindowDynamic, WindowStatic:
		implied := ProfileGRPCGo
		if c.ClientWindow == WindowStatic {
			implied = ProfileGRPCGoStatic
		}
		if c.Profile != "" && c.Profile != implied {
			return &ConfigError{Field: "ClientWindow", Value: strconv.Quote(c.ClientWindow), Other: "Profile",
				Accepted: fmt.Sprintf("no window with profile %q (window dynamic is profile grpc-go, static is grpc-go-static)", c.Profile)}
		}
		c.Profile, fromWindow = implied, c.Profile == ""
	default:
		return &ConfigError{Field: "ClientWindow", Value: strconv.Quote(c.ClientWindow), Accepted: `"dynamic" or "static"`}
	}
	if err := lean.CheckKind(&c.Protocol, &c.HTTP, &c.Codec, &c.Profile); err != nil {
		var ce *ConfigError
		if fromWindow && errors.As(err, &ce) && ce.Field == "Profile" {
			ce.Field, ce.Value = "ClientWindow", strconv.Quote(c.ClientWindow)
			ce.Accepted = "no window setting: it chooses a grpc-go profile, and grpc-go speaks only gRPC"
		}
		return err
	}
	c.ClientWindow = windowOf(c.Profile)
	if c.HTTP == HTTP1 && c.StreamsPerConn > 1 {
		return &ConfigError{Field: "StreamsPerConn", Value: c.StreamsPerConn, Other: "HTTP",
			Accepted: "1 stream per connection over HTTP/1.1"}
	}
	return c.fillEngine()
}

// fillEngine checks that the engine runs the client kind.
func (c *Config) fillEngine() error {
	switch c.Engine {
	case "":
		c.Engine = EngineLean
	case EngineLean:
	case EngineGRPCGo:
		// The real grpc-go client: gRPC over HTTP/2, protobuf, its own
		// windows.
		if c.Protocol != ProtocolGRPC {
			return &ConfigError{Field: "Engine", Value: strconv.Quote(c.Engine), Other: "Protocol",
				Accepted: `protocol "grpc" for the grpc-go engine (engine "lean" speaks Connect and gRPC-Web)`}
		}
		if c.Codec != CodecProto {
			return &ConfigError{Field: "Engine", Value: strconv.Quote(c.Engine), Other: "Codec",
				Accepted: `codec "proto" for the grpc-go engine (engine "lean" speaks gRPC with JSON)`}
		}
	default:
		return &ConfigError{Field: "Engine", Value: strconv.Quote(c.Engine), Accepted: `"lean" or "grpc-go"`}
	}
	return nil
}

// windowOf names a profile's flow-control window, as ClientWindow does.
func windowOf(profile string) string {
	switch profile {
	case ProfileGRPCGo:
		return WindowDynamic
	case ProfileGRPCGoStatic:
		return WindowStatic
	}
	return WindowBrowser
}
