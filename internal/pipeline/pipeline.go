// Package pipeline is serve's lifecycle: it starts the roles of the galaxy
// push pipeline (a backend, a gateway, or both linked in-process) behind one
// listener with gRPC health and reflection, runs the gateway's subscriber
// and the synthetic publisher, and shuts everything down in dependency
// order. It is a library like the engines it wires: a Config, Start and
// Shutdown; it never prints, exits or reads files.
package pipeline

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/portmux"
	"galaxy/galaxyctl/internal/subscribe"
	"galaxy/galaxyctl/internal/telemetry"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Pipeline is a running serve: made by Start, ended by Shutdown.
type Pipeline struct {
	cfg Config
	log *zap.Logger
	tp  *telemetry.Provider

	front   *frontend
	metrics *telemetry.Server
	be      *backend.Server
	gw      *gateway.Server

	// The in-process link of RoleAll, and the gateway's connection to its
	// backend (over the link, or the network with RoleGateway).
	linkLn   *memListener
	linkSrv  *grpc.Server
	linkDone chan struct{}
	backConn *grpc.ClientConn

	cancel  context.CancelFunc // ends the subscriber and the publisher
	wg      sync.WaitGroup
	stopped chan struct{} // closed when Shutdown begins

	failed         chan error
	subscribed     chan struct{}
	subscribedOnce sync.Once

	shutdownOnce sync.Once
	shutdownErr  error
}

// Info is what a started Pipeline tells the world about itself.
type Info struct {
	// Addr is the bound gRPC address.
	Addr string
	// MetricsAddr is the bound /metrics address; empty without
	// Config.MetricsListen.
	MetricsAddr string
	Role        string
	TLS         bool
	// PublicKey verifies the gateway's signatures; nil with RoleBackend.
	PublicKey ed25519.PublicKey
	// WebURL is the page's address with Config.Web, else empty.
	WebURL string
}

// Start builds and starts the pipeline for cfg. It returns once the servers
// accept connections and, with RoleAll, the gateway has subscribed to its
// backend, so every event published from then on reaches gateway clients.
// A gateway with RoleGateway is announced without waiting for its remote
// backend, which may be down. If ctx ends, or the pipeline fails, before it
// is ready, Start stops everything it started and returns the error
// (ctx.Err() for cancellation). ctx bounds only the start: the pipeline
// runs until Shutdown.
func Start(ctx context.Context, cfg Config) (*Pipeline, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, log: cfg.Logger, stopped: make(chan struct{}),
		failed: make(chan error, 1), subscribed: make(chan struct{})}
	if err := p.build(); err != nil {
		p.teardown(false)
		return nil, err
	}
	p.front.serve()
	p.run(context.WithoutCancel(ctx))
	if cfg.Role == RoleAll {
		select {
		case <-p.subscribed:
		case err := <-p.failed:
			p.teardown(true)
			return nil, err
		case <-ctx.Done():
			p.teardown(true)
			return nil, ctx.Err()
		}
	}
	info := p.Info()
	fields := []zap.Field{zap.String("grpc_addr", info.Addr), zap.String("role", cfg.Role),
		zap.Bool("tls", info.TLS), zap.String("metrics_addr", info.MetricsAddr), zap.Strings("http_versions", cfg.HTTPVersions)}
	if cfg.Role != RoleBackend { // only a gateway sends heartbeats
		fields = append(fields, zap.Duration("heartbeat", cfg.Heartbeat))
	}
	p.log.Info("serving", fields...)
	if info.WebURL != "" {
		p.log.Info("serving the page that follows the gateway as a browser does", zap.String("url", info.WebURL))
	}
	if !portmux.Peeks && cfg.TLS == nil {
		p.log.Info("this platform cannot peek at connections: the router reads and replays them, and each native gRPC connection pins grpc-go's 32 KiB read buffer")
	}
	if !cfg.serves("2") {
		p.log.Warn("HTTP/2 is not served: native gRPC clients (tail, publish, grpcurl, gateways) cannot connect")
	}
	return p, nil
}

// build makes everything Start starts; on error, teardown(false) releases
// what it made.
func (p *Pipeline) build() error {
	tp, err := telemetry.New()
	if err != nil {
		return err
	}
	p.tp = tp
	if p.front, err = newFrontend(p.cfg); err != nil {
		return err
	}
	if p.cfg.Role != RoleGateway {
		if err := p.buildBackend(); err != nil {
			return err
		}
	}
	if p.cfg.Role != RoleBackend {
		if err := p.buildGateway(); err != nil {
			return err
		}
	}
	if err := p.front.buildHTTP(p.cfg, p.httpGateway(), p.publicKey()); err != nil {
		return err
	}
	if p.cfg.MetricsListen != "" {
		ln, err := listenTCP("MetricsListen", p.cfg.MetricsListen)
		if err != nil {
			return err
		}
		p.metrics = telemetry.Serve(ln, p.tp)
	}
	return nil
}

