package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/printer"
	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
)

var (
	benchOutputs   = []string{"text", "json"}
	benchWindows   = []string{loadgen.WindowDynamic, loadgen.WindowStatic}
	benchProtocols = []string{loadgen.ProtocolGRPC, loadgen.ProtocolConnect, loadgen.ProtocolGRPCWeb}
	benchHTTP      = []string{loadgen.HTTP2, loadgen.HTTP1}
	benchCodecs    = []string{loadgen.CodecProto, loadgen.CodecJSON}
	benchProfiles  = []string{loadgen.ProfileGRPCGo, loadgen.ProfileGRPCGoStatic, loadgen.ProfileBrowser}
	benchEngines   = []string{loadgen.EngineLean, loadgen.EngineGRPCGo}
)

// benchOptions holds bench's flags and dependencies.
type benchOptions struct {
	g *globalOptions

	addr            string
	clients         int
	streamsPerConn  int
	rampRate        float64
	sourceAddrs     string
	warmup          time.Duration
	duration        time.Duration
	tls             bool
	caFile          string
	insecureSkip    bool
	clientWindow    string
	protocol        string
	httpVersion     string
	codec           string
	profile         string
	engine          string
	heartbeat       time.Duration
	projectInterval time.Duration
	scales          string
	serverMetrics   string
	output          string
	reportFile      string
	noTUI           bool
	// outs are the HTML page, the timeseries, thresholds and live metrics.
	outs benchExtras

	sources   []netip.Addr
	scaleList []int
	// kind is the engine's configuration with its defaults filled in, for
	// the line that announces the run.
	kind loadgen.Config
	// fileLimit is the soft limit of open files once complete raised it;
	// 0 when it is not known.
	fileLimit uint64
	// executable is the binary the embedded server runs; a seam for tests.
	executable func() (string, error)
}

