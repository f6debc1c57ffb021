package gateway

import (
	"context"

	"google.golang.org/grpc/metadata"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// funcStream is a ClientStream over plain functions, which tests and
// benchmarks drive without a network.
type funcStream struct {
	ctx    context.Context
	header func(metadata.MD) error
	send   func(*gatewayv1.GatewayEvent) error
}

func (f funcStream) Peer() string                          { return "test" }
func (f funcStream) Context() context.Context              { return f.ctx }
func (f funcStream) SendHeader(md metadata.MD) error       { return f.header(md) }
func (f funcStream) Send(ev *gatewayv1.GatewayEvent) error { return f.send(ev) }

// startServe runs Serve for req in a goroutine, as a Subscribe handler
// would, and returns once the client is registered (its header is out),
// with the header; Serve's result arrives on the returned channel.
func startServeReq(ctx context.Context, s *Server, req *gatewayv1.SubscribeRequest, send func(*gatewayv1.GatewayEvent) error) (metadata.MD, <-chan error) {
	registered := make(chan metadata.MD, 1)
	done := make(chan error, 1)
	st := funcStream{ctx: ctx, send: send, header: func(md metadata.MD) error { registered <- md; return nil }}
	go func() { done <- s.Serve(req, st) }()
	select {
	case md := <-registered:
		return md, done
	case err := <-done:
		done2 := make(chan error, 1)
		done2 <- err
		return nil, done2
	}
}

// startServe is startServeReq for a live stream filtered to user.
func startServe(ctx context.Context, s *Server, user string, send func(*gatewayv1.GatewayEvent) error) <-chan error {
	_, done := startServeReq(ctx, s, &gatewayv1.SubscribeRequest{UserId: user}, send)
	return done
}

// quiescent reports whether no client has an event to send or in flight.
func (s *Server) quiescent() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idle := true
	s.eachClientLocked(func(c *client) { idle = idle && !c.busy.Load() })
	return idle
}

// clients returns how many clients are registered.
func (s *Server) clients() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, list := range s.byUser {
		n += len(list)
	}
	return n
}

// sending returns how many clients have a send in progress.
func (s *Server) sending() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, list := range s.byUser {
		for _, c := range list {
			c.mu.Lock()
			if c.sending {
				n++
			}
			c.mu.Unlock()
		}
	}
	return n
}

// maxLag is the most events any busy client is behind the window's head.
func (s *Server) maxLag() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var lag uint64
	s.eachClientLocked(func(c *client) {
		if c.busy.Load() {
			lag = max(lag, s.win.next-c.next.Load())
		}
	})
	return lag
}

// windowLen returns how many events the window holds.
func (s *Server) windowLen() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.win.n
}
