package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"

	"galaxy/galaxyctl/internal/gateway"
)

const defaultAddr = "127.0.0.1:7070"

// addrEnv is the environment variable that sets --addr's default.
const addrEnv = "GALAXYCTL_ADDR"

// clientOptions are the connection flags that publish and tail share, and
// the dial function they connect with.
type clientOptions struct {
	addr         string
	tls          bool
	caFile       string
	insecureSkip bool
	headers      []string
	// addrFromEnv says addr came from GALAXYCTL_ADDR, so an error about it
	// names the variable rather than a flag the user never typed.
	addrFromEnv bool

	// tlsConfig is resolved by complete; nil means plaintext.
	tlsConfig *tls.Config
	// dialer, if set, opens the connection instead of TCP, as gh injects
	// its HttpClient: tests pass a bufconn dialer to reach a stub server.
	dialer func(ctx context.Context, addr string) (net.Conn, error)
}

func (c *clientOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.addr, "addr", defaultAddr, "server address HOST:PORT (env GALAXYCTL_ADDR)")
	fs.BoolVar(&c.tls, "tls", false, "connect with TLS")
	fs.StringVar(&c.caFile, "cacert", "", "PEM file of the CA to trust (implies --tls)")
	fs.BoolVar(&c.insecureSkip, "insecure-skip-verify", false, "with TLS, do not verify the server's certificate (implies --tls)")
	fs.StringArrayVarP(&c.headers, "header", "H", nil, "request metadata 'key=value' or 'key: value' (repeatable)")
}

// complete takes the address from GALAXYCTL_ADDR unless --addr was given,
// and reads the CA file of --cacert.
func (c *clientOptions) complete(fs *pflag.FlagSet, getenv func(string) string) error {
	if env := getenv(addrEnv); env != "" && !fs.Changed("addr") {
		c.addr, c.addrFromEnv = env, true
	}
	if !c.useTLS() {
		return nil
	}
	host, _, _ := net.SplitHostPort(c.addr)
	cfg, err := clientTLS(c.caFile, c.insecureSkip, host)
	if err != nil {
		return err
	}
	c.tlsConfig = cfg
	return nil
}

// validate checks the address and the headers, without I/O.
func (c *clientOptions) validate() error {
	name := "--addr"
	if c.addrFromEnv {
		name = "environment variable " + addrEnv
	}
	if err := checkHostPort(name, c.addr, false); err != nil {
		return err
	}
	_, err := parseHeaders(c.headers)
	return err
}

// parseHeaders turns -H key=value flags into request metadata. It refuses
// here, naming the flag, what grpc-go would refuse at the first RPC
// (Internal: illegal characters) or drop without a word (reserved keys).
func parseHeaders(headers []string) (metadata.MD, error) {
	md := metadata.MD{}
	for _, h := range headers {
		k, v, ok := splitHeader(h)
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return nil, usagef("--header %q: want key=value or key: value", h)
		}
		if err := checkHeader(k, v); err != nil {
			return nil, usagef("--header %q: %v", h, err)
		}
		md.Append(k, v)
	}
	return md, nil
}

// splitHeader splits at the first ':' or '=' (no key holds either): "key:
// value" is grpcurl's and curl's form, whose value is trimmed as theirs is;
// key=value keeps the value as given.
func splitHeader(h string) (key, value string, ok bool) {
	i := strings.IndexAny(h, ":=")
	if i < 0 {
		return h, "", false
	}
	key, value = h[:i], h[i+1:]
	if h[i] == ':' {
		value = strings.TrimSpace(value)
	}
	return key, value, true
}

// checkHeader applies gRPC's rules for metadata: keys of [0-9a-z-_.],
// printable ASCII values unless the key ends in -bin (gRPC then base64s the
// bytes), and no key that gRPC sets itself.
func checkHeader(key, value string) error {
	if strings.IndexFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 {
		return fmt.Errorf("the key %q may only hold a-z, 0-9, '-', '_' and '.'", key)
	}
	if strings.HasPrefix(key, "grpc-") {
		return errors.New("keys starting grpc- are reserved for gRPC itself")
	}
	if _, ok := reservedHeaders[key]; ok {
		return fmt.Errorf("%s is set by gRPC itself", key)
	}
	if strings.HasSuffix(key, "-bin") {
		return nil
	}
	for i := 0; i < len(value); i++ {
		if value[i] < 0x20 || value[i] > 0x7e {
			return errors.New("the value may only hold printable ASCII (use a key ending in -bin for binary values)")
		}
	}
	return nil
}

func stripAddrErr(err error) string {
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err
	}
	return err.Error()
}

// useTLS says whether any TLS flag was given.
func (c *clientOptions) useTLS() bool { return c.tls || c.caFile != "" || c.insecureSkip }

// dial builds a lazy client connection; the first RPC connects. Keepalive
// pings find a half-open connection within about 40 s.
func (c *clientOptions) dial(g *globalOptions) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if c.tlsConfig != nil {
		if c.insecureSkip {
			g.say(zapcore.WarnLevel, "warning: --insecure-skip-verify: the server's certificate is not verified; anyone on the path can read and change this stream")
		}
		creds = grpcTLS(c.tlsConfig)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithKeepaliveParams(clientKeepalive), clientConnectParams, clientHeaderLimit}
	if c.dialer != nil {
		opts = append(opts, grpc.WithContextDialer(c.dialer))
	}
	conn, err := grpc.NewClient(c.addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", c.addr, err)
	}
	return conn, nil
}

// clientKeepalive pings an idle connection every 30 s and gives up after 10 s
// without an answer, so a half-open connection is found within about 40 s.
var clientKeepalive = keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}

// clientConnectParams caps grpc-go's own reconnect backoff at 5 s (its
// default grows to 120 s). While a connection attempt is failing every RPC
// fails at once, so that backoff, not the subscriber's, would decide how
// long a gateway or tail stays cut off after a long backend outage.
var clientConnectParams = grpc.WithConnectParams(grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
	MinConnectTimeout: 5 * time.Second,
})

// clientHeaderLimit bounds the response headers a server may make galaxyctl
// hold, as serve bounds requests' (grpc-go's default is 16 MiB).
var clientHeaderLimit = grpc.WithMaxHeaderListSize(gateway.MaxHeaderListBytes)

func grpcTLS(cfg *tls.Config) credentials.TransportCredentials { return credentials.NewTLS(cfg) }

// withHeaders attaches the -H metadata, which validate has checked, to an
// outgoing context.
func (c *clientOptions) withHeaders(ctx context.Context) context.Context {
	md, err := parseHeaders(c.headers)
	if err != nil || len(md) == 0 {
		return ctx
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// reservedHeaders are the request headers gRPC sets itself; grpc-go drops
// metadata with these keys without a word.
var reservedHeaders = map[string]struct{}{
	"content-type": {}, "user-agent": {}, "te": {},
}
