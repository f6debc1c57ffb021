package gateway

import (
	"context"
	"fmt"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// sendBatch is how many events a drain takes from the window per lock.
const sendBatch = 64

// errLeftWindow ends a client whose next event left the window. Pinning
// makes it impossible; it is here so that a bug shows as a drop the client
// is told about, never as a silent gap.
var errLeftWindow = status.Error(codes.ResourceExhausted, "client fell behind: its next event left the gateway's window; resume with last_event_id")

// drain sends c the events it takes from the window, from c.next on, until
// it has caught up (then c goes idle until Dispatch wakes it) or has ended.
func (s *Server) drain(c *client) {
	batch := make([]ref, 0, sendBatch)
	for !c.isEnded() {
		s.mu.RLock()
		batch, after, gap := s.win.collect(batch[:0], c.next.Load(), c.user, sendBatch)
		if len(batch) == 0 && !gap && after == s.win.next {
			// Caught up. Under the read lock nothing can be appended, so a
			// Dispatch after this sees c idle and wakes it again.
			s.advance(c, after)
			c.held.Store(0) // the others no longer wait on it
			c.busy.Store(false)
			s.mu.RUnlock()
			return
		}
		s.mu.RUnlock()
		if gap {
			s.drop(c, errLeftWindow, "left_window")
			return
		}
		for i, r := range batch {
			if err := s.send(c, r.ev); err != nil {
				s.endClient(c, err)
				return
			}
			batch[i] = ref{} // let an evicted event go while the batch lives
			s.advance(c, r.seq+1)
		}
		// Whatever else was looked at did not match c's filter.
		s.advance(c, after)
	}
}

// advance moves c's position to next, and tells a Dispatch that waits for
// c when c has passed what it waits for.
func (s *Server) advance(c *client, next uint64) {
	if next <= c.next.Load() {
		return
	}
	c.next.Store(next)
	if c.holding.Load() {
		s.pace.passed(c, next, s.clock.Now())
	}
}

// send sends ev to c under the slow-client timer: a send that takes
// SlowClientTimeout means c has accepted nothing of what it has waiting for
// that long (the stack's buffers for the stream are full), and c is
// dropped.
func (s *Server) send(c *client, ev *gatewayv1.GatewayEvent) error {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return c.endErr
	}
	c.sending, c.sendStart = true, s.clock.Now()
	if c.stall == nil {
		c.stall = s.clock.AfterFunc(s.cfg.SlowClientTimeout, func() { s.stalled(c) })
	} else {
		c.stall.Reset(s.cfg.SlowClientTimeout)
	}
	c.mu.Unlock()

	err := c.hb.Send(ev)

	c.mu.Lock()
	c.sending = false
	c.stall.Stop()
	c.mu.Unlock()
	if err == nil {
		s.m.sent.Add(context.Background(), 1)
	}
	return err
}

// stalled is the slow-client timer's callback. A timer re-armed by a later
// send may fire for the earlier one, so it checks that a send really has
// been in progress for the whole timeout.
func (s *Server) stalled(c *client) {
	now := s.clock.Now()
	c.mu.Lock()
	stuck := c.sending && !c.ended && now.Sub(c.sendStart) >= s.cfg.SlowClientTimeout
	c.mu.Unlock()
	if !stuck {
		return
	}
	err := status.Error(codes.ResourceExhausted, fmt.Sprintf(
		"client stopped reading: no event accepted for %v; resume with last_event_id", s.cfg.SlowClientTimeout))
	if !s.drop(c, err, "stalled") {
		return
	}
	// What the stack has queued for the stream (its send quota and the
	// trailers behind it) is only released with the connection when the
	// connection cannot be flushed at all.
	if c.conn != nil && c.conn.streamStalled(now, s.cfg.SlowClientTimeout) {
		s.log.Warn("closed a connection that cannot be flushed", zap.String("peer", c.conn.RemoteAddr().String()))
	}
}

// drop ends c as too slow, counting and logging it; reason labels the
// metric. It reports whether this call ended c.
func (s *Server) drop(c *client, err error, reason string) bool {
	if !c.endThen(err, func() { s.countDrop(c, err, reason) }) {
		return false
	}
	s.mu.Lock()
	s.unpinLocked(c)
	s.mu.Unlock()
	return true
}

func (s *Server) countDrop(c *client, err error, reason string) {
	s.m.drop(reason)
	s.log.Warn("dropping slow client", zap.String("peer", c.peer), zap.String("user_filter", c.user), zap.String("reason", reason), zap.Error(err))
}
