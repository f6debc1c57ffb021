package httpstack

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// Gateway serves one Subscribe stream to its end, with the gateway's
// window, heartbeat, signing and bounds (gateway.Server); its errors are
// gRPC statuses.
type Gateway interface {
	Serve(req *gatewayv1.SubscribeRequest, st gateway.ClientStream) error
}

// subscribeHandler is Gateway.Subscribe for connect-go: Connect, gRPC-Web
// and gRPC on net/http.
type subscribeHandler struct {
	gw          Gateway
	sendTimeout time.Duration
}

func (h subscribeHandler) Subscribe(ctx context.Context, req *connect.Request[gatewayv1.SubscribeRequest], st *connect.ServerStream[gatewayv1.GatewayEvent]) error {
	cs := &connectStream{ctx: ctx, st: st, peer: req.Peer().Addr, rc: controllerFrom(ctx), timeout: h.sendTimeout}
	err := h.gw.Serve(req.Msg, cs)
	stalled := cs.finish()
	if err == nil {
		return nil
	}
	if stalled {
		// The write deadline has passed: what connect-go writes next fails
		// at once, and net/http closes the stream (or connection) instead
		// of waiting on a client that reads nothing.
		return connect.NewError(connect.CodeResourceExhausted, errors.New("client stopped reading"))
	}
	if s, ok := status.FromError(err); ok {
		return connect.NewError(connect.Code(s.Code()), errors.New(s.Message()))
	}
	return err
}

// connectStream adapts connect-go's server stream to gateway.ClientStream.
type connectStream struct {
	ctx     context.Context
	st      *connect.ServerStream[gatewayv1.GatewayEvent]
	peer    string
	rc      *http.ResponseController
	timeout time.Duration

	// mu holds a send in flight. The gateway's goroutines may still be in
	// Send when Serve returns, and net/http's ResponseWriter must not be
	// written once the handler has returned: finish waits for the send
	// (bounded by its write deadline) and refuses the ones after.
	mu       sync.Mutex
	finished bool
	stalled  bool // a send missed its deadline
}

// errFinished is a send after the handler is done with the stream.
var errFinished = errors.New("stream already ended")

// finish ends the stream for the gateway's senders, once no send is in
// flight, and reports whether a send stalled. What connect-go writes after
// (the end of stream) gets a fresh deadline, unless a send stalled: then
// the passed deadline makes it fail at once, and net/http closes the
// stream (or connection) rather than wait on a client that reads nothing.
func (s *connectStream) finish() (stalled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished = true
	if s.rc != nil && s.timeout > 0 && !s.stalled {
		_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	}
	return s.stalled
}

func (s *connectStream) Context() context.Context { return s.ctx }

// Peer is the client's remote address, for the gateway's logs.
func (s *connectStream) Peer() string { return s.peer }

// SendHeader sets md as response headers and flushes them at once: a
// browser's fetch resolves on them, long before the first heartbeat.
// connect-go sends headers with the first message, and Send(nil) is a
// message of nothing.
func (s *connectStream) SendHeader(md metadata.MD) error {
	h := s.st.ResponseHeader()
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return s.send(nil)
}

// Send writes one event as one flushed frame: an HTTP/1.1 chunk, or an
// HTTP/2 DATA frame.
func (s *connectStream) Send(ev *gatewayv1.GatewayEvent) error { return s.send(ev) }

func (s *connectStream) send(ev *gatewayv1.GatewayEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return errFinished
	}
	if s.rc == nil || s.timeout <= 0 {
		return s.st.Send(ev)
	}
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	err := s.st.Send(ev)
	if err != nil {
		s.stalled = errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
		return err
	}
	_ = s.rc.SetWriteDeadline(time.Time{})
	return nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

type controllerKey struct{}

// withWriteControl puts each request's ResponseController in its context,
// so a stream can set write deadlines on what connect-go writes for it.
func withWriteControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), controllerKey{}, http.NewResponseController(w))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func controllerFrom(ctx context.Context) *http.ResponseController {
	rc, _ := ctx.Value(controllerKey{}).(*http.ResponseController)
	return rc
}
