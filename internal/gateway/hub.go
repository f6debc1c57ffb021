package gateway

import (
	"context"
	"sync"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// client is one Subscribe stream as the hub sees it: a user filter and a
// bounded queue of events not yet handed to Send.
//
// Sends happen on a drain goroutine that exists only while the queue is not
// empty, never on the handler's goroutine. A client that stops reading
// blocks Send on flow control, and only the handler returning ends that
// send (gRPC then cancels the stream); a handler blocked in Send could never
// end a slow client. Idle clients, the common case, still cost one goroutine.
type client struct {
	user string
	hb   *HeartbeatStream // set before release, so before any drain runs
	// done is closed by end; the handler waits on it.
	done chan struct{}
	pos  int // index in Server.byUser[user]; guarded by Server.mu

	mu       sync.Mutex
	queue    []*gatewayv1.GatewayEvent
	draining bool // a drain goroutine runs, or the client is not released yet
	ended    bool
	endErr   error
}

// end marks c ended with err, once, and wakes its handler.
func (c *client) end(err error) {
	c.mu.Lock()
	c.endLocked(err)
	c.mu.Unlock()
}

func (c *client) endLocked(err error) {
	if c.ended {
		return
	}
	c.ended = true
	c.endErr = err
	c.queue = nil // the events will never be sent; let them go
	close(c.done)
}

// release lets queued events flow once the stream is ready to send.
func (s *Server) release(c *client) {
	c.mu.Lock()
	c.draining = !c.ended && len(c.queue) > 0
	start := c.draining
	c.mu.Unlock()
	if start {
		go s.drain(c)
	}
}

// Dispatch fans one backend event out to every client whose user filter
// matches it; an event with no user_id is a broadcast and matches every
// client. The event is converted and signed once, then queued without
// blocking; a client whose queue is full is ended with ResourceExhausted, so
// neither Dispatch nor the other clients ever wait for a slow one. Dispatch
// is safe for concurrent use, though per-client order is only the order of
// the calls when they come from one goroutine, as the subscriber's do.
func (s *Server) Dispatch(ev *pushv1.PushEvent) {
	if ev == nil {
		return
	}
	ctx := context.Background()
	s.m.dispatched.Add(ctx, 1)
	if ev.GetEventType() == gatewayv1.HeartbeatEventType {
		// Clients take this type for the gateway's own heartbeat and skip it.
		s.log.Warn("dropping backend event that uses the heartbeat event type",
			zap.String("cursor", ev.GetCursor()))
		return
	}
	gev := toGatewayEvent(ev)
	if err := Sign(s.cfg.SigningKey, gev); err != nil {
		s.log.Error("dropping event that cannot be signed", zap.String("cursor", ev.GetCursor()), zap.Error(err))
		return
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return
	}
	if gev.UserId == "" {
		// An event for no user in particular is a broadcast: every
		// client gets it, whatever its filter.
		for _, list := range s.byUser {
			for _, c := range list {
				s.enqueue(c, gev)
			}
		}
		return
	}
	for _, c := range s.byUser[""] {
		s.enqueue(c, gev)
	}
	for _, c := range s.byUser[gev.UserId] {
		s.enqueue(c, gev)
	}
}

// enqueue queues ev for c, or ends c if its queue is full.
func (s *Server) enqueue(c *client, ev *gatewayv1.GatewayEvent) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	if n := len(c.queue); n >= s.cfg.ClientQueue {
		c.endLocked(status.Errorf(codes.ResourceExhausted, "client fell behind: %d events queued", n))
		c.mu.Unlock()
		s.m.drops.Add(context.Background(), 1)
		s.log.Warn("dropping slow client", zap.String("user_filter", c.user), zap.Int("queued", n))
		return
	}
	c.queue = append(c.queue, ev)
	start := !c.draining
	c.draining = true
	c.mu.Unlock()
	if start {
		go s.drain(c)
	}
}

// drain sends c's queued events until the queue is empty or c has ended.
func (s *Server) drain(c *client) {
	ctx := context.Background()
	for {
		c.mu.Lock()
		if c.ended || len(c.queue) == 0 {
			c.draining = false
			c.mu.Unlock()
			return
		}
		ev := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		if len(c.queue) == 0 {
			// An idle client keeps no backing array.
			c.queue = nil
		}
		c.mu.Unlock()

		if err := c.hb.Send(ev); err != nil {
			c.end(err)
			return
		}
		s.m.sent.Add(ctx, 1)
	}
}

// register adds c to the index; false once the server is closed.
func (s *Server) register(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	list := s.byUser[c.user]
	c.pos = len(list)
	s.byUser[c.user] = append(list, c)
	return true
}

// unregister removes c from the index in O(1), so tearing down many
// clients with one filter stays linear.
func (s *Server) unregister(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.byUser[c.user]
	last := len(list) - 1
	if c.pos > last || list[c.pos] != c {
		return
	}
	list[c.pos] = list[last]
	list[c.pos].pos = c.pos
	list[last] = nil
	if last == 0 {
		delete(s.byUser, c.user) // a million one-user filters leave no keys behind
		return
	}
	s.byUser[c.user] = list[:last]
}

// toGatewayEvent copies a backend event into a client event; the backend
// cursor becomes the event id.
func toGatewayEvent(ev *pushv1.PushEvent) *gatewayv1.GatewayEvent {
	g := &gatewayv1.GatewayEvent{
		EventType: ev.GetEventType(),
		EventId:   ev.GetCursor(),
		UserId:    ev.GetUserId(),
		Payload:   ev.GetPayload(),
	}
	if ts := ev.GetCreatedAt(); ts != nil {
		g.CreatedAt = &timestamppb.Timestamp{Seconds: ts.GetSeconds(), Nanos: ts.GetNanos()}
	}
	return g
}
