// Package telemetry builds galaxyctl's metrics pipeline: OpenTelemetry
// instruments in the engines, exported for Prometheus on /metrics together
// with the Go runtime and process collectors, so a scrape shows a server's
// RSS and goroutines beside its stream counts.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Provider owns a meter provider and the Prometheus registry it exports to.
type Provider struct {
	registry *prometheus.Registry
	provider *sdkmetric.MeterProvider
}

// New returns a Provider whose registry also carries the Go runtime and
// process collectors (process_resident_memory_bytes, go_goroutines, ...).
func New() (*Provider, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process collector: %w", err)
	}
	// Without scope info, target info and units (see unitless) the names
	// stay exactly those the engines chose (plus _total on counters), which
	// bench and dashboards rely on.
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	return &Provider{
		registry: reg,
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithView(unitless)),
	}, nil
}

// unitless is a view that drops every instrument's unit, so the exporter
// never appends one to a name (a counter in "By" would otherwise become
// name_bytes_total). It replaces the exporter's deprecated WithoutUnits,
// whose successor, a translation strategy without suffixes, would drop
// _total from counters too.
func unitless(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
	return sdkmetric.Stream{Name: i.Name, Description: i.Description}, true
}

// Meter returns a named meter for one engine.
func (p *Provider) Meter(name string) metric.Meter { return p.provider.Meter(name) }

// Handler serves the registry in the Prometheus text format.
func (p *Provider) Handler() http.Handler {
	return promhttp.HandlerFor(p.registry, promhttp.HandlerOpts{})
}

// Shutdown flushes and stops the meter provider.
func (p *Provider) Shutdown(ctx context.Context) error { return p.provider.Shutdown(ctx) }

// Server serves /metrics on its own listener, apart from the gRPC port, so a
// scrape never competes with streams for a connection slot.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen binds addr and starts serving p's /metrics on it.
func Listen(addr string, p *Provider) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	return Serve(ln, p), nil
}

// Serve starts serving p's /metrics on ln, which the Server then owns.
func Serve(ln net.Listener, p *Provider) *Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", p.Handler())
	s := &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, waiting for in-flight scrapes until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics shutdown: %w", err)
	}
	return nil
}
