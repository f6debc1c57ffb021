package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/telemetry"
)

var serveRoles = []string{"all", "backend", "gateway"}

// The synthetic publisher's range: one event per 1000 s up to a million a
// second, beyond which a ticker cannot keep the pace anyway.
const (
	// maxStreamsPerConn is serve's HTTP/2 MAX_CONCURRENT_STREAMS.
	maxStreamsPerConn = 1024

	minPublishRate = 0.001
	maxPublishRate = 1e6
)

// serveOptions holds serve's flags.
type serveOptions struct {
	g *globalOptions

	listen        string
	role          string
	backendAddr   string
	backendTLS    bool
	backendCA     string
	gatewayID     string
	heartbeat     time.Duration
	freshness     time.Duration
	ringSize      int
	clientQueue   int // deprecated: accepted, and said to have no effect
	publishRate   float64
	metricsListen string
	signingKey    string
	tlsCert       string
	tlsKey        string
	tlsSelfSigned bool
	readyFile     string
	drainTimeout  time.Duration

	// The gateway's window and slow-client bound (gateway.Config).
	slowClientTimeout  time.Duration
	clientReplayEvents int
	clientReplayAge    time.Duration
	clientReplayBytes  int

	// limits bound what one client can make the server hold; documented
	// in the README.
	limits gateway.Limits
}

