package loadgen

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// slowSweepConn is a client socket whose TCP_INFO reads, once the run is
// being stopped, wait for the server to see a stream end (at most
// maxWait): a sweep of many sockets takes that long, and teardown traffic
// sent meanwhile must not land in the window.
type slowSweepConn struct {
	*net.TCPConn
	gate *sweepGate
}

type sweepGate struct {
	stopping atomic.Bool
	once     sync.Once
	ended    chan struct{}
	endOnce  sync.Once
	maxWait  time.Duration
}

func (g *sweepGate) wait() {
	if !g.stopping.Load() {
		return
	}
	g.once.Do(func() {
		select {
		case <-g.ended:
		case <-time.After(g.maxWait):
		}
	})
}

func (c slowSweepConn) SyscallConn() (syscall.RawConn, error) {
	rc, err := c.TCPConn.SyscallConn()
	if err != nil {
		return nil, err
	}
	return slowRawConn{rc, c.gate}, nil
}

type slowRawConn struct {
	syscall.RawConn
	gate *sweepGate
}

func (r slowRawConn) Control(f func(fd uintptr)) error {
	r.gate.wait()
	return r.RawConn.Control(f)
}

// Ending a run during the window (q in the live view) ends the window
// first: the streams' teardown (the client's RST_STREAM, GOAWAY) stays out
// of the figures.
func TestRunInterruptedKeepsTeardownOut(t *testing.T) {
	t.Parallel()
	gate := &sweepGate{ended: make(chan struct{}), maxWait: 300 * time.Millisecond}
	addr, _ := serveStub(t, &stubGateway{interval: testInterval, onEnd: func() {
		gate.endOnce.Do(func() { close(gate.ended) })
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg := baseConfig(addr)
	cfg.Warmup = -1
	cfg.Duration = time.Minute
	cfg.LiveEvery = time.Hour // only the window's end sweeps the sockets
	cfg.Dial = func(ctx context.Context, _ netip.Addr, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return slowSweepConn{c.(*net.TCPConn), gate}, nil
	}
	cfg.OnSnapshot = func(s Snapshot) {
		if s.Phase == PhaseMeasure && s.PhaseElapsed >= 3*testInterval && !gate.stopping.Load() {
			gate.stopping.Store(true)
			cancel()
		}
	}
	rep, err := Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) || rep == nil {
		t.Fatalf("Run(cancelled while measuring) = %v, %v, want a report and context.Canceled", rep, err)
	}
	for _, dir := range []struct {
		name string
		rows []report.FrameRow
	}{{"in", rep.Frames.In}, {"out", rep.Frames.Out}} {
		for _, f := range dir.rows {
			if f.Type == wire.KindRSTStream.String() || f.Type == wire.KindGoAway.String() {
				t.Errorf("Run(cancelled while measuring) frames %s: %d %s frames in the window, want none (teardown)", dir.name, f.Frames, f.Type)
			}
		}
	}
}
