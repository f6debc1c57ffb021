package pipeline

import (
	"context"
	"errors"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"galaxy/galaxyctl/internal/gateway"
)

// frontend is what listens on Config.Listen: the listener and the servers
// on it. It is the one place that builds them, so a second server stack
// beside grpc-go on the same port (net/http for Connect and gRPC-Web) is
// added here: a protocol switch on the listener, one more server to start
// in serve and to drain in drain.
type frontend struct {
	ln     net.Listener
	grpc   *grpc.Server
	health *health.Server
	// done is closed once grpc.Serve has returned, with its result in err.
	done chan struct{}
	err  error
}

// newFrontend binds cfg.Listen and builds the gRPC server with health and
// reflection; services are registered on f.grpc before serve.
func newFrontend(cfg Config) (*frontend, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, &AddrError{Field: "Listen", Addr: cfg.Listen, Err: err}
	}
	ln = cfg.Limits.Listener(ln)
	f := &frontend{ln: ln, grpc: grpc.NewServer(serverOptions(cfg)...), health: health.NewServer(), done: make(chan struct{})}
	healthpb.RegisterHealthServer(f.grpc, f.health)
	reflection.Register(f.grpc)
	return f, nil
}

// serverOptions are the gRPC server's: the limits, and a connection
// tracker that closes a connection whose stalled streams can never be
// flushed (see gateway.ConnTracker).
func serverOptions(cfg Config) []grpc.ServerOption {
	var creds credentials.TransportCredentials
	if cfg.TLS != nil {
		creds = credentials.NewTLS(cfg.TLS)
	}
	return cfg.Limits.GRPCServerOptions(gateway.NewConnTracker(nil), creds)
}

// setServing marks a service SERVING in the health service.
func (f *frontend) setServing(service string) {
	f.health.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
}

// serve starts serving in a goroutine; done is closed when it returns.
func (f *frontend) serve() {
	go func() {
		f.err = f.grpc.Serve(f.ln)
		close(f.done)
	}()
}

// drain stops the servers: gracefully, letting streams end, until ctx
// ends, then at once. It reports whether the deadline cut the drain short,
// and waits for serve's goroutine.
func (f *frontend) drain(ctx context.Context) (cut bool) {
	stopped := make(chan struct{})
	go func() { f.grpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		cut = true
		f.grpc.Stop()
		<-stopped
	}
	<-f.done
	return cut
}

// stop closes the listener and every connection at once, for a pipeline
// that failed to start, and waits for serve's goroutine if it was started.
func (f *frontend) stop(started bool) {
	f.grpc.Stop()
	if started {
		<-f.done
	} else {
		_ = f.ln.Close()
	}
}

// failed reports whether the servers stopped on their own, which only a
// broken listener makes them do, and why.
func (f *frontend) failed() error {
	if f.err != nil && !errors.Is(f.err, grpc.ErrServerStopped) {
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
