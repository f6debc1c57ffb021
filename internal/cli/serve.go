package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/httpstack"
	"galaxy/galaxyctl/internal/pipeline"
)

var serveRoles = pipeline.Roles()

// maxStreamsPerConn is serve's HTTP/2 MAX_CONCURRENT_STREAMS, which bench
// checks --streams-per-conn against.
const maxStreamsPerConn = pipeline.DefaultMaxStreamsPerConn

// The synthetic publisher's range: one event per 1000 s up to a million a
// second, beyond which a ticker cannot keep the pace anyway.
const (
	minPublishRate = 0.001
	maxPublishRate = 1e6
)

// serveOptions holds serve's flags.
type serveOptions struct {
	g *globalOptions

	listen      string
	role        string
	backendAddr string
	backendTLS  bool
	backendCA   string
	gatewayID   string
	heartbeat   time.Duration
	freshness   time.Duration
	ringSize    int
	clientQueue int // deprecated: accepted, and said to have no effect
	// The gateway's window and slow-client bound (gateway.Config).
	slowClientTimeout  time.Duration
	clientReplayEvents int
	clientReplayAge    time.Duration
	clientReplayBytes  int
	publishRate        float64
	metricsListen      string
	signingKeyFile     string
	tlsCert            string
	tlsKey             string
	tlsSelfSigned      bool
	readyFile          string
	publicKeyFile      string
	drainTimeout       time.Duration
	limits             pipeline.Limits
	web                bool
	corsOrigins        []string
	httpVersions       []string

	// Resolved by complete from the flags and the files they name.
	signingKey   ed25519.PrivateKey
	serverTLS    *tls.Config
	backendDials []grpc.DialOption
}