func newServeCmd(g *globalOptions, runF func(context.Context, *serveOptions) error) *cobra.Command {
	o := &serveOptions{g: g}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the galaxy pipeline: backend, gateway, or both on one port",
		Long: `Serve runs the galaxy push pipeline for real on one gRPC port:

  backend   the Push service: a freshness-window ring of events with cursors
  gateway   the Gateway service: subscribes to a backend, signs events and
            fans them out to client streams, with a heartbeat after each
            silence so idle streams survive proxies
  all       both, the gateway consuming the backend in-process (default)

gRPC health and server reflection are always served, so grpcurl works
against it. SIGINT or SIGTERM drains: client streams end with UNAVAILABLE,
then the server stops within --drain-timeout.`,
		Example: `  # the whole pipeline with a synthetic publisher and metrics
  galaxyctl serve --publish-rate 5 --metrics-listen 127.0.0.1:9090

  # a gateway alone, against a backend elsewhere
  galaxyctl serve --role gateway --listen 127.0.0.1:7071 --backend 127.0.0.1:7070

  # any free port; the bound addresses are written as JSON once serving
  galaxyctl serve --listen 127.0.0.1:0 --ready-file /tmp/galaxy.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	fs.StringVar(&o.signingKey, "signing-key", "", "PEM PKCS#8 Ed25519 private key to sign events (default: an ephemeral key, public half logged)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate file to serve TLS with (needs --tls-key)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key file for --tls-cert")
	fs.BoolVar(&o.tlsSelfSigned, "tls-self-signed", false, "serve TLS with a fresh self-signed certificate for 127.0.0.1/localhost")
	fs.StringVar(&o.readyFile, "ready-file", "", "once serving, write the bound addresses as JSON to this file")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long to wait for streams to end")
	o.limits = gateway.DefaultLimits()
	o.limits.MaxStreamsPerConn = maxStreamsPerConn
	fs.IntVar(&o.limits.MaxConnections, "max-connections", 0, "most client connections held at once (0: no limit beyond open files)")
	fs.DurationVar(&o.limits.HandshakeTimeout, "handshake-timeout", o.limits.HandshakeTimeout, "close a new connection that has not finished its TLS handshake and HTTP/2 preface within this")
	fs.DurationVar(&o.limits.MaxConnectionIdle, "max-connection-idle", o.limits.MaxConnectionIdle, "close (GOAWAY) a connection that has had no stream for this long")
	registerEnumCompletion(cmd, "role", serveRoles)
	for _, f := range []string{"signing-key", "tls-cert", "tls-key", "ready-file", "backend-cacert"} {
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
	if o.gatewayID == "" {
		host, _ := os.Hostname()
		o.gatewayID = fmt.Sprintf("gateway-%s-%d", host, os.Getpid())
	}
	return nil
}

// readyInfo is the --ready-file contract (documented in the README).
type readyInfo struct {
	GRPCAddr    string `json:"grpc_addr"`
	MetricsAddr string `json:"metrics_addr,omitempty"`
	Role        string `json:"role"`
	TLS         bool   `json:"tls"`
	TLSCAFile   string `json:"tls_ca_file,omitempty"`
	PublicKey   string `json:"signing_public_key,omitempty"`
	PID         int    `json:"pid"`
}

func (o *serveOptions) run(ctx context.Context) error {
	log := o.g.Logger()
	tp, err := telemetry.New()
	if err != nil {
		return err
	}
	defer tp.Shutdown(context.Background())

	tlsCfg, selfSignedPEM, err := serverTLS(o.tlsCert, o.tlsKey, o.tlsSelfSigned)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.listen, err)
	}
	ln = o.limits.Listener(ln)
	srv := grpc.NewServer(o.serverOptions(tlsCfg)...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	reflection.Register(srv)

	ready := readyInfo{GRPCAddr: ln.Addr().String(), Role: o.role, TLS: tlsCfg != nil, PID: os.Getpid()}
	p := &pipeline{o: o, log: log, tp: tp, srv: srv, health: hs}
	if err := p.build(ctx); err != nil {
		ln.Close()
		return err
	}
	defer p.close()
	if p.gw != nil {
		ready.PublicKey = p.publicKeyPEM()
	}

	var metrics *telemetry.Server
	if o.metricsListen != "" {
		if metrics, err = telemetry.Listen(o.metricsListen, tp); err != nil {
			ln.Close()
			return err
		}
		defer metrics.Close(context.Background())
		ready.MetricsAddr = metrics.Addr()
	}
	if selfSignedPEM != nil {
		path, err := writeTemp("galaxyctl-ca-*.pem", selfSignedPEM)
		if err != nil {
			ln.Close()
			return err
		}
		ready.TLSCAFile = path
		defer os.Remove(path)
		log.Info("self-signed TLS certificate written; trust it with --cacert", zap.String("file", path))
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	p.start(ctx)
	if o.role == "all" {
		// Ready means the pipeline is connected: an event published once the
		// ready file exists reaches gateway clients. The link is in-process,
		// so this takes a moment; a remote backend (--role gateway) may be
		// down, and the gateway is announced without waiting for it.
		select {
		case <-p.subscribed:
		case err := <-p.failed:
			srv.Stop()
			<-serveErr
			return err
		case <-ctx.Done():
			srv.Stop()
			<-serveErr
			return nil
		}
	}
	log.Info("serving", zap.String("grpc_addr", ready.GRPCAddr), zap.String("role", o.role),
		zap.Bool("tls", ready.TLS), zap.String("metrics_addr", ready.MetricsAddr),
		zap.Duration("heartbeat", o.heartbeat))
	if o.readyFile != "" {
		if err := writeJSONFile(o.readyFile, ready); err != nil {
			srv.Stop()
			<-serveErr
			return fmt.Errorf("--ready-file: %w", err)
		}
	}

	select {
	case err := <-serveErr:
		p.close()
		return fmt.Errorf("serve %s: %w", ready.GRPCAddr, err)
	case err := <-p.failed:
		srv.Stop()
		<-serveErr
		return err
	case <-ctx.Done():
	}
	log.Info("draining", zap.Duration("deadline", o.drainTimeout))
	hs.Shutdown()
	p.close()
	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
		log.Info("drained")
	case <-time.After(o.drainTimeout):
		log.Warn("drain deadline passed; closing remaining connections")
		srv.Stop()
		<-stopped
	}
	<-serveErr
	return nil
}

func (o *serveOptions) serverOptions(tlsCfg *tls.Config) []grpc.ServerOption {
	var creds credentials.TransportCredentials
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	// The tracker closes a connection whose stalled streams can never be
	// flushed; it reads the system clock, as the gateway does in serve.
	return o.limits.GRPCServerOptions(gateway.NewConnTracker(nil), creds)
}

func writeTemp(pattern string, b []byte) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}
