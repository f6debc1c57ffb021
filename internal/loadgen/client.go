package loadgen

import (
	"context"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock"
)

// clientEngine opens the clients' streams: the lean engine's, or real
// grpc-go ClientConns. Both report every byte to the same collector and
// every message to the same tally, so the report does not depend on it.
type clientEngine interface {
	// newConn opens connection g within the attempt's ctx (lazily, for
	// grpc-go).
	newConn(ctx context.Context, g int) (poolConn, error)
	// open opens client i's stream on c and returns once its response
	// header arrived, within attempt (the client's ctx is ctx). recv, when
	// not nil, receives the stream's messages in the caller's goroutine
	// until the stream or ctx ends; the lean engine delivers them from its
	// own goroutines instead.
	open(ctx, attempt context.Context, c poolConn, i int) (recv func(), err error)
	// close closes every connection once the clients have stopped.
	close()
}

// poolConn is one connection of the pool.
type poolConn interface {
	Close() error
	// Usable is false once no more streams can open on the connection.
	Usable() bool
}

// runClient connects client i, with retries; then the client receives
// until ctx ends or the stream does.
func (r *runner) runClient(ctx context.Context, i int) {
	defer r.pool.wg.Done()
	st := &r.pool.states[i]
	recv, ok := r.connect(ctx, i)
	if !ok {
		return
	}
	st.connectedAt.Store(r.cfg.Clock.Now().UnixNano())
	// A lean stream may have ended already, from the engine's goroutine.
	st.state.CompareAndSwap(clientPending, clientConnected)
	r.inst.activeStreams.Add(context.Background(), 1)
	r.tally.clientConnected()
	if recv != nil {
		defer r.inst.activeStreams.Add(context.Background(), -1)
		recv()
	}
}

// message records a message client i received at at.
func (r *runner) message(i int, heartbeat bool, at time.Time) {
	st := &r.pool.states[i]
	now := at.UnixNano()
	if prev := st.last.Swap(now); prev != 0 {
		r.gaps.record(time.Duration(now - prev))
	}
	if heartbeat {
		st.heartbeats.Add(1)
		r.tally.heartbeats.Add(1)
		r.inst.heartbeat()
	} else {
		r.tally.otherMessages.Add(1)
	}
}

// streamEnded records the end of client i's stream before the run's.
func (r *runner) streamEnded(i int, err error) {
	r.pool.states[i].state.Store(clientEnded)
	code := r.tally.streamEnded(err)
	r.inst.streamsEnded.Add(context.Background(), 1, codeAttr(code))
	r.cfg.Logger.Debug("stream ended", zap.String("code", code), zap.Error(err))
}

// connect opens client i's stream, retrying on ConnectBackoff. ok is false
// when ctx ends or the client gives up (counted as failed).
func (r *runner) connect(ctx context.Context, i int) (recv func(), ok bool) {
	g := i / r.cfg.StreamsPerConn
	for attempt := 1; ; attempt++ {
		recv, err := r.subscribe(ctx, g, i)
		if err == nil {
			return recv, true
		}
		if ctx.Err() != nil {
			return nil, false
		}
		code := r.tally.connectFailed(err)
		r.inst.connectFailures.Add(context.Background(), 1, codeAttr(code))
		r.cfg.Logger.Debug("connect failed", zap.Int("client", i), zap.Int("attempt", attempt), zap.Error(err))
		if attempt >= r.cfg.ConnectBackoff.MaxAttempts {
			r.pool.states[i].state.Store(clientFailed)
			r.tally.clientFailed()
			return nil, false
		}
		// attempt counts from 1, backoff's attempts from 0.
		delay := r.cfg.ConnectBackoff.Delay(attempt-1, r.pool.jitter())
		if clock.Sleep(ctx, r.cfg.Clock, delay) != nil {
			return nil, false
		}
	}
}

// subscribe opens client i's stream on connection g. The stream is open
// once its response header arrives (the gateway sends one as soon as it
// has registered the client); until then subscribe holds one of the
// ConnectParallel slots. The whole attempt, the dial included, is bounded
// by ConnectTimeout: without that bound a stream the server never opens
// (its limit of concurrent streams per connection reached, say) would wait
// forever, and the ramp with it. Running out of time is DeadlineExceeded.
func (r *runner) subscribe(ctx context.Context, g, i int) (func(), error) {
	if err := r.pool.takeSlot(ctx); err != nil {
		return nil, err
	}
	defer r.pool.releaseSlot()
	// Wall-clock time, like the dial bound grpc enforces with the same
	// ConnectTimeout.
	attempt, cancel := context.WithTimeout(ctx, r.cfg.ConnectTimeout)
	defer cancel()
	c, gen, err := r.pool.acquireConn(attempt, g)
	if err != nil {
		return nil, r.attemptErr(ctx, attempt, err)
	}
	recv, err := r.eng.open(ctx, attempt, c, i)
	if err != nil {
		r.pool.connFailed(g, gen)
		return nil, r.attemptErr(ctx, attempt, err)
	}
	return recv, nil
}

// attemptErr is err, or DeadlineExceeded when the attempt ran out of time.
func (r *runner) attemptErr(ctx, attempt context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if attempt.Err() != nil {
		return status.Errorf(codes.DeadlineExceeded, "no response header within %s: the server did not open the stream (its limit of concurrent streams per connection reached?)", r.cfg.ConnectTimeout)
	}
	return err
}
