package loadgen

import (
	"context"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// runClient connects client i, with retries, then receives until ctx ends
// or the stream does.
func (r *runner) runClient(ctx context.Context, i int) {
	defer r.pool.wg.Done()
	st := &r.pool.states[i]
	stream, cancelStream := r.connect(ctx, i)
	if stream == nil {
		return
	}
	defer cancelStream()
	st.connectedAt.Store(r.cfg.Clock.Now().UnixNano())
	st.state.Store(clientConnected)
	r.inst.activeStreams.Add(context.Background(), 1)
	r.tally.clientConnected()
	defer r.inst.activeStreams.Add(context.Background(), -1)

	ev := new(gatewayv1.GatewayEvent)
	for {
		if err := stream.RecvMsg(ev); err != nil {
			if ctx.Err() == nil {
				st.state.Store(clientEnded)
				code := r.tally.streamEnded(err)
				r.inst.streamsEnded.Add(context.Background(), 1, codeAttr(code))
				r.cfg.Logger.Debug("stream ended", zap.String("code", code), zap.Error(err))
			}
			return
		}
		now := r.cfg.Clock.Now().UnixNano()
		if prev := st.last.Swap(now); prev != 0 {
			r.gaps.record(time.Duration(now - prev))
		}
		if isHeartbeatEvent(ev) {
			st.heartbeats.Add(1)
			r.tally.heartbeats.Add(1)
			r.inst.heartbeat()
		} else {
			r.tally.otherMessages.Add(1)
		}
	}
}

// connect opens client i's stream, retrying on ConnectBackoff. It returns
// a nil stream when ctx ends or the client gives up (counted as failed).
func (r *runner) connect(ctx context.Context, i int) (grpc.ServerStreamingClient[gatewayv1.GatewayEvent], context.CancelFunc) {
	g := i / r.cfg.StreamsPerConn
	for attempt := 1; ; attempt++ {
		stream, cancel, err := r.subscribe(ctx, g, i)
		if err == nil {
			return stream, cancel
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		code := r.tally.connectFailed(err)
		r.inst.connectFailures.Add(context.Background(), 1, codeAttr(code))
		r.cfg.Logger.Debug("connect failed", zap.Int("client", i), zap.Int("attempt", attempt), zap.Error(err))
		if attempt >= r.cfg.ConnectBackoff.MaxAttempts {
			r.pool.states[i].state.Store(clientFailed)
			r.tally.clientFailed()
			return nil, nil
		}
		// attempt counts from 1, backoff's attempts from 0.
		delay := r.cfg.ConnectBackoff.Delay(attempt-1, r.pool.jitter())
		if clock.Sleep(ctx, r.cfg.Clock, delay) != nil {
			return nil, nil
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
	if err := r.pool.takeSlot(ctx); err != nil {
		return nil, nil, err
	}
	defer r.pool.releaseSlot()
	cc, gen, err := r.pool.acquireConn(g)
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
		r.pool.connFailed(g, gen)
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
