package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
)

const defaultAddr = "127.0.0.1:7070"

// clientOptions are the connection flags that publish and tail share.
type clientOptions struct {
	addr         string
	tls          bool
	caFile       string
	insecureSkip bool
	headers      []string

	md metadata.MD
}

func (c *clientOptions) addFlags(fs *pflag.FlagSet) {
	def := defaultAddr
	if env := os.Getenv("GALAXYCTL_ADDR"); env != "" {
		def = env
	}
	fs.StringVar(&c.addr, "addr", def, "server address HOST:PORT (env GALAXYCTL_ADDR)")
	fs.BoolVar(&c.tls, "tls", false, "connect with TLS")
	fs.StringVar(&c.caFile, "cacert", "", "PEM file of the CA to trust (implies --tls)")
	fs.BoolVar(&c.insecureSkip, "insecure-skip-verify", false, "with TLS, do not verify the server's certificate (implies --tls)")
	fs.StringArrayVarP(&c.headers, "header", "H", nil, "request metadata key=value (repeatable)")
}

// validate checks the flags and resolves the headers.
func (c *clientOptions) validate() error {
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return usagef("--addr %q is not HOST:PORT: %v", c.addr, stripAddrErr(err))
	}
	c.md = metadata.MD{}
	for _, h := range c.headers {
		k, v, ok := strings.Cut(h, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return usagef("--header %q: want key=value", h)
		}
		c.md.Append(strings.ToLower(k), v)
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
	if c.useTLS() {
		host, _, _ := net.SplitHostPort(c.addr)
		cfg, err := clientTLS(c.caFile, c.insecureSkip, host)
		if err != nil {
			return nil, err
		}
		if c.insecureSkip {
			fmt.Fprintln(g.streams.ErrOut, "warning: --insecure-skip-verify: the server's certificate is not verified; anyone on the path can read and change this stream")
		}
		creds = grpcTLS(cfg)
	}
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(creds), grpc.WithKeepaliveParams(clientKeepalive))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", c.addr, err)
	}
	return conn, nil
}

// clientKeepalive pings an idle connection every 30 s and gives up after 10 s
// without an answer, so a half-open connection is found within about 40 s.
var clientKeepalive = keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}

func grpcTLS(cfg *tls.Config) credentials.TransportCredentials { return credentials.NewTLS(cfg) }

// withHeaders attaches the -H metadata to an outgoing context.
func (c *clientOptions) withHeaders(ctx context.Context) context.Context {
	if len(c.md) == 0 {
		return ctx
	}
	return metadata.NewOutgoingContext(ctx, c.md)
}