// run starts the goroutines that drive the engines: the gateway's
// subscriber, the synthetic publisher, and a watch on the servers.
func (p *Pipeline) run(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	if p.gw != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.consume(ctx)
		}()
	}
	if p.be != nil && p.cfg.PublishRate > 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			runSyntheticPublisher(ctx, p.be, p.cfg.PublishRate)
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-p.front.done:
			if err := p.front.failed(); err != nil {
				p.fail(fmt.Errorf("serve %s: %w", p.front.ln.Addr(), err))
			}
		case <-p.stopped:
		}
	}()
}

// consume runs the gateway's subscriber until ctx ends or it gives up.
func (p *Pipeline) consume(ctx context.Context) {
	err := p.gw.Consume(ctx, subscribe.Config{
		ClientID: p.cfg.GatewayID,
		Client:   pushv1.NewPushClient(p.backConn),
		Logger:   p.log.Named("subscriber"),
		Meter:    p.tp.Meter("galaxy/subscribe"),
		OnStart: func(si subscribe.StartInfo) {
			p.log.Info("subscribed to backend", zap.String("start", si.Start), zap.Int64("missed", si.Missed), zap.Int("attempt", si.Attempt))
			p.subscribedOnce.Do(func() { close(p.subscribed) })
		},
		// The subscriber logs each retry itself.
	})
	if err != nil && ctx.Err() == nil {
		p.fail(fmt.Errorf("gateway subscriber: %w", err))
	}
}

// fail reports the first failure on Failed.
func (p *Pipeline) fail(err error) {
	select {
	case p.failed <- err:
	default:
	}
}

// Info reports the bound addresses and what is served.
func (p *Pipeline) Info() Info {
	info := Info{Addr: p.front.ln.Addr().String(), Role: p.cfg.Role, TLS: p.cfg.TLS != nil}
	if p.metrics != nil {
		info.MetricsAddr = p.metrics.Addr()
	}
	if p.gw != nil {
		info.PublicKey = p.gw.PublicKey()
	}
	if p.cfg.Web {
		scheme := "http"
		if info.TLS {
			scheme = "https"
		}
		info.WebURL = scheme + "://" + info.Addr + "/"
	}
	return info
}

// Subscribed is closed once the gateway's subscriber has its first stream;
// it never closes with RoleBackend.
func (p *Pipeline) Subscribed() <-chan struct{} { return p.subscribed }

// Failed receives the first failure that ends the pipeline's usefulness:
// the gateway's subscriber giving up (a terminal gRPC code), or the servers
// stopping on their own. The owner then calls Shutdown.
func (p *Pipeline) Failed() <-chan error { return p.failed }

// ErrDrainCut is what Shutdown returns when its context ended before every
// stream did, and the remaining connections were closed.
var ErrDrainCut = errors.New("drain deadline passed; closed the remaining connections")

// Shutdown stops the pipeline in dependency order: the health service says
// NOT_SERVING; the subscriber and the publisher stop; gateway and backend
// streams end with Unavailable; then the servers drain until ctx ends and
// close what is left (returning ErrDrainCut); last the metrics endpoint.
// It is idempotent: later calls wait for the first and return its result.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.shutdownOnce.Do(func() {
		if dl, ok := ctx.Deadline(); ok {
			p.log.Info("draining", zap.Duration("deadline", time.Until(dl).Round(time.Millisecond)))
		} else {
			p.log.Info("draining")
		}
		p.front.health.Shutdown()
		p.stopEngines()
		if p.front.drain(ctx) {
			p.log.Warn("drain deadline passed; closing remaining connections")
			p.shutdownErr = ErrDrainCut
		} else {
			p.log.Info("drained")
		}
		p.closeTelemetry()
	})
	return p.shutdownErr
}

// stopEngines ends the engines' goroutines and streams, gateway first since
// it consumes the backend, then the link between them.
func (p *Pipeline) stopEngines() {
	close(p.stopped)
	if p.cancel != nil {
		p.cancel()
	}
	if p.gw != nil {
		p.gw.Close()
	}
	if p.be != nil {
		if err := p.be.Close(); err != nil {
			p.log.Warn("backend close", zap.Error(err))
		}
	}
	p.wg.Wait()
	if p.backConn != nil {
		_ = p.backConn.Close()
	}
	if p.linkSrv != nil {
		p.linkSrv.Stop()
		_ = p.linkLn.Close()
		<-p.linkDone
	}
}

// closeTelemetry stops the metrics endpoint and the meter provider.
func (p *Pipeline) closeTelemetry() {
	if p.metrics != nil {
		_ = p.metrics.Close(context.Background())
	}
	if p.tp != nil {
		_ = p.tp.Shutdown(context.Background())
	}
}

// teardown releases a pipeline that failed to start: at once, no drain.
// served says whether the front was serving.
func (p *Pipeline) teardown(served bool) {
	p.shutdownOnce.Do(func() {
		p.stopEngines()
		if p.front != nil {
			p.front.stop(served)
		}
		p.closeTelemetry()
		p.shutdownErr = errors.New("pipeline failed to start")
	})
}
