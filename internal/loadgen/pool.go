package loadgen

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
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

// connGroup is one connection shared by StreamsPerConn clients.
type connGroup struct {
	mu     sync.Mutex
	cc     poolConn
	gen    int
	active int // streams open or opening on cc
}

// clientPool is the simulated clients and what they share: each client's
// state, the connection groups, and the slots that cap connects in flight
// (so a fast ramp does not overflow the server's accept queue).
type clientPool struct {
	states []clientState
	groups []connGroup
	slots  chan struct{}
	wg     sync.WaitGroup
	// newConn opens the connection of group g (lazily, for grpc-go).
	newConn func(ctx context.Context, g int) (poolConn, error)

	randMu sync.Mutex
	rand   func() float64
}

func newClientPool(cfg Config, newConn func(context.Context, int) (poolConn, error)) *clientPool {
	r := cfg.Rand
	if r == nil {
		r = rand.Float64
	}
	return &clientPool{
		states:  make([]clientState, cfg.Clients),
		groups:  make([]connGroup, cfg.connections()),
		slots:   make(chan struct{}, cfg.ConnectParallel),
		newConn: newConn,
		rand:    r,
	}
}

// jitter draws the random factor of a backoff; Config.Rand need not be
// safe for concurrent use.
func (p *clientPool) jitter() float64 {
	p.randMu.Lock()
	defer p.randMu.Unlock()
	return p.rand()
}

// takeSlot waits for a connect slot; releaseSlot gives it back.
func (p *clientPool) takeSlot(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *clientPool) releaseSlot() { <-p.slots }

// acquireConn returns connection g, opening it on first use, or when it
// can open no more streams (closed by the server), and counts one more
// stream on it; a failed open gives it back with connFailed.
func (p *clientPool) acquireConn(ctx context.Context, g int) (poolConn, int, error) {
	grp := &p.groups[g]
	grp.mu.Lock()
	defer grp.mu.Unlock()
	if grp.cc != nil && !grp.cc.Usable() {
		_ = grp.cc.Close() // dead already; this releases it
		grp.cc, grp.active = nil, 0
	}
	if grp.cc == nil {
		cc, err := p.newConn(ctx, g)
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
func (p *clientPool) connFailed(g, gen int) {
	grp := &p.groups[g]
	grp.mu.Lock()
	var cc poolConn
	if grp.gen == gen {
		grp.active--
		if grp.active == 0 {
			cc, grp.cc = grp.cc, nil
		}
	}
	grp.mu.Unlock()
	if cc != nil {
		_ = cc.Close() // fails only if already closed
	}
}

// closeConns closes every connection once the clients have stopped.
func (p *clientPool) closeConns() {
	for i := range p.groups {
		grp := &p.groups[i]
		grp.mu.Lock()
		cc := grp.cc
		grp.cc = nil
		grp.mu.Unlock()
		if cc != nil {
			_ = cc.Close() // fails only if already closed
		}
	}
}

// markWindowStart notes each client's heartbeats as the window starts.
func (p *clientPool) markWindowStart() {
	for i := range p.states {
		p.states[i].windowStart = p.states[i].heartbeats.Load()
	}
}

// tails looks at every open stream at the window's end: heartbeats
// overdue by more than half an interval, streams so stalled, and streams
// that received nothing in the window.
func (p *clientPool) tails(end time.Time, interval time.Duration) (overdue uint64, stalled, silent int) {
	endNS := end.UnixNano()
	for i := range p.states {
		st := &p.states[i]
		if st.state.Load() != clientConnected {
			continue
		}
		if st.heartbeats.Load() == st.windowStart {
			silent++
		}
		if interval <= 0 {
			continue
		}
		last := st.last.Load()
		if last == 0 {
			last = st.connectedAt.Load()
		}
		since := time.Duration(endNS - last)
		if 2*since > 3*interval {
			stalled++
			overdue += uint64((since - interval/2) / interval)
		}
	}
	return overdue, stalled, silent
}