func newServeCmd(g *globalOptions, runF func(context.Context, *serveOptions) error) *cobra.Command {
	o := &serveOptions{g: g, limits: pipeline.DefaultLimits()}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the galaxy pipeline: backend, gateway, or both on one port",
		Long: `Serve runs the galaxy push pipeline for real on one gRPC port:

  backend   the Push service: a freshness-window ring of events with cursors
  gateway   the Gateway service: subscribes to a backend, signs events and
            fans them out to client streams, with a heartbeat after each
            silence so idle streams survive proxies
  all       both, the gateway consuming the backend in-process (default)

The port speaks native gRPC, Connect and gRPC-Web, over HTTP/1.1 and
HTTP/2 (h2c in plaintext; with TLS, ALPN picks one of --http-versions), so
browsers (connect-web) and gRPC clients alike can follow the gateway.
--web serves a page at / that does, as a browser sees it; --cors-origin
lets pages of other origins call the gateway.

gRPC health and server reflection are always served, so grpcurl works
against it. SIGINT or SIGTERM drains: client streams end with UNAVAILABLE,
then the server stops within --drain-timeout.`,
		Example: `  # the whole pipeline with a synthetic publisher and metrics
  galaxyctl serve --publish-rate 5 --metrics-listen 127.0.0.1:9090

  # a gateway alone, against a backend elsewhere
  galaxyctl serve --role gateway --listen 127.0.0.1:7071 --backend 127.0.0.1:7070

  # any free port; the bound addresses are written as JSON once serving
  galaxyctl serve --listen 127.0.0.1:0 --ready-file /tmp/galaxy.json

  # the browser page over HTTPS (HTTP/2), and a page elsewhere allowed to call
  galaxyctl serve --web --tls-self-signed --cors-origin https://ops.example.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return o.run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.listen, "listen", defaultAddr, "gRPC listen address HOST:PORT (port 0 picks a free port)")
	fs.StringVar(&o.role, "role", "all", "what to run: "+joinOr(serveRoles))
	fs.StringVar(&o.backendAddr, "backend", "", "backend address HOST:PORT for --role gateway")
	fs.BoolVar(&o.backendTLS, "backend-tls", false, "connect to --backend with TLS")
	fs.StringVar(&o.backendCA, "backend-cacert", "", "PEM CA file to trust for --backend (implies --backend-tls)")
	fs.StringVar(&o.gatewayID, "gateway-id", "", "this gateway's subscription id at the backend (default: gateway-HOSTNAME-PID)")
	fs.DurationVar(&o.heartbeat, "heartbeat", 15*time.Second, "heartbeat after each silence this long on a client stream (0 disables)")
	fs.DurationVar(&o.freshness, "freshness", 5*time.Minute, "how long the backend keeps events for replay")
	fs.IntVar(&o.ringSize, "ring-size", 65536, "most events the backend keeps for replay")
	fs.IntVar(&o.clientQueue, "client-queue", 256, "no effect (deprecated)")
	_ = fs.MarkDeprecated("client-queue", "clients now share the gateway's window of recent events (--client-replay-events, --client-replay-bytes) and a slow client is dropped by time (--slow-client-timeout); this flag has no effect")
	fs.DurationVar(&o.slowClientTimeout, "slow-client-timeout", gateway.DefaultSlowClientTimeout, "drop a gateway client that accepts no event for this long, or that the gateway has waited on this long in all")
	fs.IntVar(&o.clientReplayEvents, "client-replay-events", gateway.DefaultReplayEvents, "most recent events the gateway keeps to feed and resume clients (last_event_id)")
	fs.DurationVar(&o.clientReplayAge, "client-replay-age", gateway.DefaultReplayAge, "how long the gateway keeps an event for clients to resume after")
	fs.IntVar(&o.clientReplayBytes, "client-replay-bytes", gateway.DefaultReplayBytes, "most bytes of recent events the gateway keeps")
	fs.Float64Var(&o.publishRate, "publish-rate", 0, "synthetic events per second published into the backend (0: none)")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "serve Prometheus /metrics on HOST:PORT (port 0 picks one)")
	fs.StringVar(&o.signingKeyFile, "signing-key", "", "PEM PKCS#8 Ed25519 private key to sign events (default: an ephemeral key, public half logged)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate file to serve TLS with (needs --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key file for --tls-cert")
	fs.BoolVar(&o.tlsSelfSigned, "tls-self-signed", false, "serve TLS with a fresh self-signed certificate for 127.0.0.1/localhost")
	fs.StringVar(&o.readyFile, "ready-file", "", "once serving, write the bound addresses as JSON to this file (removed on exit)")
	fs.StringVar(&o.publicKeyFile, "public-key-file", "", "once serving, write the gateway's signing public key as PEM to this file, for tail --verify-key")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long to wait for streams to end")
	fs.IntVar(&o.limits.MaxConnections, "max-connections", 0, "most client connections held at once (0: no limit beyond open files)")
	fs.DurationVar(&o.limits.HandshakeTimeout, "handshake-timeout", o.limits.HandshakeTimeout, "close a new connection that has not finished its TLS handshake and HTTP/2 preface within this")
	fs.DurationVar(&o.limits.MaxConnectionIdle, "max-connection-idle", o.limits.MaxConnectionIdle, "close (GOAWAY) a connection that has had no stream for this long")
	fs.BoolVar(&o.web, "web", false, "serve a page at / that follows the gateway with connect-web, as a browser sees it")
	fs.StringArrayVar(&o.corsOrigins, "cors-origin", nil, "let browser pages of this origin (scheme://host[:port], or *) call the gateway; repeatable (default: none)")
	fs.StringSliceVar(&o.httpVersions, "http-versions", []string{"1.1", "2"}, "HTTP versions served: 1.1, 2 or both (with TLS, what ALPN offers); native gRPC needs 2")
	registerEnumCompletion(cmd, "role", serveRoles)
	registerEnumCompletion(cmd, "http-versions", httpVersions)
	for _, f := range []string{"signing-key", "tls-cert", "tls-key", "ready-file", "public-key-file", "backend-cacert"} {
		_ = cmd.MarkFlagFilename(f)
	}
	return cmd
}

func (o *serveOptions) validate() error {
	if err := checkHostPort("--listen", o.listen, true); err != nil {
		return err
	}
	if !contains(serveRoles, o.role) {
		return usagef("--role %q is not one of %s", o.role, joinOr(serveRoles))
	}
	switch {
	case o.role == "gateway" && o.backendAddr == "":
		return usagef("--role gateway needs --backend HOST:PORT")
	case o.role != "gateway" && o.backendAddr != "":
		return usagef("--backend is only for --role gateway (with --role %s the backend is in-process)", o.role)
	}
	if o.backendAddr != "" {
		if err := checkHostPort("--backend", o.backendAddr, false); err != nil {
			return err
		}
	}
	if o.heartbeat < 0 {
		return usagef("--heartbeat must be 0 (off) or positive, got %s", o.heartbeat)
	}
	if o.freshness <= 0 {
		return usagef("--freshness must be positive, got %s", o.freshness)
	}
	if o.ringSize < 1 {
		return usagef("--ring-size must be at least 1, got %d", o.ringSize)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--slow-client-timeout", o.slowClientTimeout},
		{"--client-replay-age", o.clientReplayAge},
		{"--handshake-timeout", o.limits.HandshakeTimeout},
		{"--max-connection-idle", o.limits.MaxConnectionIdle},
	} {
		if d.v <= 0 {
			return usagef("%s must be positive, got %s", d.flag, d.v)
		}
	}
	if o.clientReplayEvents < 1 {
		return usagef("--client-replay-events must be at least 1, got %d", o.clientReplayEvents)
	}
	if o.clientReplayBytes < 1 {
		return usagef("--client-replay-bytes must be at least 1, got %d", o.clientReplayBytes)
	}
	// NaN fails every comparison, so test for the accepted range, and keep
	// the ticker's interval (1 s / rate) inside what a Duration can hold.
	if o.publishRate != 0 && !(o.publishRate >= minPublishRate && o.publishRate <= maxPublishRate) {
		return usagef("--publish-rate must be 0 (none) or from %g to %g events per second, got %g", minPublishRate, maxPublishRate, o.publishRate)
	}
	if o.publishRate > 0 && o.role == "gateway" {
		return usagef("--publish-rate needs a backend: use --role all or backend")
	}
	if o.publicKeyFile != "" && o.role == "backend" {
		return usagef("--public-key-file needs a gateway: use --role all or gateway (a backend signs nothing)")
	}
	if o.metricsListen != "" {
		if err := checkHostPort("--metrics-listen", o.metricsListen, true); err != nil {
			return err
		}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if o.tlsSelfSigned && o.tlsCert != "" {
		return usagef("--tls-self-signed and --tls-cert are alternatives: give one")
	}
	if o.drainTimeout <= 0 {
		return usagef("--drain-timeout must be positive, got %s", o.drainTimeout)
	}
	if o.limits.MaxConnections < 0 {
		return usagef("--max-connections must be 0 (no limit) or positive, got %d", o.limits.MaxConnections)
	}
	return o.validateHTTP()
}

// httpVersions are the values --http-versions accepts.
var httpVersions = []string{"1.1", "2"}

// validateHTTP checks the flags of the browser-facing side.
func (o *serveOptions) validateHTTP() error {
	if len(o.httpVersions) == 0 {
		return usagef("--http-versions needs at least one of %s", joinOr(httpVersions))
	}
	for i, v := range o.httpVersions {
		if !contains(httpVersions, v) {
			return usagef("--http-versions: %q is not one of %s", v, joinOr(httpVersions))
		}
		if contains(o.httpVersions[:i], v) {
			return usagef("--http-versions: %s is given twice", v)
		}
	}
	for _, origin := range o.corsOrigins {
		if err := httpstack.CheckOrigin(origin); err != nil {
			return usagef("--cors-origin: %v", err)
		}
	}
	if o.web && o.role == "backend" {
		return usagef("--web needs a gateway: use --role all or gateway")
	}
	if len(o.corsOrigins) > 0 && o.role == "backend" {
		return usagef("--cors-origin needs a gateway: use --role all or gateway")
	}
	return nil
}

// complete resolves the default gateway id and reads the files the flags
// name: the signing key, the TLS pair, the backend's CA. Files of flags that
// validate will refuse are left unread.
func (o *serveOptions) complete() error {
	if o.gatewayID == "" {
		host, _ := os.Hostname()
		o.gatewayID = fmt.Sprintf("gateway-%s-%d", host, os.Getpid())
	}
	if o.role != "backend" && o.signingKeyFile != "" {
		k, err := gateway.LoadSigningKey(o.signingKeyFile)
		if err != nil {
			return usagef("--signing-key: %v", err)
		}
		o.signingKey = k
	}
	if o.tlsCert != "" && o.tlsKey != "" && !o.tlsSelfSigned {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return usagef("--tls-cert %s / --tls-key %s: %v", o.tlsCert, o.tlsKey, err)
		}
		o.serverTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if o.role == "gateway" && o.backendAddr != "" {
		creds, err := o.backendCreds()
		if err != nil {
			return err
		}
		o.backendDials = []grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithKeepaliveParams(clientKeepalive), clientConnectParams, clientHeaderLimit}
	}
	return nil
}

// backendCreds are the transport credentials for --backend.
func (o *serveOptions) backendCreds() (credentials.TransportCredentials, error) {
	if !o.backendTLS && o.backendCA == "" {
		return insecure.NewCredentials(), nil
	}
	host, _, _ := net.SplitHostPort(o.backendAddr)
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if o.backendCA != "" {
		pool, err := loadCAPool("--backend-cacert", o.backendCA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return grpcTLS(cfg), nil
}

// pipelineConfig maps the completed options onto the pipeline's Config.
func (o *serveOptions) pipelineConfig() pipeline.Config {
	return pipeline.Config{
		Listen:             o.listen,
		Role:               o.role,
		Backend:            o.backendAddr,
		BackendDialOptions: o.backendDials,
		GatewayID:          o.gatewayID,
		Heartbeat:          o.heartbeat,
		Freshness:          o.freshness,
		RingSize:           o.ringSize,
		SlowClientTimeout:  o.slowClientTimeout,
		ReplayEvents:       o.clientReplayEvents,
		ReplayBytes:        o.clientReplayBytes,
		ReplayAge:          o.clientReplayAge,
		PublishRate:        o.publishRate,
		MetricsListen:      o.metricsListen,
		SigningKey:         o.signingKey,
		TLS:                o.serverTLS,
		HTTPVersions:       o.httpVersions,
		CORSOrigins:        o.corsOrigins,
		Web:                o.web,
		Limits:             o.limits,
		Logger:             o.g.Logger(),
	}
}

// run starts the pipeline, announces it, and shuts it down when ctx ends
// (SIGINT, SIGTERM) or the pipeline fails.
func (o *serveOptions) run(ctx context.Context) error {
	cfg := o.pipelineConfig()
	caFile := ""
	if o.tlsSelfSigned {
		tlsCfg, path, err := o.selfSignedTLS()
		if err != nil {
			return err
		}
		defer func() { _ = os.Remove(path) }() // best effort: a public certificate in the temp dir
		cfg.TLS, caFile = tlsCfg, path
	}
	p, err := pipeline.Start(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while starting: a normal end
		}
		return serveError(err)
	}
	if err := o.writeFiles(p.Info(), caFile); err != nil {
		o.shutdown(ctx, p)
		return err
	}
	if o.readyFile != "" {
		// The file says "serving": it must not outlive the server.
		defer func() { _ = os.Remove(o.readyFile) }() // best effort: serve is ending anyway
	}
	select {
	case err := <-p.Failed():
		o.shutdown(ctx, p)
		return err
	case <-ctx.Done():
		o.shutdown(ctx, p)
		return nil
	}
}

// writeFiles writes the public key of --public-key-file, then the ready
// file, so that a reader woken by the ready file finds the key.
func (o *serveOptions) writeFiles(info pipeline.Info, caFile string) error {
	if o.publicKeyFile != "" && info.PublicKey != nil {
		b, err := gateway.MarshalPublicKeyPEM(info.PublicKey)
		if err == nil {
			err = writeFileAtomic(o.publicKeyFile, b)
		}
		if err != nil {
			return fmt.Errorf("--public-key-file: %w", err)
		}
	}
	if o.readyFile != "" {
		if err := writeJSONFile(o.readyFile, newReadyInfo(info, caFile)); err != nil {
			return fmt.Errorf("--ready-file: %w", err)
		}
	}
	return nil
}

// shutdown drains p within --drain-timeout. A drain the deadline cut short
// is logged by the pipeline and is still a normal end for serve.
func (o *serveOptions) shutdown(ctx context.Context, p *pipeline.Pipeline) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.drainTimeout)
	defer cancel()
	_ = p.Shutdown(sctx)
}

// selfSignedTLS makes a certificate for --tls-self-signed and writes its
// PEM to a temporary file for clients' --cacert; the caller removes it.
func (o *serveOptions) selfSignedTLS() (*tls.Config, string, error) {
	cert, pemBytes, err := selfSignedCert(time.Now())
	if err != nil {
		return nil, "", err
	}
	path, err := writeTemp("galaxyctl-ca-*.pem", pemBytes)
	if err != nil {
		return nil, "", err
	}
	o.g.Logger().Info("self-signed TLS certificate written; trust it with --cacert", zap.String("file", path))
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, path, nil
}

// serveError names the flag behind a pipeline's address or config error.
func serveError(err error) error {
	flags := map[string]string{"Listen": "--listen", "MetricsListen": "--metrics-listen", "Backend": "--backend"}
	var ae *pipeline.AddrError
	if errors.As(err, &ae) {
		if f, ok := flags[ae.Field]; ok {
			return fmt.Errorf("%s %s: %w", f, ae.Addr, ae.Err)
		}
	}
	return err
}