func newBenchCmd(g *globalOptions, runF func(context.Context, *benchOptions) error) *cobra.Command {
	o := &benchOptions{g: g, executable: os.Executable}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Simulate idle clients and measure what their heartbeats cost",
		Long: `Bench answers "what do idle clients cost us, in bytes and memory, per client and
at fleet scale, and why?" It opens --clients Gateway.Subscribe streams, ramps
them up, waits out a warm-up, then measures --duration of steady idle:

  - bytes read and written on every client socket, attributed frame by frame
    (protobuf or JSON messages, their envelopes, HTTP/2 frame headers or
    HTTP/1.1 chunk framing, TLS records, the client's own WINDOW_UPDATE and
    PING replies), both directions;
  - segments from the kernel's TCP_INFO, so TCP/IP headers and pure ACKs
    are counted too, and the counting connections are checked against it;
  - heartbeat gaps against the interval, late and missed heartbeats;
  - memory per stream in bench and in the server (from its /metrics).

The clients speak --protocol (gRPC, Connect, gRPC-Web) over --http 2 or
1.1 with --codec proto or json, and behave on the wire as --profile says:
grpc-go (its dynamic BDP-probing window), grpc-go-static, or browser
(Chromium's windows and WINDOW_UPDATE rule). --engine lean (the default)
holds them on a few event loops for a few KiB each; --engine grpc-go runs
real grpc-go clients, the ground truth of the grpc-go profiles.

Each figure is set beside the client kind's wire-cost model, and the total
is projected to --scales clients at --project-interval.

Without --addr, bench starts its own gateway ('galaxyctl serve' as a child
process on 127.0.0.1, port 0) with --heartbeat, and always stops it.

A live view runs on stderr when it is a terminal (q or Ctrl-C ends the run
early and still prints the report); the report goes to stdout.`,
		Example: `  # 1,000 idle clients against an embedded gateway, heartbeat every second
  galaxyctl bench

  # 10,000 clients over 8 source addresses, JSON report to a file too
  galaxyctl bench --clients 10000 --source-addrs 127.0.0.1-127.0.0.8 -o json --report bench.json

  # what grpc-go's dynamic flow-control window costs, against static
  galaxyctl bench --profile grpc-go-static --duration 20s

  # browsers: Connect with JSON over HTTP/1.1, as connect-web sends it
  galaxyctl bench --addr 127.0.0.1:8080 --protocol connect --http 1.1

  # the real grpc-go client, the ground truth of the grpc-go profile
  galaxyctl bench --engine grpc-go

  # an existing gateway with TLS; its heartbeat interval is learned
  galaxyctl bench --addr gw.internal:443 --tls --server-metrics http://gw.internal:9090/metrics`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			if err := o.validate(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return o.run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "", "gateway HOST:PORT to measure (default: an embedded gateway)")
	fs.IntVarP(&o.clients, "clients", "c", 1000, "idle client streams to hold")
	fs.IntVar(&o.streamsPerConn, "streams-per-conn", 1, "client streams multiplexed on one TCP connection")
	fs.Float64Var(&o.rampRate, "ramp-rate", 0, "clients started per second (0: as fast as the machine allows)")
	fs.StringVar(&o.sourceAddrs, "source-addrs", "", "local 127.x addresses to spread client sockets over: a list, a range (127.0.0.1-127.0.0.8) or a CIDR (127.0.0.0/29)")
	fs.DurationVar(&o.warmup, "warmup", loadgen.DefaultWarmup, "idle time after the ramp before measuring (0: none)")
	fs.DurationVar(&o.duration, "duration", loadgen.DefaultDuration, "length of the measurement window")
	fs.BoolVar(&o.tls, "tls", false, "connect with TLS (the embedded gateway then serves a self-signed certificate)")
	fs.StringVar(&o.caFile, "cacert", "", "PEM CA to trust for --addr (implies --tls)")
	fs.BoolVar(&o.insecureSkip, "insecure-skip-verify", false, "with TLS, do not verify the server's certificate (implies --tls)")
	fs.StringVar(&o.protocol, "protocol", loadgen.ProtocolGRPC, "protocol the clients speak: "+joinOr(benchProtocols))
	fs.StringVar(&o.httpVersion, "http", loadgen.HTTP2, "HTTP version: "+joinOr(benchHTTP)+" (1.1 for Connect and gRPC-Web only)")
	fs.StringVar(&o.codec, "codec", "", "message codec: "+joinOr(benchCodecs)+" (default: json for Connect, as connect-web; proto otherwise)")
	fs.StringVar(&o.profile, "profile", "", "whose wire behaviour the clients copy: "+joinOr(benchProfiles)+" (default: grpc-go for gRPC, browser for Connect and gRPC-Web)")
	fs.StringVar(&o.clientWindow, "client-window", "", "grpc-go's flow-control window: "+joinOr(benchWindows)+"; the same as --profile grpc-go (dynamic BDP probing) or grpc-go-static")
	fs.StringVar(&o.engine, "engine", loadgen.EngineLean, "client engine: "+joinOr(benchEngines)+" (grpc-go is the real client, for the grpc-go profiles of gRPC with proto)")
	fs.DurationVar(&o.heartbeat, "heartbeat", time.Second, "the embedded gateway's heartbeat interval (ignored with --addr: learned from the gaps)")
	fs.DurationVar(&o.projectInterval, "project-interval", loadgen.DefaultProjectInterval, "heartbeat interval of the fleet projection")
	fs.StringVar(&o.scales, "scales", joinInts(loadgen.DefaultScales()), "fleet sizes of the projection, comma-separated; k and M suffixes allowed (10k,1M)")
	fs.StringVar(&o.serverMetrics, "server-metrics", "", "Prometheus /metrics URL of an external gateway, for its memory per stream")
	fs.StringVarP(&o.output, "output", "o", "text", "report format on stdout: "+joinOr(benchOutputs))
	fs.StringVar(&o.reportFile, "report", "", "also write the JSON report to this file")
	fs.BoolVar(&o.noTUI, "no-tui", false, "no live view: progress bars on a terminal, log lines otherwise")
	o.outs.addFlags(cmd)
	cmd.AddCommand(newBenchReportCmd(g, nil), newBenchCompareCmd(g, nil))
	registerEnumCompletion(cmd, "output", benchOutputs)
	registerEnumCompletion(cmd, "client-window", benchWindows)
	registerEnumCompletion(cmd, "protocol", benchProtocols)
	registerEnumCompletion(cmd, "http", benchHTTP)
	registerEnumCompletion(cmd, "codec", benchCodecs)
	registerEnumCompletion(cmd, "profile", benchProfiles)
	registerEnumCompletion(cmd, "engine", benchEngines)
	_ = cmd.MarkFlagFilename("report")
	_ = cmd.MarkFlagFilename("cacert")
	return cmd
}

