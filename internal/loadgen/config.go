package loadgen

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/clock"
	"galaxy/galaxyctl/internal/loadgen/lean"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// Client flow-control modes (Config.ClientWindow): the older spelling of
// the grpc-go profiles.
const (
	// WindowDynamic is grpc-go's default: its BDP estimator sends a PING
	// (and a connection WINDOW_UPDATE) when data arrives and no probe is
	// outstanding, which for idle streams means on nearly every heartbeat.
	// It is ProfileGRPCGo.
	WindowDynamic = report.WindowDynamic
	// WindowStatic sets fixed stream and connection windows, which turns
	// BDP probing off in grpc-go. It is ProfileGRPCGoStatic.
	WindowStatic = report.WindowStatic
	// WindowBrowser is what ClientWindow says for ProfileBrowser.
	WindowBrowser = report.WindowBrowser
)

// Client kinds (Config.Protocol, HTTP, Codec, Profile): package lean's.
const (
	ProtocolGRPC        = lean.ProtocolGRPC
	ProtocolConnect     = lean.ProtocolConnect
	ProtocolGRPCWeb     = lean.ProtocolGRPCWeb
	HTTP1               = lean.HTTP1
	HTTP2               = lean.HTTP2
	CodecProto          = lean.CodecProto
	CodecJSON           = lean.CodecJSON
	ProfileGRPCGo       = lean.ProfileGRPCGo
	ProfileGRPCGoStatic = lean.ProfileGRPCGoStatic
	ProfileBrowser      = lean.ProfileBrowser
)

// Engines (Config.Engine).
const (
	// EngineLean is package lean: event loops, a few KiB per client, every
	// protocol and profile.
	EngineLean = "lean"
	// EngineGRPCGo is the real grpc-go client, one ClientConn per
	// connection: the ground truth of the grpc-go profiles.
	EngineGRPCGo = "grpc-go"
)

// Defaults for zero-valued Config fields.
const (
	DefaultWarmup          = 2 * time.Second
	DefaultDuration        = 30 * time.Second
	DefaultProjectInterval = 15 * time.Second
	DefaultSnapshotEvery   = 250 * time.Millisecond
	// DefaultLiveEvery is how often the live report is rebuilt: at most
	// once a second, so its TCP_INFO sweep stays cheap at 100,000 sockets.
	DefaultLiveEvery = time.Second
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
	// Protocol is ProtocolGRPC (also ""), ProtocolConnect or
	// ProtocolGRPCWeb; HTTP is HTTP2 (also "") or HTTP1 (not for gRPC);
	// Codec is CodecProto or CodecJSON, "" for the protocol's default
	// (lean.DefaultCodec: JSON for Connect, as connect-web).
	Protocol string
	HTTP     string
	Codec    string
	// Profile is whose wire behaviour the clients copy: ProfileGRPCGo,
	// ProfileGRPCGoStatic or ProfileBrowser; "" means ClientWindow's, or
	// else the protocol's usual client (lean.DefaultProfile).
	Profile string
	// ClientWindow is the older way to choose a grpc-go profile:
	// WindowDynamic or WindowStatic. Once defaults are filled it names the
	// profile's window: dynamic, static or browser.
	ClientWindow string
	// StaticWindow is the stream and connection window in static mode; 0
	// means DefaultStaticWindow.
	StaticWindow int32
	// Engine is EngineLean (also "") or EngineGRPCGo, which runs only the
	// grpc-go profiles of gRPC over HTTP/2 with protobuf.
	Engine string
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
	// LiveEvery is how often the snapshots' live report is rebuilt, with a
	// TCP_INFO sweep of every socket and a scrape of ServerMetricsURL; 0
	// means DefaultLiveEvery. A slow sweep stretches it, so the sweep never
	// takes more than a tenth of the time.
	LiveEvery time.Duration
	// Dial opens a client connection to addr, bound to local when it is
	// valid; nil means a net.Dialer. A connection that implements
	// syscall.Conn gets TCP_INFO figures.
	Dial func(ctx context.Context, local netip.Addr, addr string) (net.Conn, error)
	// Clock drives phases, snapshots and connect backoff; nil means
	// clock.System.
	Clock clock.Clock
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
// CLI can name the flag; for a combination that makes no sense, Other is
// the field it conflicts with.
type ConfigError = lean.ConfigError

// Validate reports the first invalid field of c as a *ConfigError.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// WithDefaults returns c with its defaults filled in (the client kind a
// protocol implies, say), or its first invalid field as a *ConfigError.
func (c Config) WithDefaults() (Config, error) { return c.withDefaults() }

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
		Protocol:           c.Protocol,
		HTTP:               c.HTTP,
		Codec:              c.Codec,
		Profile:            c.Profile,
		Engine:             c.Engine,
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
