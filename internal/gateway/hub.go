package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"galaxy/galaxyctl/internal/clock"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// client is one Subscribe stream as the hub sees it: a user filter and a
// read position in the shared window. It holds no events of its own.
//
// Sends happen on a drain goroutine that exists only while the client has
// events to send (it is "busy"), never on the handler's goroutine: a client
// that stops reading blocks Send on flow control, and only the handler
// returning ends that send (the stack then cancels the stream); a handler
// blocked in Send could never end a slow client. Idle clients, the common
// case, cost no goroutine beyond their handler's.
type client struct {
	user string
	peer string           // for logs
	conn *Conn            // the stream's connection, when the stack tracks them
	hb   *HeartbeatStream // set before release, so before any drain runs
	// done is closed by end; the handler waits on it.
	done chan struct{}

	// next is the seq of the next window entry to look at. The drain
	// goroutine advances it after each send; makeRoomLocked reads it to
	// know what the client still needs.
	next atomic.Uint64
	// busy: a drain goroutine runs (or will at release), and c pins the
	// window from next. It goes true at register and in wakeRLocked, and
	// false when c ends or its drain finds nothing past the newest entry,
	// under at least Server.mu's read lock, which appending excludes: a
	// drain cannot go idle past an event that nobody wakes it for.
	busy atomic.Bool
	// holding and held are the pacing accounts (pace.go): whether Dispatch
	// waits for this client now, and for how long in all since it was
	// last caught up, in nanoseconds.
	holding atomic.Bool
	held    atomic.Int64

	pos int // index in Server.byUser[user]; guarded by Server.mu

	mu        sync.Mutex
	ended     bool
	endErr    error
	stall     clock.Timer // fires when a send has taken SlowClientTimeout
	sending   bool        // a send is in progress, started at sendStart
	sendStart time.Time   //
}

// end marks c ended with err, once, and wakes its handler. It reports
// whether this call ended it.
func (c *client) end(err error) bool { return c.endThen(err, nil) }

// endThen is end that calls before, if this call ends c, before the
// handler is woken: what the handler's return makes visible (a drop's
// count) is done by then.
func (c *client) endThen(err error, before func()) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	c.ended = true
	c.endErr = err
	if c.stall != nil {
		c.stall.Stop()
	}
	c.mu.Unlock()
	if before != nil {
		before()
	}
	close(c.done)
	return true
}

func (c *client) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

func (c *client) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endErr
}

// register decides where c starts for lastID, adds it to the index and
// pins the window from its start, and returns the response header.
func (s *Server) register(c *client, lastID string) (metadata.MD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errShuttingDown
	}
	// Age out what nobody needs, so a resume sees the window as its bounds
	// say.
	s.expireLocked(s.clock.Now())
	start, md := s.startLocked(lastID)
	c.next.Store(start)
	// Busy until released: events that arrive before the header is out wait
	// in the window, and no drain starts before the heartbeat stream exists.
	c.busy.Store(true)
	s.pinned = min(s.pinned, start)
	list := s.byUser[c.user]
	c.pos = len(list)
	s.byUser[c.user] = append(list, c)
	return md, nil
}

// release lets c's events flow once its stream is ready to send.
func (s *Server) release(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.busy.Load() && !c.isEnded() {
		go s.drain(c)
	}
}

// finish ends c, if nothing else has, and forgets it; the handler calls it
// on its way out.
func (s *Server) finish(c *client) {
	c.end(errHandlerDone)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unpinLocked(c)
	list := s.byUser[c.user]
	last := len(list) - 1
	if c.pos > last || list[c.pos] != c {
		return
	}
	// Swap-delete in O(1), so tearing down many clients with one filter
	// stays linear.
	list[c.pos] = list[last]
	list[c.pos].pos = c.pos
	list[last] = nil
	if last == 0 {
		delete(s.byUser, c.user) // a million one-user filters leave no keys behind
		return
	}
	s.byUser[c.user] = list[:last]
}

// endClient ends c with err and stops it pinning the window.
func (s *Server) endClient(c *client, err error) {
	if !c.end(err) {
		return
	}
	s.mu.Lock()
	s.unpinLocked(c)
	s.mu.Unlock()
}

// unpinLocked stops an ended c pinning the window, and takes it out of a
// pacing wait. Its drain may still be in a send; it exits after.
func (s *Server) unpinLocked(c *client) {
	c.busy.Store(false)
	s.pace.leave(c)
}

// eachClientLocked calls f for every registered client.
func (s *Server) eachClientLocked(f func(*client)) {
	for _, list := range s.byUser {
		for _, c := range list {
			f(c)
		}
	}
}

// Dispatch fans one backend event out to every client whose user filter
// matches it; an event with no user_id is a broadcast and matches every
// client. The event is converted and signed once and appended to the
// window, from which each client's drain sends it. Dispatch returns at once
// unless the window is full of events some client has still to be sent: it
// then waits for those clients, at most SlowClientTimeout per client in all
// before that client is dropped (see the package doc). It is safe for
// concurrent use, though per-client order is only the order of the calls
// when they come from one goroutine, as the subscriber's do.
func (s *Server) Dispatch(ev *pushv1.PushEvent) {
	_ = s.dispatch(context.Background(), ev)
}

// dispatch is Dispatch with a context that ends a wait; it fails only when
// ctx ends or the server closes before ev is in the window.
func (s *Server) dispatch(ctx context.Context, ev *pushv1.PushEvent) error {
	if ev == nil {
		return nil
	}
	s.m.dispatched.Add(ctx, 1)
	if ev.GetEventType() == gatewayv1.HeartbeatEventType {
		// Clients take this type for the gateway's own heartbeat and skip it.
		s.log.Warn("dropping backend event that uses the heartbeat event type",
			zap.String("cursor", ev.GetCursor()))
		return nil
	}
	gev := toGatewayEvent(ev)
	if err := Sign(s.cfg.SigningKey, gev); err != nil {
		s.log.Error("dropping event that cannot be signed", zap.String("cursor", ev.GetCursor()), zap.Error(err))
		return nil
	}
	size := proto.Size(gev) + entryOverhead

	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errShuttingDown
	}
	if err := s.makeRoomLocked(ctx, size); err != nil {
		s.mu.Unlock()
		return err
	}
	seq := s.win.push(entry{ev: gev, size: size, at: s.clock.Now()})
	s.mu.Unlock()
	// Waking takes only the read lock, so drains keep reading the window
	// meanwhile: with thousands of clients that is most of the work.
	s.mu.RLock()
	s.wakeRLocked(gev.GetUserId(), seq)
	s.mu.RUnlock()
	return nil
}

// wakeRLocked starts a drain for every idle client that takes an event for
// user, at seq; busy clients find it in the window themselves. A drain
// goes idle only after finding nothing past the newest entry, under the
// read lock, so either it is still busy or it went idle before or after
// it took seq (then its next is past seq, and there is nothing to do).
// An idle client's next moves only here, and Dispatch calls are
// serialized, so an idle client before seq has seen every earlier event
// it takes: it starts at seq, skipping what its filter does not take.
func (s *Server) wakeRLocked(user string, seq uint64) {
	visit := func(list []*client) {
		for _, c := range list {
			if c.busy.Load() || c.next.Load() > seq || c.isEnded() || !c.busy.CompareAndSwap(false, true) {
				continue
			}
			c.next.Store(seq)
			go s.drain(c)
		}
	}
	if user == "" {
		// An event for no user in particular is a broadcast: every
		// client gets it, whatever its filter.
		for _, list := range s.byUser {
			visit(list)
		}
		return
	}
	visit(s.byUser[""])
	visit(s.byUser[user])
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
