package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/test/bufconn"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/subscribe"
	"galaxy/galaxyctl/internal/telemetry"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// pipeline is what serve runs for its role: the engines, the in-process link
// between them, and the goroutines that drive them.
type pipeline struct {
	o      *serveOptions
	log    *zap.Logger
	tp     *telemetry.Provider
	srv    *grpc.Server
	health *health.Server

	be *backend.Server
	gw *gateway.Server

	// link is the in-process connection from the gateway to the backend
	// with --role all: a real gRPC stream over an in-memory listener, so the
	// gateway consumes exactly as it would across the network.
	linkSrv  *grpc.Server
	linkLn   *bufconn.Listener
	backConn *grpc.ClientConn

	failed chan error
	// subscribed is closed once the gateway's subscriber has its first
	// stream: from then on every event published reaches the gateway.
	subscribed     chan struct{}
	subscribedOnce sync.Once
	cancel         context.CancelFunc
	wg             sync.WaitGroup
	closeOnce      sync.Once
}

func (p *pipeline) build(ctx context.Context) error {
	o := p.o
	p.failed = make(chan error, 1)
	p.subscribed = make(chan struct{})
	if o.role != "gateway" {
		be, err := backend.New(backend.Config{
			MaxAge:    o.freshness,
			MaxEvents: o.ringSize,
			Meter:     p.tp.Meter("galaxy/backend"),
			Logger:    p.log.Named("backend"),
		})
		if err != nil {
			return fmt.Errorf("backend: %w", err)
		}
		p.be = be
		pushv1.RegisterPushServer(p.srv, be)
		p.health.SetServingStatus(pushv1.Push_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	}
	if o.role == "backend" {
		return nil
	}

	var key ed25519.PrivateKey
	if o.signingKey != "" {
		k, err := gateway.LoadSigningKey(o.signingKey)
		if err != nil {
			return usagef("--signing-key: %v", err)
		}
		key = k
	}
	gw, err := gateway.New(gateway.Config{
		Heartbeat:         o.heartbeat,
		SlowClientTimeout: o.slowClientTimeout,
		ReplayEvents:      o.clientReplayEvents,
		ReplayAge:         o.clientReplayAge,
		ReplayBytes:       o.clientReplayBytes,
		SigningKey:        key,
		Meter:             p.tp.Meter("galaxy/gateway"),
		Logger:            p.log.Named("gateway"),
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	p.gw = gw
	gatewayv1.RegisterGatewayServer(p.srv, gw)
	p.health.SetServingStatus(gatewayv1.Gateway_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	if key == nil {
		p.log.Info("signing events with an ephemeral key; verify with tail --verify-key on this public key",
			zap.String("public_key_pem", p.publicKeyPEM()))
	}

	if o.role == "all" {
		p.linkLn = bufconn.Listen(1 << 20)
		p.linkSrv = grpc.NewServer()
		pushv1.RegisterPushServer(p.linkSrv, p.be)
		go func() { _ = p.linkSrv.Serve(p.linkLn) }()
		conn, err := grpc.NewClient("passthrough:///galaxy-backend",
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return p.linkLn.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("in-process backend link: %w", err)
		}
		p.backConn = conn
		return nil
	}
	creds := insecure.NewCredentials()
	if o.backendTLS || o.backendCA != "" {
		host, _, _ := net.SplitHostPort(o.backendAddr)
		cfg, err := clientTLS(o.backendCA, false, host)
		if err != nil {
			return err
		}
		creds = grpcTLS(cfg)
	}
	conn, err := grpc.NewClient(o.backendAddr, grpc.WithTransportCredentials(creds), grpc.WithKeepaliveParams(clientKeepalive), clientConnectParams, clientHeaderLimit)
	if err != nil {
		return fmt.Errorf("--backend %s: %w", o.backendAddr, err)
	}
	p.backConn = conn
	return nil
}

func (p *pipeline) publicKeyPEM() string {
	b, err := gateway.MarshalPublicKeyPEM(p.gw.PublicKey())
	if err != nil {
		return ""
	}
	return string(b)
}

// start launches the gateway's subscriber and the synthetic publisher.
func (p *pipeline) start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	if p.gw != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			err := p.gw.Consume(ctx, subscribe.Config{
				ClientID: p.o.gatewayID,
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
				select {
				case p.failed <- fmt.Errorf("gateway subscriber: %w", err):
				default:
				}
			}
		}()
	}
	if p.be != nil && p.o.publishRate > 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			runSyntheticPublisher(ctx, p.be, p.o.publishRate)
		}()
	}
}

// close stops the engines in dependency order; it is idempotent.
func (p *pipeline) close() {
	p.closeOnce.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
		if p.gw != nil {
			p.gw.Close()
		}
		if p.be != nil {
			p.be.Close()
		}
		p.wg.Wait()
		if p.backConn != nil {
			p.backConn.Close()
		}
		if p.linkSrv != nil {
			p.linkSrv.Stop()
		}
	})
}

// runSyntheticPublisher appends events at rate per second until ctx ends,
// spreading them over ten users so user filters have something to match.
func runSyntheticPublisher(ctx context.Context, be *backend.Server, rate float64) {
	interval := time.Duration(float64(time.Second) / rate)
	if interval <= 0 {
		interval = time.Nanosecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			payload := fmt.Sprintf(`{"seq":%d,"at":%q}`, n, now.UTC().Format(time.RFC3339Nano))
			be.Append("synthetic.tick", fmt.Sprintf("user-%d", n%10), []byte(payload))
		}
	}
}

// writeJSONFile writes v atomically (temp file, rename), so a reader polling
// for the file never sees half of it.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ready-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
