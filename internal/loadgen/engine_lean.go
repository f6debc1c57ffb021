package loadgen

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/loadgen/lean"
)

// leanEngine runs the clients on package lean's event loops: no goroutine
// per client, the profile's wire behaviour, every protocol. Its sockets
// report their bytes to the collector through a socketMeter, into the
// same decoders a counting connection feeds.
type leanEngine struct {
	r *runner
	e *lean.Engine
}

func newLeanEngine(r *runner) (*leanEngine, error) {
	cfg := r.cfg
	le := &leanEngine{r: r}
	e, err := lean.New(lean.Config{
		Protocol: cfg.Protocol, HTTP: cfg.HTTP, Codec: cfg.Codec, Profile: cfg.Profile,
		Authority: cfg.Addr, TLS: cfg.TLS, StaticWindow: uint32(cfg.StaticWindow),
		Events: leanEvents{r}, Now: cfg.Clock.Now,
	})
	if err != nil {
		return nil, err
	}
	le.e = e
	return le, nil
}

// newConn dials connection g and hands it to the engine, within the
// attempt's ctx.
func (le *leanEngine) newConn(ctx context.Context, g int) (poolConn, error) {
	r := le.r
	raw, err := r.cfg.Dial(ctx, r.sourceAddr(g), r.cfg.Addr)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dial %s: %v", r.cfg.Addr, err)
	}
	c, err := le.e.Connect(ctx, raw, r.col.meter(raw))
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (le *leanEngine) open(_, attempt context.Context, c poolConn, i int) (func(), error) {
	return nil, c.(*lean.Conn).Open(attempt, i, le.r.cfg.UserID(i))
}

// close closes every connection; the streams still open leave the gauge
// of active streams.
func (le *leanEngine) close() {
	le.e.Close()
	var open int64
	for i := range le.r.pool.states {
		if le.r.pool.states[i].state.Load() == clientConnected {
			open++
		}
	}
	le.r.inst.activeStreams.Add(context.Background(), -open)
}

// leanEvents delivers the lean engine's messages to the run.
type leanEvents struct{ r *runner }

func (e leanEvents) Message(client int, heartbeat bool, at time.Time) {
	e.r.message(client, heartbeat, at)
}

func (e leanEvents) End(client int, err error) {
	e.r.streamEnded(client, err)
	e.r.inst.activeStreams.Add(context.Background(), -1)
}
