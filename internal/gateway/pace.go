package gateway

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxPaceChunk bounds how many entries one pacing wait frees: enough that
// a catch-up through a full window waits rarely, few enough that the wait
// is for the clients at the very back.
const maxPaceChunk = 4096

// pacer is the state of the one wait Dispatch may be in: for the clients
// (holders) whose next event is at or before target, the end of the chunk
// of oldest entries it needs to evict. Holders report passing target
// themselves, so the wait costs nothing per event sent.
type pacer struct {
	wake    chan struct{} // one wake-up, never blocking the signaller
	target  atomic.Uint64
	waiting atomic.Int64 // holders still at or before target
	start   atomic.Int64 // unix nanos: the wait began
	last    atomic.Int64 // unix nanos: the latest holder passed target
}

func (p *pacer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// passed is called by a holder whose position moved to next. The last
// holder to pass is charged the time since the one before it passed: for
// that long it alone held the others up.
func (p *pacer) passed(c *client, next uint64, now time.Time) {
	if next <= p.target.Load() || !c.holding.CompareAndSwap(true, false) {
		return
	}
	prev := p.last.Swap(now.UnixNano())
	if p.waiting.Add(-1) == 0 {
		c.held.Add(now.UnixNano() - max(prev, p.start.Load()))
		p.signal()
	}
}

// leave takes an ended client out of the wait, uncharged.
func (p *pacer) leave(c *client) {
	if c.holding.CompareAndSwap(true, false) && p.waiting.Add(-1) == 0 {
		p.signal()
	}
}

// expireLocked evicts the entries older than ReplayAge that no client
// needs.
func (s *Server) expireLocked(now time.Time) {
	s.evictLocked(func() bool { return s.win.expired(now) })
}

// makeRoomLocked evicts what the window's bounds require before an entry
// of size bytes is appended. Entries a busy client has still to be sent
// are pinned: when the window is full of them, it waits for the clients at
// the back (paceLocked), which is what makes the gateway read the backend
// only as fast as its clients drain while it catches up.
func (s *Server) makeRoomLocked(ctx context.Context, size int) error {
	for {
		now := s.clock.Now()
		s.evictLocked(func() bool { return s.win.full(size) || s.win.expired(now) })
		if !s.win.full(size) {
			return nil
		}
		if err := s.paceLocked(ctx); err != nil {
			return err
		}
	}
}

// evictLocked pops the oldest entry while want says so and no busy client
// needs it. s.pinned is a lower bound of the busy clients' positions
// (positions only grow, a client woken starts at the newest entry, and
// register lowers it), refreshed only when the eviction reaches it, so
// evicting costs O(clients) per window turnover rather than per event.
func (s *Server) evictLocked(want func() bool) {
	for s.win.n > 0 && want() {
		if o := s.win.oldest(); o >= s.pinned {
			s.pinned = s.win.next
			s.eachClientLocked(func(c *client) {
				if c.busy.Load() {
					s.pinned = min(s.pinned, c.next.Load())
				}
			})
			if o >= s.pinned {
				return
			}
		}
		s.win.pop()
	}
}

// paceLocked waits, with s.mu released, until the clients at the back of
// a full window have moved past its oldest chunk, or until the first of
// them has held the others up for SlowClientTimeout in all since it last
// caught up; those are dropped. It returns with s.mu held.
func (s *Server) paceLocked(ctx context.Context) error {
	timeout := s.cfg.SlowClientTimeout
	target := s.win.oldest() + uint64(max(1, min(s.win.n/8, maxPaceChunk))) - 1
	var holders []*client
	budget := timeout
	s.eachClientLocked(func(c *client) {
		if c.busy.Load() && c.next.Load() <= target {
			holders = append(holders, c)
			budget = min(budget, timeout-time.Duration(c.held.Load()))
		}
	})
	if len(holders) == 0 {
		return nil
	}
	if budget > 0 {
		if err := s.waitHoldersLocked(ctx, holders, target, budget); err != nil {
			return err
		}
	}
	held := status.Error(codes.ResourceExhausted, fmt.Sprintf(
		"client fell behind: the gateway waited %v on it; resume with last_event_id", timeout))
	for _, c := range holders {
		if time.Duration(c.held.Load()) < timeout || !c.endThen(held, func() { s.countDrop(c, held, "held") }) {
			continue
		}
		s.unpinLocked(c)
	}
	return nil
}

// waitHoldersLocked is the wait of paceLocked, at most budget long.
func (s *Server) waitHoldersLocked(ctx context.Context, holders []*client, target uint64, budget time.Duration) error {
	p := &s.pace
	start := s.clock.Now()
	select {
	case <-p.wake: // a stale wake-up from an earlier wait
	default:
	}
	p.target.Store(target)
	p.start.Store(start.UnixNano())
	p.last.Store(start.UnixNano())
	p.waiting.Store(int64(len(holders)))
	for _, c := range holders {
		c.holding.Store(true)
		// One that passed target before it was marked reports it now.
		if next := c.next.Load(); next > target {
			p.passed(c, next, start)
		}
	}
	timer := s.clock.AfterFunc(budget, p.signal)
	s.mu.Unlock()
	var err error
	select {
	case <-p.wake:
	case <-s.closing:
		err = errShuttingDown
	case <-ctx.Done():
		err = ctx.Err()
	}
	timer.Stop()
	s.mu.Lock()

	now := s.clock.Now()
	since := max(p.start.Load(), p.last.Load())
	for _, c := range holders {
		// Still at the back: it held the others up since the last pass.
		if c.holding.CompareAndSwap(true, false) {
			c.held.Add(now.UnixNano() - since)
		}
	}
	p.waiting.Store(0)
	s.m.paced.Add(context.Background(), now.Sub(start).Seconds())
	return err
}
