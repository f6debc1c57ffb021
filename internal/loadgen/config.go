package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// Client flow-control modes (Config.ClientWindow).
const (
	// WindowDynamic is grpc-go's default: its BDP estimator sends a PING
	// (and a connection WINDOW_UPDATE) when data arrives and no probe is
	// outstanding, which for idle streams means on nearly every heartbeat.
	WindowDynamic = report.WindowDynamic
	// WindowStatic sets fixed stream and connection windows, which turns
	// BDP probing off in grpc-go.
	WindowStatic = report.WindowStatic
)

// Defaults for zero-valued Config fields.
const (
	DefaultWarmup          = 2 * time.Second
	DefaultDuration        = 30 * time.Second
	DefaultProjectInterval = 15 * time.Second
	DefaultSnapshotEvery   = 250 * time.Millisecond
	// DefaultStaticWindow is HTTP/2's initial window, the least grpc-go
	// accepts; with it a static client announces nothing extra.
	DefaultStaticWindow    = 65535
	DefaultConnectParallel = 256
	DefaultConnectTimeout  = 10 * time.Second
	DefaultScrapeTimeout   = 5 * time.Second
	defaultUserIDPrefix    = "bench-"
)

// DefaultScales returns the fleet sizes of the projection, a fresh slice
// for each caller.
func DefaultScales() []int { return []int{10_000, 100_000, 1_000_000} }

// Config describes one bench run. Addr and Clients are required; every
// other field has a usable zero value.
type Config struct {
	// Addr is the gateway's host:port. Use an IP literal when SourceAddrs
	// is set, so the dial family matches the source addresses.
	Addr string
	// Clients is how many idle Subscribe streams to hold.
	Clients int
	// StreamsPerConn multiplexes this many streams on one connection; 0
	// means 1, one TCP connection per client, as browsers behave.
	StreamsPerConn int
	// RampRate starts this many clients per second; 0 starts them as fast
	// as ConnectParallel allows. Ignored when Pacer is set.
	RampRate float64
	// Pacer shapes the ramp; nil means ConstantPacer{RampRate}.
	Pacer Pacer
	// SourceAddrs are local loopback addresses to bind client sockets to,
	// round-robin by connection, so a run is not capped by one address's
	// ephemeral ports. Empty: the kernel picks.
	SourceAddrs []netip.Addr
	// Warmup runs after the ramp and before measuring, so the first
	// heartbeat of each stream (which carries its response HEADERS) and
	// connection setup stay out of the window. 0 means DefaultWarmup; a
	// negative value means no warm-up.
	Warmup time.Duration
	// Duration is the measurement window; 0 means DefaultDuration.
	Duration time.Duration
	// TLS, if set, is the client TLS config; nil means h2c (plaintext).
	TLS *tls.Config
	// ClientWindow is WindowDynamic (also "") or WindowStatic.
	ClientWindow string
	// StaticWindow is the stream and connection window in static mode; 0
	// means DefaultStaticWindow.
	StaticWindow int32
	// ExpectedInterval is the gateway's heartbeat interval if known; 0
	// means learn it as the median gap.
	ExpectedInterval time.Duration
	// ProjectInterval is the heartbeat interval of the projection; 0 means
	// DefaultProjectInterval.
	ProjectInterval time.Duration
	// Scales are the fleet sizes of the projection; nil means
	// DefaultScales().
	Scales []int
	// ServerMetricsURL, if set, is the gateway's Prometheus /metrics,
	// scraped before the ramp and after the warm-up for its memory per
	// stream.
	ServerMetricsURL string
	// HTTPClient scrapes ServerMetricsURL; nil means a client with a
	// DefaultScrapeTimeout timeout.
	HTTPClient *http.Client
	// ConnectBackoff paces retries of failed connects; the zero value
	// means DefaultBackoff().
	ConnectBackoff BackoffConfig
	// ConnectParallel caps connects in flight, so a fast ramp does not
	// overflow the server's accept queue; 0 means DefaultConnectParallel.
	ConnectParallel int
	// ConnectTimeout bounds one connect attempt: the dial (TCP, TLS and
	// HTTP/2 setup) and the stream's open, until its response header
	// arrives. A stream the server does not open in time (its limit of
	// concurrent streams per connection reached, say) is a failed attempt
	// with DeadlineExceeded, retried on ConnectBackoff. It is wall-clock
	// time, not Clock's; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// UserID names client i's user; nil means "bench-<i>", so real events
	// for other users do not reach the idle clients.
	UserID func(i int) string
	// OnSnapshot, if set, receives a Snapshot every SnapshotEvery and once
	// at the end, always from the same goroutine. It must return quickly.
	OnSnapshot func(Snapshot)
	// SnapshotEvery is the snapshot period; 0 means DefaultSnapshotEvery.
	SnapshotEvery time.Duration
	// Dial opens a client connection to addr, bound to local when it is
	// valid; nil means a net.Dialer. A connection that implements
	// syscall.Conn gets TCP_INFO figures.
	Dial func(ctx context.Context, local netip.Addr, addr string) (net.Conn, error)
	// Clock drives phases and snapshots; nil means SystemClock.
	Clock Clock
	// Rand returns a number in [0, 1) for backoff jitter; nil means
	// math/rand/v2.Float64.
	Rand func() float64
	// Logger receives phase changes and connect failures; nil means
	// zap.NewNop().
	Logger *zap.Logger
	// Meter creates bench's own instruments; nil means a no-op meter.
	Meter metric.Meter
}

// ConfigError says which Config field is invalid and what it accepts, so a
// CLI can name the flag.
type ConfigError struct {
	Field    string
	Value    any
	Accepted string
}