// complete does bench's I/O before validate: it checks that --report can
// be written, so a long run's result is not lost at the end, and raises
// the open-file limit to the hard limit.
func (o *benchOptions) complete() error {
	if err := o.outs.complete(); err != nil {
		return err
	}
	if o.reportFile != "" {
		f, err := os.CreateTemp(filepath.Dir(o.reportFile), ".galaxyctl-report-*")
		if err != nil {
			return usagef("--report %s: cannot write there: %v", o.reportFile, err)
		}
		// An empty probe file: nothing to flush, and one left behind if the
		// removal fails is harmless.
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	soft, hard, err := probe.RaiseFileLimit()
	switch {
	case err != nil:
		o.g.Logger().Warn("could not raise the open-file limit", zap.Error(err))
	case soft < hard:
		o.g.Logger().Warn("open-file limit below its hard limit", zap.Uint64("soft", soft), zap.Uint64("hard", hard))
	}
	if err == nil {
		o.fileLimit = soft
	}
	return nil
}

// validate checks the flags; it does no I/O.
func (o *benchOptions) validate(cmd *cobra.Command) error {
	if o.addr != "" {
		if err := checkHostPort("--addr", o.addr, false); err != nil {
			return err
		}
	}
	if o.clients < 1 {
		return usagef("--clients must be at least 1, got %d", o.clients)
	}
	if o.streamsPerConn < 1 {
		return usagef("--streams-per-conn must be at least 1, got %d", o.streamsPerConn)
	}
	if o.addr == "" && o.streamsPerConn > maxStreamsPerConn {
		return usagef("--streams-per-conn %d is over the embedded gateway's %d concurrent streams per connection", o.streamsPerConn, maxStreamsPerConn)
	}
	if o.rampRate < 0 {
		return usagef("--ramp-rate must be 0 (as fast as possible) or positive, got %g", o.rampRate)
	}
	if o.sourceAddrs != "" {
		addrs, err := loadgen.ParseSourceAddrs(o.sourceAddrs)
		if err != nil {
			return usagef("--source-addrs: %v", err)
		}
		o.sources = addrs
	}
	if o.warmup < 0 {
		return usagef("--warmup must be 0 or positive, got %s", o.warmup)
	}
	if o.duration <= 0 {
		return usagef("--duration must be positive, got %s", o.duration)
	}
	if err := o.validateKind(); err != nil {
		return err
	}
	if o.heartbeat <= 0 {
		return usagef("--heartbeat must be positive (bench measures heartbeats), got %s", o.heartbeat)
	}
	if o.addr != "" && cmd.Flags().Changed("heartbeat") {
		return usagef("--heartbeat sets the embedded gateway's interval; with --addr the interval is learned from the gaps")
	}
	if o.addr == "" && (o.caFile != "" || o.serverMetrics != "") {
		return usagef("--cacert and --server-metrics are for an external gateway given with --addr")
	}
	if o.projectInterval <= 0 {
		return usagef("--project-interval must be positive, got %s", o.projectInterval)
	}
	scales, err := parseScales(o.scales)
	if err != nil {
		return err
	}
	o.scaleList = scales
	if !contains(benchOutputs, o.output) {
		return usagef("--output %q is not one of %s", o.output, joinOr(benchOutputs))
	}
	if o.serverMetrics != "" && !strings.HasPrefix(o.serverMetrics, "http://") && !strings.HasPrefix(o.serverMetrics, "https://") {
		return usagef("--server-metrics %q: want an http:// or https:// URL", o.serverMetrics)
	}
	if o.fileLimit > 0 {
		if err := loadgen.CheckFileLimit(o.clients, o.streamsPerConn, o.fileLimit); err != nil {
			return benchConfigError(err)
		}
	}
	return o.outs.validate()
}

// validateKind checks the client kind flags, each against its values,
// then together, as the engine would, so a combination no client makes
// is a usage error naming both flags.
func (o *benchOptions) validateKind() error {
	for _, f := range []struct {
		flag, value string
		values      []string
	}{
		{"--protocol", o.protocol, benchProtocols},
		{"--http", o.httpVersion, benchHTTP},
		{"--codec", o.codec, benchCodecs},
		{"--profile", o.profile, benchProfiles},
		{"--client-window", o.clientWindow, benchWindows},
		{"--engine", o.engine, benchEngines},
	} {
		if f.value != "" && !contains(f.values, f.value) {
			return usagef("%s %q is not one of %s", f.flag, f.value, joinOr(f.values))
		}
	}
	cfg := loadgen.Config{Addr: "127.0.0.1:1", Clients: 1, StreamsPerConn: o.streamsPerConn,
		Protocol: o.protocol, HTTP: o.httpVersion, Codec: o.codec, Profile: o.profile,
		ClientWindow: o.clientWindow, Engine: o.engine}
	err := cfg.Validate()
	var ce *loadgen.ConfigError
	if errors.As(err, &ce) && ce.Other != "" {
		values := map[string]string{"Protocol": o.protocol, "HTTP": o.httpVersion, "Codec": o.codec,
			"Profile": o.profile, "ClientWindow": o.clientWindow, "Engine": o.engine,
			"StreamsPerConn": strconv.Itoa(o.streamsPerConn)}
		return usagef("%s and %s do not go together: want %s",
			strings.TrimSpace(benchFlags[ce.Field]+" "+values[ce.Field]),
			strings.TrimSpace(benchFlags[ce.Other]+" "+values[ce.Other]), ce.Accepted)
	}
	if err != nil {
		return benchConfigError(err)
	}
	return nil
}

func (o *benchOptions) useTLS() bool { return o.tls || o.caFile != "" || o.insecureSkip }

func (o *benchOptions) run(ctx context.Context) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	if o.addr == "" {
		srv, err := o.startEmbedded(ctx)
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				o.g.Logger().Warn("embedded server", zap.Error(err))
			}
		}()
		if err := o.useEmbedded(&cfg, srv); err != nil {
			return err
		}
	}
	stopOutputs, err := o.outs.start(o.g, &cfg)
	if err != nil {
		return err
	}
	defer stopOutputs()
	// Progress on stderr is best effort: a failed write must not fail the run.
	k := o.kind
	_, _ = fmt.Fprintf(o.g.streams.ErrOut, "bench: %d clients (%d per connection) against %s, %s over HTTP/%s (%s), profile %s, engine %s, %s warm-up, %s measured\n",
		o.clients, o.streamsPerConn, describeTarget(o.addr, cfg.Addr), k.Protocol, k.HTTP, k.Codec, k.Profile, k.Engine, o.warmup, o.duration)

	rep, err := o.runWithView(ctx, cfg)
	if rep == nil {
		if err != nil {
			return fmt.Errorf("bench %s: %w", cfg.Addr, describeRPCError(err))
		}
		return errors.New("bench: no report")
	}
	if werr := o.writeReport(rep); werr != nil {
		return werr
	}
	// A run the user ended early (q, Ctrl-C) still printed its report: a
	// success. Anything else that went wrong is a failure after the report.
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("bench %s: %w", cfg.Addr, err)
	}
	if rep.Clients.Connected == 0 && !rep.Interrupted {
		return fmt.Errorf("bench %s: no client connected", cfg.Addr)
	}
	return o.outs.verdict(o.g.streams.ErrOut, rep)
}

