package backend

import (
	"context"
	"sync/atomic"
)

// subscription is one live SubscribePush stream. Its only claim on memory is
// a read position into the shared ring, so a slow reader costs the
// publisher nothing until it is dropped.
type subscription struct {
	id string
	// notify has room for one wake-up: Publish never blocks on it, and a
	// wake-up that arrives while the sender is busy is not lost.
	notify chan struct{}
	// done is closed, with err set first, when the backend ends the stream.
	done chan struct{}
	// liveFrom is the ring's next sequence number when the stream started:
	// events before it are replay and do not count as lag.
	liveFrom uint64
	// sent is the sequence number of the first event not yet sent. It is
	// written by the sender after each Send and read by Publish for the lag.
	sent atomic.Uint64

	// Guarded by Server.mu.
	next    uint64 // sequence number of the next event to take from the ring
	err     error  // why the backend ended the stream; nil while live
	counted bool   // counted in the subscriptions gauge
}

func newSubscription(id string, start, liveFrom uint64) *subscription {
	sub := &subscription{
		id:       id,
		notify:   make(chan struct{}, 1),
		done:     make(chan struct{}),
		liveFrom: liveFrom,
		next:     start,
	}
	sub.sent.Store(start)
	return sub
}

func (sub *subscription) wake() {
	select {
	case sub.notify <- struct{}{}:
	default:
	}
}

// endLocked ends sub with err, the status its stream returns. Only the
// first end counts.
func (s *Server) endLocked(sub *subscription, err error) {
	if sub.err != nil {
		return
	}
	sub.err = err
	close(sub.done)
	s.removeLocked(sub)
}

// removeLocked forgets sub. A replaced subscription's id already belongs
// to its successor, which must stay.
func (s *Server) removeLocked(sub *subscription) {
	if s.subs[sub.id] == sub {
		delete(s.subs, sub.id)
	}
	if sub.counted {
		sub.counted = false
		s.in.subs.Add(context.Background(), -1)
	}
}
