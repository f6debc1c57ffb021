package pipeline

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/httpstack"
	"galaxy/galaxyctl/internal/portmux"
)

// frontend is what listens on Config.Listen: one port, two server stacks.
// The router (portmux) hands native gRPC connections to grpc-go and every
// other one (Connect, gRPC-Web, HTTP/1.1, the page) to net/http; it also
// terminates TLS and holds the connection limit for both.
type frontend struct {
	ln     net.Listener
	router *portmux.Router
	grpc   *grpc.Server
	http   *http.Server // set by buildHTTP, once the services exist
	health *health.Server
	// done is closed once the router has stopped accepting, with its
	// result in err; the servers' goroutines are counted in servers.
	done    chan struct{}
	err     error
	servers sync.WaitGroup
}

// newFrontend binds cfg.Listen and builds the router and the gRPC server
// with health and reflection; services are registered on f.grpc, then
// buildHTTP makes the net/http stack, before serve.
func newFrontend(cfg Config) (*frontend, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, &AddrError{Field: "Listen", Addr: cfg.Listen, Err: err}
	}
	l := cfg.Limits
	router := portmux.New(ln, portmux.Config{
		TLS:              cfg.TLS,
		DisableHTTP1:     !cfg.serves("1.1"),
		DisableHTTP2:     !cfg.serves("2"),
		HandshakeTimeout: l.HandshakeTimeout,
		MaxHeaderBytes:   int(l.HeaderListBytes),
		MaxConns:         l.MaxConnections,
	})
	f := &frontend{ln: ln, router: router, grpc: grpc.NewServer(serverOptions(cfg)...), health: health.NewServer(), done: make(chan struct{})}
	healthpb.RegisterHealthServer(f.grpc, f.health)
	reflection.Register(f.grpc)
	return f, nil
}

// serverOptions are grpc-go's: the limits, a connection tracker that
// closes a connection whose stalled streams can never be flushed (see
// gateway.ConnTracker), and plaintext credentials under it, since the
// router has terminated TLS already.
func serverOptions(cfg Config) []grpc.ServerOption {
	return cfg.Limits.GRPCServerOptions(gateway.NewConnTracker(nil), nil)
}

// buildHTTP makes the net/http stack; gw is nil without a gateway.
func (f *frontend) buildHTTP(cfg Config, gw httpstack.Gateway, pub []byte) error {
	l := cfg.Limits
	srv, err := httpstack.New(httpstack.Config{
		Gateway:     gw,
		PublicKey:   pub,
		Health:      f.health,
		CORSOrigins: cfg.CORSOrigins,
		Web:         cfg.Web,
		Limits: httpstack.Limits{
			MaxRecvBytes:      l.MaxRecvBytes,
			MaxHeaderBytes:    int(l.HeaderListBytes),
			MaxStreamsPerConn: int(l.MaxStreamsPerConn),
			HandshakeTimeout:  l.HandshakeTimeout,
			IdleTimeout:       l.MaxConnectionIdle,
			KeepaliveTime:     l.KeepaliveTime,
			KeepaliveTimeout:  l.KeepaliveTimeout,
			SendTimeout:       sendTimeout(cfg),
		},
		Logger: cfg.Logger,
	})
	if err != nil {
		return err
	}
	f.http = srv
	return nil
}

// sendTimeout bounds one send on the net/http stack: the gateway's
// slow-client timeout, after which the gateway drops the client anyway.
func sendTimeout(cfg Config) time.Duration {
	if cfg.SlowClientTimeout > 0 {
		return cfg.SlowClientTimeout
	}
	return gateway.DefaultSlowClientTimeout
}

// setServing marks a service SERVING in the health service.
func (f *frontend) setServing(service string) {
	f.health.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
}

// serve starts the router and both servers, each on a goroutine; done is
// closed when the router returns.
func (f *frontend) serve() {
	f.servers.Add(2)
	go func() { defer f.servers.Done(); _ = f.grpc.Serve(f.router.GRPC()) }()
	go func() { defer f.servers.Done(); _ = f.http.Serve(f.router.HTTP()) }()
	go func() {
		f.err = f.router.Serve()
		close(f.done)
	}()
}

// drain stops accepting, then stops both servers gracefully, letting
// streams end, until ctx ends, then at once. It reports whether the
// deadline cut the drain short, and waits for serve's goroutines.
func (f *frontend) drain(ctx context.Context) (cut bool) {
	_ = f.router.Close()
	grpcDone := make(chan struct{})
	go func() { f.grpc.GracefulStop(); close(grpcDone) }()
	httpErr := f.http.Shutdown(ctx)
	select {
	case <-grpcDone:
	case <-ctx.Done():
	}
	if ctx.Err() != nil || httpErr != nil {
		cut = true
		f.grpc.Stop()
		_ = f.http.Close()
	}
	<-grpcDone
	<-f.done
	f.servers.Wait()
	return cut
}

// stop closes the listener and every connection at once, for a pipeline
// that failed to start, and waits for serve's goroutines if it was
// started.
func (f *frontend) stop(started bool) {
	_ = f.router.Close()
	f.grpc.Stop()
	if f.http != nil {
		_ = f.http.Close()
	}
	if started {
		<-f.done
		f.servers.Wait()
	}
}

// failed reports whether the router stopped on its own, which only a
// broken listener makes it do, and why.
func (f *frontend) failed() error {
	if f.err != nil && !errors.Is(f.err, net.ErrClosed) {
		return f.err
	}
	return nil
}

// listenTCP binds addr for the Config field named field.
func listenTCP(field, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &AddrError{Field: field, Addr: addr, Err: err}
	}
	return ln, nil
}
