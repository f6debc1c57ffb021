package lean

import (
	"crypto/tls"
	"fmt"
	"runtime"
	"strconv"
	"time"
)

// Protocols a client speaks.
const (
	ProtocolGRPC    = "grpc"
	ProtocolConnect = "connect"
	ProtocolGRPCWeb = "grpc-web"
)

// HTTP versions.
const (
	HTTP1 = "1.1"
	HTTP2 = "2"
)

// Codecs of the messages.
const (
	CodecProto = "proto"
	CodecJSON  = "json"
)

// Profiles: whose wire behaviour a client reproduces.
const (
	// ProfileGRPCGo is grpc-go's client with its default dynamic window:
	// its BDP estimator PINGs (with a connection WINDOW_UPDATE before the
	// PING, in the same write) whenever data arrives and no probe is
	// outstanding, which for an idle stream is every heartbeat.
	ProfileGRPCGo = "grpc-go"
	// ProfileGRPCGoStatic is grpc-go with WithInitialWindowSize and
	// WithInitialConnWindowSize: no BDP probing, a WINDOW_UPDATE once a
	// quarter of the window has been received.
	ProfileGRPCGoStatic = "grpc-go-static"
	// ProfileBrowser is Chromium: on HTTP/2 its SETTINGS, a 15 MiB
	// connection window, a WINDOW_UPDATE per scope when more than half its
	// window is unacknowledged or 5 s have passed since its last one (each
	// in a write of its own, the connection's first), never a PING of its
	// own; on HTTP/1.1 a request with Content-Length and a chunked
	// response, and nothing but the kernel's ACKs afterwards.
	ProfileBrowser = "browser"
)

// DefaultWindow is HTTP/2's initial flow-control window.
const DefaultWindow = 65535

// Chromium's receive windows: SETTINGS_INITIAL_WINDOW_SIZE for streams and
// the connection's window after its first WINDOW_UPDATE.
const (
	ChromeStreamWindow  = 6 << 20
	ChromeSessionWindow = 15 << 20
	// ChromeWindowUpdateAfter is Chromium's
	// kDefaultTimeToBufferSmallWindowUpdates.
	ChromeWindowUpdateAfter = 5 * time.Second
)

// Config is an engine's client kind and its seams. Protocol, HTTP and
// Profile are required; Codec defaults to DefaultCodec(Protocol).
type Config struct {
	Protocol string
	HTTP     string
	Codec    string
	Profile  string
	// Authority is the :authority (Host) of every request: the target as
	// the user gave it.
	Authority string
	// TLS is the client TLS configuration; nil means plaintext (h2c).
	// NextProtos is set from HTTP.
	TLS *tls.Config
	// StaticWindow is the stream and connection window of
	// ProfileGRPCGoStatic; 0 means DefaultWindow.
	StaticWindow uint32
	// Loops is how many event loops (goroutines) serve the connections; 0
	// means GOMAXPROCS.
	Loops int
	// Portable serves every connection with a goroutine of its own instead
	// of an event loop, as on systems without one (tests use it to run
	// both drivers on Linux).
	Portable bool
	// Events receives what the streams receive; required.
	Events Events
	// Now is the engine's clock (BDP round trips, Chromium's 5 s rule,
	// message times); nil means time.Now.
	Now func() time.Time
}

// DefaultCodec is the codec a client of protocol uses unless told: JSON
// for Connect (connect-web's default), protobuf for gRPC and gRPC-Web
// (connect-web's gRPC-Web transport is binary by default).
func DefaultCodec(protocol string) string {
	if protocol == ProtocolConnect {
		return CodecJSON
	}
	return CodecProto
}

// DefaultProfile is the profile of a protocol's typical client: grpc-go
// for gRPC, a browser for Connect and gRPC-Web.
func DefaultProfile(protocol string) string {
	if protocol == ProtocolGRPC {
		return ProfileGRPCGo
	}
	return ProfileBrowser
}