// Error reads "config field Clients: got 0, want a count of at least 1".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("config field %s: got %v, want %s", e.Field, e.Value, e.Accepted)
}

// Validate reports the first invalid field of c as a *ConfigError.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults validates c and fills the optional fields.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		return c, &ConfigError{Field: "Addr", Value: `""`, Accepted: "host:port of the gateway"}
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return c, &ConfigError{Field: "Addr", Value: c.Addr, Accepted: "host:port of the gateway"}
	} else if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return c, &ConfigError{Field: "Addr", Value: c.Addr, Accepted: "a port from 1 to 65535"}
	}
	if c.Clients < 1 {
		return c, &ConfigError{Field: "Clients", Value: c.Clients, Accepted: "a count of at least 1"}
	}
	if c.StreamsPerConn == 0 {
		c.StreamsPerConn = 1
	}
	if c.StreamsPerConn < 1 {
		return c, &ConfigError{Field: "StreamsPerConn", Value: c.StreamsPerConn, Accepted: "a count of at least 1"}
	}
	if c.RampRate < 0 || math.IsNaN(c.RampRate) || math.IsInf(c.RampRate, 0) {
		return c, &ConfigError{Field: "RampRate", Value: c.RampRate, Accepted: "clients per second, 0 or more (0: as fast as possible)"}
	}
	if c.Pacer == nil {
		c.Pacer = ConstantPacer{Rate: c.RampRate}
	}
	for _, a := range c.SourceAddrs {
		if !a.IsValid() || !a.IsLoopback() || a.Zone() != "" {
			return c, &ConfigError{Field: "SourceAddrs", Value: a, Accepted: "loopback addresses (127.0.0.0/8 or ::1)"}
		}
	}
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
		return c, &ConfigError{Field: "Duration", Value: c.Duration, Accepted: "a duration greater than 0"}
	}
	switch c.ClientWindow {
	case "":
		c.ClientWindow = WindowDynamic
	case WindowDynamic, WindowStatic:
	default:
		return c, &ConfigError{Field: "ClientWindow", Value: strconv.Quote(c.ClientWindow), Accepted: `"dynamic" or "static"`}
	}
	if c.StaticWindow == 0 {
		c.StaticWindow = DefaultStaticWindow
	}
	if c.StaticWindow < DefaultStaticWindow {
		return c, &ConfigError{Field: "StaticWindow", Value: c.StaticWindow, Accepted: "at least 65535 bytes (grpc-go ignores smaller windows)"}
	}
	if c.ExpectedInterval < 0 {
		return c, &ConfigError{Field: "ExpectedInterval", Value: c.ExpectedInterval, Accepted: "a duration of 0 or more (0: learn it)"}
	}
	if c.ProjectInterval == 0 {
		c.ProjectInterval = DefaultProjectInterval
	}
	if c.ProjectInterval < 0 {
		return c, &ConfigError{Field: "ProjectInterval", Value: c.ProjectInterval, Accepted: "a duration greater than 0"}
	}
	if c.Scales == nil {
		c.Scales = DefaultScales()
	}
	for _, s := range c.Scales {
		if s < 1 {
			return c, &ConfigError{Field: "Scales", Value: s, Accepted: "client counts of at least 1"}
		}
	}
	if c.ServerMetricsURL != "" {
		u, err := url.Parse(c.ServerMetricsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, &ConfigError{Field: "ServerMetricsURL", Value: c.ServerMetricsURL, Accepted: "an http:// or https:// URL of a Prometheus /metrics endpoint"}
		}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultScrapeTimeout}
	}
	if c.ConnectBackoff == (BackoffConfig{}) {
		c.ConnectBackoff = DefaultBackoff()
	}
	if err := c.ConnectBackoff.validate(); err != nil {
		return c, err
	}
	if c.ConnectParallel == 0 {
		c.ConnectParallel = DefaultConnectParallel
	}
	if c.ConnectParallel < 1 {
		return c, &ConfigError{Field: "ConnectParallel", Value: c.ConnectParallel, Accepted: "a count of at least 1"}
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ConnectTimeout < 0 {
		return c, &ConfigError{Field: "ConnectTimeout", Value: c.ConnectTimeout, Accepted: "a duration greater than 0"}
	}
	if c.UserID == nil {
		c.UserID = func(i int) string { return defaultUserIDPrefix + strconv.Itoa(i) }
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.SnapshotEvery < 0 {
		return c, &ConfigError{Field: "SnapshotEvery", Value: c.SnapshotEvery, Accepted: "a duration greater than 0"}
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
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

// connections is how many connections c's clients use.
func (c Config) connections() int {
	return (c.Clients + c.StreamsPerConn - 1) / c.StreamsPerConn
}

// echo is c as the report shows it; c has its defaults filled in.
func (c Config) echo() report.ConfigEcho {
	e := report.ConfigEcho{
		Addr:               c.Addr,
		Clients:            c.Clients,
		StreamsPerConn:     c.StreamsPerConn,
		Connections:        c.connections(),
		RampRate:           c.RampRate,
		SourceAddrs:        []string{},
		WarmupMS:           ms(c.Warmup),
		DurationMS:         ms(c.Duration),
		TLS:                c.TLS != nil,
		ClientWindow:       c.ClientWindow,
		ExpectedIntervalMS: ms(c.ExpectedInterval),
		ProjectIntervalMS:  ms(c.ProjectInterval),
		Scales:             append([]int{}, c.Scales...),
		ServerMetricsURL:   c.ServerMetricsURL,
	}
	if c.ClientWindow == WindowStatic {
		e.StaticWindow = c.StaticWindow
	}
	for _, a := range c.SourceAddrs {
		e.SourceAddrs = append(e.SourceAddrs, a.String())
	}
	return e
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
