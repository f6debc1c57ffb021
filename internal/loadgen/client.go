package loadgen

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// Client states.
const (
	clientPending int32 = iota
	clientConnected
	clientFailed
	clientEnded
)

// clientState is one simulated client, written by its goroutine and read
// at snapshots and the window's edges.
type clientState struct {
	state       atomic.Int32
	connectedAt atomic.Int64 // unix ns
	last        atomic.Int64 // unix ns of the last message, 0 before one
	heartbeats  atomic.Uint64
	windowStart uint64 // heartbeats at the window start; run goroutine only
}

// connGroup is one grpc.ClientConn shared by StreamsPerConn clients.
type connGroup struct {
	mu     sync.Mutex
	cc     *grpc.ClientConn
	gen    int
	active int // streams open or opening on cc
}

// acquireConn returns connection g, creating it on first use, and counts
// one more stream on it; a failed open gives it back with connFailed.
func (r *runner) acquireConn(g int) (*grpc.ClientConn, int, error) {
	grp := &r.groups[g]
	grp.mu.Lock()
	defer grp.mu.Unlock()
	if grp.cc == nil {
		cc, err := r.newClientConn(g)
		if err != nil {
			return nil, 0, err
		}
		grp.cc = cc
		grp.gen++
	}
	grp.active++
	return grp.cc, grp.gen, nil
}

// connFailed gives back a stream that did not open on connection g and
// drops the connection when no other stream is open or opening on it, so
// the next attempt dials afresh on our backoff rather than grpc's. A
// connection that carries streams is left to reconnect by itself, and one
// with opens in flight is not closed under them.
func (r *runner) connFailed(g, gen int) {
	grp := &r.groups[g]
	grp.mu.Lock()
	var cc *grpc.ClientConn
	if grp.gen == gen {
		grp.active--
		if grp.active == 0 {
			cc, grp.cc = grp.cc, nil
		}
	}
	grp.mu.Unlock()
	if cc != nil {
		cc.Close()
	}
}

// closeConns closes every connection once the clients have stopped.
func (r *runner) closeConns() {
	for i := range r.groups {
		grp := &r.groups[i]
		grp.mu.Lock()
		cc := grp.cc
		grp.cc = nil
		grp.mu.Unlock()
		if cc != nil {
			cc.Close()
		}
	}
}

// runClient connects client i, with retries, then receives until ctx ends
// or the stream does.
func (r *runner) runClient(ctx context.Context, i int) {
	defer r.wg.Done()
	st := &r.clients[i]
	g := i / r.cfg.StreamsPerConn
	var (
		stream       grpc.ServerStreamingClient[gatewayv1.GatewayEvent]
		cancelStream context.CancelFunc
	)
	for attempt := 1; ; attempt++ {
		var err error
		stream, cancelStream, err = r.subscribe(ctx, g, i)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		r.connectFailed(i, attempt, err)
		if attempt >= r.cfg.ConnectBackoff.MaxAttempts {
			st.state.Store(clientFailed)
			r.failed.Add(1)
			r.resolveOne()
			return
		}
		if sleepCtx(ctx, r.cfg.Clock, r.cfg.ConnectBackoff.delay(attempt, r.rand())) != nil {
			return
		}
	}
	defer cancelStream()
	st.connectedAt.Store(r.cfg.Clock.Now().UnixNano())
	st.state.Store(clientConnected)
	r.connected.Add(1)
	r.inst.activeStreams.Add(context.Background(), 1)
	r.resolveOne()
	defer r.inst.activeStreams.Add(context.Background(), -1)

	ev := new(gatewayv1.GatewayEvent)
	for {
		if err := stream.RecvMsg(ev); err != nil {
			if ctx.Err() == nil {
				r.streamEnded(st, err)
			}
			return
		}
		now := r.cfg.Clock.Now().UnixNano()
		if prev := st.last.Swap(now); prev != 0 {
			r.gaps.record(time.Duration(now - prev))
		}
		if isHeartbeatEvent(ev) {
			st.heartbeats.Add(1)
			r.heartbeats.Add(1)
			r.inst.heartbeat()
		} else {
			r.otherMessages.Add(1)
		}
	}
}