// ConfigError says which Config field is invalid, what it accepts and,
// for a combination that makes no sense, the other field involved.
type ConfigError struct {
	Field    string
	Value    any
	Other    string // the field Value conflicts with; empty for a bad value alone
	Accepted string
}

// Error reads "config field Profile: got "browser", want ..." or, for a
// conflict, "config fields Profile and Protocol: ...".
func (e *ConfigError) Error() string {
	if e.Other != "" {
		return fmt.Sprintf("config fields %s and %s: got %v, want %s", e.Field, e.Other, e.Value, e.Accepted)
	}
	return fmt.Sprintf("config field %s: got %v, want %s", e.Field, e.Value, e.Accepted)
}

// WithDefaults validates c and fills its defaults.
func (c Config) WithDefaults() (Config, error) {
	if err := CheckKind(&c.Protocol, &c.HTTP, &c.Codec, &c.Profile); err != nil {
		return c, err
	}
	if c.StaticWindow == 0 {
		c.StaticWindow = DefaultWindow
	}
	if c.StaticWindow < DefaultWindow || c.StaticWindow > 1<<31-1 {
		return c, &ConfigError{Field: "StaticWindow", Value: c.StaticWindow, Accepted: "65535 to 2147483647 bytes"}
	}
	if c.Loops == 0 {
		c.Loops = runtime.GOMAXPROCS(0)
	}
	if c.Loops < 0 {
		return c, &ConfigError{Field: "Loops", Value: c.Loops, Accepted: "a count of at least 1 (0: GOMAXPROCS)"}
	}
	if c.Events == nil {
		return c, &ConfigError{Field: "Events", Value: "nil", Accepted: "a receiver of the streams' messages"}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// CheckKind validates a client kind and fills the codec and profile a
// protocol implies when they are empty. The combinations refused are the
// ones no real client makes: gRPC needs HTTP/2 trailers, grpc-go speaks
// only gRPC, a browser cannot read gRPC's trailers.
func CheckKind(protocol, httpVersion, codec, profile *string) error {
	switch *protocol {
	case ProtocolGRPC, ProtocolConnect, ProtocolGRPCWeb:
	default:
		return &ConfigError{Field: "Protocol", Value: strconv.Quote(*protocol), Accepted: `"grpc", "connect" or "grpc-web"`}
	}
	switch *httpVersion {
	case HTTP1, HTTP2:
	default:
		return &ConfigError{Field: "HTTP", Value: strconv.Quote(*httpVersion), Accepted: `"1.1" or "2"`}
	}
	if *protocol == ProtocolGRPC && *httpVersion == HTTP1 {
		return &ConfigError{Field: "HTTP", Value: strconv.Quote(*httpVersion), Other: "Protocol",
			Accepted: `HTTP "2" for gRPC, which needs HTTP/2 trailers (Connect and gRPC-Web run over HTTP/1.1)`}
	}
	if *codec == "" {
		*codec = DefaultCodec(*protocol)
	}
	if *codec != CodecProto && *codec != CodecJSON {
		return &ConfigError{Field: "Codec", Value: strconv.Quote(*codec), Accepted: `"proto" or "json"`}
	}
	if *profile == "" {
		*profile = DefaultProfile(*protocol)
	}
	switch *profile {
	case ProfileGRPCGo, ProfileGRPCGoStatic:
		if *protocol != ProtocolGRPC {
			return &ConfigError{Field: "Profile", Value: strconv.Quote(*profile), Other: "Protocol",
				Accepted: `protocol "grpc" for a grpc-go profile (grpc-go speaks only gRPC; Connect and gRPC-Web clients are browsers: profile "browser")`}
		}
	case ProfileBrowser:
		if *protocol == ProtocolGRPC {
			return &ConfigError{Field: "Profile", Value: strconv.Quote(*profile), Other: "Protocol",
				Accepted: `protocol "connect" or "grpc-web" for the browser profile (a browser cannot read gRPC's HTTP/2 trailers)`}
		}
	default:
		return &ConfigError{Field: "Profile", Value: strconv.Quote(*profile), Accepted: `"grpc-go", "grpc-go-static" or "browser"`}
	}
	return nil
}