// config is the engine's configuration from the flags, checked whole
// before a child process is started for it. Against an embedded gateway
// its address is not known yet: useEmbedded fills it in.
func (o *benchOptions) config() (loadgen.Config, error) {
	cfg := loadgen.Config{
		Addr:             o.addr,
		Clients:          o.clients,
		StreamsPerConn:   o.streamsPerConn,
		RampRate:         o.rampRate,
		SourceAddrs:      o.sources,
		Warmup:           o.warmup,
		Duration:         o.duration,
		Protocol:         o.protocol,
		HTTP:             o.httpVersion,
		Codec:            o.codec,
		Profile:          o.profile,
		ClientWindow:     o.clientWindow,
		Engine:           o.engine,
		ProjectInterval:  o.projectInterval,
		Scales:           o.scaleList,
		ServerMetricsURL: o.serverMetrics,
		Logger:           o.g.Logger().Named("bench"),
	}
	if o.warmup == 0 {
		cfg.Warmup = -1 // loadgen: negative is "none", zero is "default"
	}
	if o.useTLS() {
		tlsCfg, err := clientTLS(o.caFile, o.insecureSkip, "")
		if err != nil {
			return cfg, err
		}
		if o.insecureSkip {
			_, _ = fmt.Fprintln(o.g.streams.ErrOut, "warning: --insecure-skip-verify: the server's certificate is not verified")
		}
		if o.addr != "" {
			tlsCfg.ServerName, _, _ = net.SplitHostPort(o.addr)
		}
		cfg.TLS = tlsCfg
	}
	check := cfg
	if check.Addr == "" {
		check.Addr, check.ExpectedInterval = "127.0.0.1:1", o.heartbeat
	}
	filled, err := check.WithDefaults()
	if err != nil {
		return cfg, benchConfigError(err)
	}
	o.kind = filled
	return cfg, nil
}

