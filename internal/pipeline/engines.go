package pipeline

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/httpstack"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// buildBackend makes the backend for RoleAll and RoleBackend and registers
// it on the front.
func (p *Pipeline) buildBackend() error {
	be, err := backend.New(backend.Config{
		MaxAge:    p.cfg.Freshness,
		MaxEvents: p.cfg.RingSize,
		Meter:     p.tp.Meter("galaxy/backend"),
		Logger:    p.log.Named("backend"),
	})
	if err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	p.be = be
	pushv1.RegisterPushServer(p.front.grpc, be)
	p.front.setServing(pushv1.Push_ServiceDesc.ServiceName)
	return nil
}

// buildGateway makes the gateway for RoleAll and RoleGateway, registers it
// on the front, and connects it to its backend: in-process with RoleAll,
// over the network with RoleGateway.
func (p *Pipeline) buildGateway() error {
	gw, err := gateway.New(gateway.Config{
		Heartbeat:         p.cfg.Heartbeat,
		SlowClientTimeout: p.cfg.SlowClientTimeout,
		ReplayEvents:      p.cfg.ReplayEvents,
		ReplayBytes:       p.cfg.ReplayBytes,
		ReplayAge:         p.cfg.ReplayAge,
		SigningKey:        p.cfg.SigningKey,
		Meter:             p.tp.Meter("galaxy/gateway"),
		Logger:            p.log.Named("gateway"),
	})
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	p.gw = gw
	gatewayv1.RegisterGatewayServer(p.front.grpc, gw)
	p.front.setServing(gatewayv1.Gateway_ServiceDesc.ServiceName)
	if p.cfg.SigningKey == nil {
		p.log.Info("signing events with an ephemeral key; verify with tail --verify-key on this public key",
			zap.String("public_key_pem", p.publicKeyPEM()))
	}
	if p.cfg.Role == RoleAll {
		return p.linkBackend()
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, p.cfg.BackendDialOptions...)
	conn, err := grpc.NewClient(p.cfg.Backend, opts...)
	if err != nil {
		return &AddrError{Field: "Backend", Addr: p.cfg.Backend, Err: err}
	}
	p.backConn = conn
	return nil
}

// linkBackend serves the backend on an in-process listener of its own and
// connects the gateway to it.
func (p *Pipeline) linkBackend() error {
	p.linkLn = newMemListener()
	p.linkSrv = grpc.NewServer()
	pushv1.RegisterPushServer(p.linkSrv, p.be)
	p.linkDone = make(chan struct{})
	go func() {
		defer close(p.linkDone)
		_ = p.linkSrv.Serve(p.linkLn)
	}()
	conn, err := grpc.NewClient("passthrough:///galaxy-backend",
		grpc.WithContextDialer(p.linkLn.DialContext),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("in-process backend link: %w", err)
	}
	p.backConn = conn
	return nil
}

// publicKey is the gateway's public key, nil without a gateway.
func (p *Pipeline) publicKey() []byte {
	if p.gw == nil {
		return nil
	}
	return p.gw.PublicKey()
}

// httpGateway is the gateway as the net/http stack serves it, nil without
// one: the same fan-out grpc-go's Subscribe drives.
func (p *Pipeline) httpGateway() httpstack.Gateway {
	if p.gw == nil {
		return nil
	}
	return p.gw
}

func (p *Pipeline) publicKeyPEM() string {
	b, err := gateway.MarshalPublicKeyPEM(p.gw.PublicKey())
	if err != nil {
		return ""
	}
	return string(b)
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