// subscribe opens client i's stream on connection g and returns it with
// the function that cancels it. The stream is open once its response
// header arrives (the gateway sends an empty one as soon as it has
// registered the client); until then subscribe holds one of the
// ConnectParallel slots. The whole attempt, the dial included, is bounded
// by ConnectTimeout: without that bound a stream the server never opens
// (its limit of concurrent streams per connection reached, say) would wait
// forever, and the ramp with it. Running out of time is DeadlineExceeded.
func (r *runner) subscribe(ctx context.Context, g, i int) (grpc.ServerStreamingClient[gatewayv1.GatewayEvent], context.CancelFunc, error) {
	select {
	case r.connectSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-r.connectSlots }()
	cc, gen, err := r.acquireConn(g)
	if err != nil {
		return nil, nil, err
	}
	// The stream outlives the attempt, so the bound is a timer that cancels
	// it, not a deadline on its context. It runs on wall-clock time, like
	// the dial bound grpc enforces with the same ConnectTimeout.
	streamCtx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(r.cfg.ConnectTimeout, cancel)
	stream, err := gatewayv1.NewGatewayClient(cc).Subscribe(streamCtx, &gatewayv1.SubscribeRequest{UserId: r.cfg.UserID(i)})
	if err == nil {
		err = awaitHeader(stream)
	}
	if !timer.Stop() {
		// The timer cancelled the stream, whatever came of it.
		err = ctx.Err()
		if err == nil {
			err = status.Errorf(codes.DeadlineExceeded, "no response header within %s: the server did not open the stream (its limit of concurrent streams per connection reached?)", r.cfg.ConnectTimeout)
		}
	}
	if err != nil {
		cancel()
		r.connFailed(g, gen)
		return nil, nil, err
	}
	return stream, cancel, nil
}

// awaitHeader waits for stream's response header. A stream that ends
// before sending one (the server refused it) yields its status, which
// grpc hands out through RecvMsg only.
func awaitHeader(stream grpc.ServerStreamingClient[gatewayv1.GatewayEvent]) error {
	md, err := stream.Header()
	if err != nil || md != nil {
		return err
	}
	if err := stream.RecvMsg(new(gatewayv1.GatewayEvent)); err != nil {
		return err
	}
	return status.Error(codes.Internal, "stream ended before its response header")
}

// isHeartbeatEvent is the application's view of a heartbeat: only
// event_type set, to the heartbeat type.
func isHeartbeatEvent(ev *gatewayv1.GatewayEvent) bool {
	return ev.GetEventType() == gatewayv1.HeartbeatEventType && ev.GetEventId() == "" &&
		ev.GetUserId() == "" && len(ev.GetPayload()) == 0 && ev.GetCreatedAt() == nil &&
		len(ev.GetSignature()) == 0
}

// codeName names an error's gRPC code; a clean end of stream is OK.
func codeName(err error) string {
	if errors.Is(err, io.EOF) {
		return codes.OK.String()
	}
	return status.Code(err).String()
}

func (r *runner) connectFailed(i, attempt int, err error) {
	code := codeName(err)
	r.connectFailures.Add(1)
	r.inst.connectFailures.Add(context.Background(), 1, codeAttr(code))
	r.errMu.Lock()
	r.connectErrs[code]++
	if _, ok := r.connectErrSamples[code]; !ok {
		r.connectErrSamples[code] = status.Convert(err).Message()
	}
	r.errMu.Unlock()
	r.cfg.Logger.Debug("connect failed", zap.Int("client", i), zap.Int("attempt", attempt), zap.Error(err))
}

func (r *runner) streamEnded(st *clientState, err error) {
	code := codeName(err)
	st.state.Store(clientEnded)
	r.ended.Add(1)
	r.inst.streamsEnded.Add(context.Background(), 1, codeAttr(code))
	r.errMu.Lock()
	r.streamErrs[code]++
	r.errMu.Unlock()
	r.cfg.Logger.Debug("stream ended", zap.String("code", code), zap.Error(err))
}

// resolveOne counts a client as connected or failed; the last one ends
// the ramp.
func (r *runner) resolveOne() {
	if r.resolved.Add(1) == int64(r.cfg.Clients) {
		close(r.allResolved)
	}
}

func (r *runner) rand() float64 {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.cfg.Rand()
}
