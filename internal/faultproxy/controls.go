package faultproxy

import (
	"math/rand/v2"
	"slices"
	"time"

	"go.uber.org/zap"
)

// CutAll resets every open connection on both sides, as a crashed middlebox
// would, and returns how many it cut. A connection counts as open once its
// target has answered the dial; one accepted but still dialing is not cut.
func (p *Proxy) CutAll() int {
	p.mu.Lock()
	cut := make([]*pair, 0, len(p.pairs))
	for _, pc := range p.pairs {
		cut = append(cut, pc)
	}
	p.stats.Cut += uint64(len(cut))
	p.notifyLocked()
	p.mu.Unlock()
	for _, pc := range cut {
		pc.abort()
	}
	if len(cut) > 0 {
		p.log.Debug("cut all", zap.Int("conns", len(cut)))
	}
	return len(cut)
}

// CutRandom resets one open connection, chosen with r (nil means the
// package-level source of math/rand/v2), and reports which; ok is false
// when none was open.
func (p *Proxy) CutRandom(r *rand.Rand) (info ConnInfo, ok bool) {
	p.mu.Lock()
	if len(p.pairs) == 0 {
		p.mu.Unlock()
		return ConnInfo{}, false
	}
	// Sorted so that a seeded r picks the same connection every run.
	ids := make([]uint64, 0, len(p.pairs))
	for id := range p.pairs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var i int
	if r != nil {
		i = r.IntN(len(ids))
	} else {
		i = rand.IntN(len(ids))
	}
	pc := p.pairs[ids[i]]
	p.stats.Cut++
	p.notifyLocked()
	p.mu.Unlock()
	info = pc.info()
	pc.abort()
	p.log.Debug("cut one", zap.Uint64("conn", info.ID), zap.String("client", info.Client))
	return info, true
}

// BlackHole silences, when on, every connection open now: the proxy keeps
// reading both sides, so their writes succeed, but drops the bytes and
// passes on no close, so each peer sees a connection that is up and says
// nothing, which only a keepalive can tell from an idle one. Connections
// accepted afterwards flow normally, which is what lets a client that has
// detected the dead connection reconnect. Turned off, it lets the open
// connections flow again; what was dropped stays lost, so a protocol
// usually fails on them. It returns how many connections it changed.
func (p *Proxy) BlackHole(on bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pc := range p.pairs {
		if pc.holed.Swap(on) != on {
			n++
		}
	}
	p.log.Debug("black hole", zap.Bool("on", on), zap.Int("conns", n))
	return n
}

// Delay holds every chunk for d before forwarding it, in both directions
// and on every connection, open or new; 0 removes the delay. Chunks of one
// direction are held one after another, so d also caps the throughput of
// a direction to one chunk (up to 32 KiB) per d.
func (p *Proxy) Delay(d time.Duration) {
	p.delay.Store(int64(max(d, 0)))
}

// Refuse makes the proxy, when on, reset every new connection as soon as
// it is accepted, as a host with nothing listening would; open connections
// are untouched. Turned off, it accepts again, and also ends a RefuseFor.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = on
	if !on {
		p.refuseUntil = time.Time{}
	}
}

// RefuseFor refuses new connections, as Refuse(true) does, until d has
// passed on Config.Now.
func (p *Proxy) RefuseFor(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuseUntil = p.cfg.Now().Add(d)
}