// useEmbedded points cfg at the embedded gateway srv: its address, its
// heartbeat, its metrics and, with TLS, its self-signed certificate.
func (o *benchOptions) useEmbedded(cfg *loadgen.Config, srv *embeddedServer) error {
	cfg.Addr = srv.ready.GRPCAddr
	cfg.ExpectedInterval = o.heartbeat
	if srv.ready.MetricsAddr != "" {
		cfg.ServerMetricsURL = "http://" + srv.ready.MetricsAddr + "/metrics"
	}
	if cfg.TLS != nil && srv.ready.TLSCAFile != "" && !o.insecureSkip {
		tlsCfg, err := clientTLS(srv.ready.TLSCAFile, false, "127.0.0.1")
		if err != nil {
			return err
		}
		cfg.TLS = tlsCfg
	}
	return nil
}

func describeTarget(flag, addr string) string {
	if flag == "" {
		return "an embedded gateway at " + addr
	}
	return addr
}

// startEmbedded starts the gateway bench measures, as a child process.
func (o *benchOptions) startEmbedded(ctx context.Context) (*embeddedServer, error) {
	exe, err := o.executable()
	if err != nil {
		return nil, fmt.Errorf("embedded server: find galaxyctl's own binary: %w", err)
	}
	args := []string{"--role", "all", "--heartbeat", o.heartbeat.String(),
		"--max-connections", "0", "--log-format", o.g.logFormat}
	if o.useTLS() {
		args = append(args, "--tls-self-signed")
	}
	srv, err := startEmbeddedServer(ctx, exe, args, 15*time.Second)
	if err != nil {
		return nil, err
	}
	o.g.Logger().Info("embedded gateway serving", zap.String("addr", srv.ready.GRPCAddr),
		zap.Int("pid", srv.ready.PID), zap.String("metrics", srv.ready.MetricsAddr))
	return srv, nil
}

// writeReport prints the report on stdout and, with --report, as JSON;
// stdout first, so a failing file never costs the printed result.
func (o *benchOptions) writeReport(r *report.Report) error {
	if err := o.outs.attach(r); err != nil {
		return err
	}
	var err error
	if o.output == "json" {
		err = printer.WriteJSON(o.g.streams.Out, r, benchFlagName)
	} else {
		err = printer.WriteText(o.g.streams.Out, r, benchFlagName)
	}
	if err != nil {
		return err
	}
	if o.reportFile != "" {
		f, err := os.Create(o.reportFile)
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		if err := printer.WriteJSON(f, r, benchFlagName); err != nil {
			_ = f.Close() // the write error is the one to report
			return fmt.Errorf("--report %s: %w", o.reportFile, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("--report %s: %w", o.reportFile, err)
		}
	}
	return o.outs.writeFiles(r)
}
