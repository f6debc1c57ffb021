package pipeline

import (
	"crypto/ed25519"
	"crypto/tls"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/httpstack"
)

// The roles a Pipeline can run.
const (
	// RoleAll runs a backend and a gateway that consumes it in-process.
	RoleAll = "all"
	// RoleBackend runs the Push service alone.
	RoleBackend = "backend"
	// RoleGateway runs the Gateway service against a backend elsewhere.
	RoleGateway = "gateway"
)

// Roles lists the roles in the order a command shows them.
func Roles() []string { return []string{RoleAll, RoleBackend, RoleGateway} }

// Config is what a Pipeline needs. Listen and Role are required, Backend with
// RoleGateway only; every other field has a usable zero value.
type Config struct {
	// Listen is the address the servers listen on, HOST:PORT; port 0 picks
	// a free port, which Info reports.
	Listen string
	// Role is RoleAll, RoleBackend or RoleGateway.
	Role string
	// Backend is the backend's address with RoleGateway.
	Backend string
	// BackendDialOptions are added to the connection to Backend (transport
	// credentials, keepalive, connect backoff); without credentials the
	// connection is plaintext.
	BackendDialOptions []grpc.DialOption
	// GatewayID is the gateway's subscription id at the backend; empty means
	// "gateway".
	GatewayID string
	// Heartbeat is the gateway's heartbeat interval; zero disables
	// heartbeats.
	Heartbeat time.Duration
	// Freshness and RingSize bound the backend's ring (zero: the backend's
	// defaults).
	Freshness time.Duration
	RingSize  int
	// SlowClientTimeout, ReplayEvents, ReplayBytes and ReplayAge are the
	// gateway's slow-client bound and window of recent events (zero: the
	// gateway's defaults; see gateway.Config).
	SlowClientTimeout time.Duration
	ReplayEvents      int
	ReplayBytes       int
	ReplayAge         time.Duration
	// PublishRate is how many synthetic events per second are published
	// into the backend; zero publishes none.
	PublishRate float64
	// MetricsListen, if set, is where Prometheus /metrics is served.
	MetricsListen string
	// SigningKey signs gateway events; nil means an ephemeral key, whose
	// public half is logged and reported by Info.
	SigningKey ed25519.PrivateKey
	// TLS, if set, is served on Listen; nil serves plaintext (h2c).
	TLS *tls.Config
	// HTTPVersions are the HTTP versions served, "1.1" and "2"; empty
	// means both. With TLS, ALPN offers only these; in plaintext the other
	// is refused with a message. Native gRPC needs "2".
	HTTPVersions []string
	// CORSOrigins are the browser origins allowed to call the gateway from
	// pages of their own (scheme://host[:port], or "*"); none by default.
	CORSOrigins []string
	// Web serves the operator's page at "/" (with a gateway).
	Web bool
	// Limits bound what one client can make the servers hold; the zero
	// value means DefaultLimits().
	Limits Limits
	// Logger receives the lifecycle and the engines' logs; nil means
	// zap.NewNop().
	Logger *zap.Logger
}

// Limits bound what one client can make a Pipeline's servers hold, on
// every stack; the README's limits table documents them.
type Limits = gateway.Limits

// DefaultMaxStreamsPerConn is the default Limits.MaxStreamsPerConn, which
// bench checks its --streams-per-conn against.
const DefaultMaxStreamsPerConn = 1024

// DefaultLimits returns serve's limits.
func DefaultLimits() Limits {
	l := gateway.DefaultLimits()
	l.MaxStreamsPerConn = DefaultMaxStreamsPerConn
	return l
}

// ConfigError names the Config field that is wrong, its value and what would
// be accepted, so a command can name its own flag.
type ConfigError struct {
	Field    string
	Value    any
	Accepted string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("pipeline %s is %v, want %s", e.Field, e.Value, e.Accepted)
}

// AddrError is a failure to listen on, or connect to, one of Config's
// addresses; Field names it (Listen, MetricsListen or Backend) so a command
// can name its own flag.
type AddrError struct {
	Field string
	Addr  string
	Err   error
}

func (e *AddrError) Error() string { return fmt.Sprintf("%s %s: %v", e.Field, e.Addr, e.Err) }
func (e *AddrError) Unwrap() error { return e.Err }

// withDefaults validates c and fills its zero values. It checks what the
// engines do not: the role and the addresses it needs.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Role != RoleAll && c.Role != RoleBackend && c.Role != RoleGateway:
		return c, &ConfigError{Field: "Role", Value: c.Role, Accepted: "all, backend or gateway"}
	case c.Listen == "":
		return c, &ConfigError{Field: "Listen", Value: `""`, Accepted: "a HOST:PORT address"}
	case c.Role == RoleGateway && c.Backend == "":
		return c, &ConfigError{Field: "Backend", Value: `""`, Accepted: "a HOST:PORT address with RoleGateway"}
	case c.Role != RoleGateway && c.Backend != "":
		return c, &ConfigError{Field: "Backend", Value: c.Backend, Accepted: "empty unless Role is gateway"}
	case !(c.PublishRate >= 0) || c.PublishRate > 0 && c.Role == RoleGateway:
		return c, &ConfigError{Field: "PublishRate", Value: c.PublishRate, Accepted: "0, or a positive rate with a backend"}
	case c.Web && c.Role == RoleBackend:
		return c, &ConfigError{Field: "Web", Value: true, Accepted: "false with RoleBackend: the page follows a gateway"}
	}
	for _, v := range c.HTTPVersions {
		if v != "1.1" && v != "2" {
			return c, &ConfigError{Field: "HTTPVersions", Value: v, Accepted: `"1.1" and "2"`}
		}
	}
	for _, o := range c.CORSOrigins {
		if err := httpstack.CheckOrigin(o); err != nil {
			return c, &ConfigError{Field: "CORSOrigins", Value: fmt.Sprintf("%q", o), Accepted: "scheme://host[:port] in lower case, or *"}
		}
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits()
	}
	if c.GatewayID == "" {
		c.GatewayID = "gateway"
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, nil
}

// serves reports whether c serves HTTP version v ("1.1" or "2").
func (c Config) serves(v string) bool {
	return len(c.HTTPVersions) == 0 || slices.Contains(c.HTTPVersions, v)
}
