package backend

import (
	"time"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// entry is one event in the ring with the time that ages it. at keeps the
// clock's monotonic reading, so a wall-clock step does not evict early.
type entry struct {
	at time.Time
	ev *pushv1.PushEvent
}

// ring holds the most recent events in sequence order. Sequence numbers in
// it are contiguous, because events leave only from the oldest end, so the
// event with sequence q sits at offset q-oldest(). The buffer grows on
// demand up to max, so a backend configured for a large ring but receiving
// little costs little. A ring is not safe for concurrent use.
type ring struct {
	buf  []entry // circular
	head int     // index in buf of the oldest event
	n    int     // events held
	next uint64  // sequence number the next event gets
	max  int
}

func newRing(maxEvents int) *ring { return &ring{next: 1, max: maxEvents} }

// oldest is the sequence number of the oldest event held, or next when the
// ring is empty.
func (r *ring) oldest() uint64 { return r.next - uint64(r.n) }

// push appends e as sequence number next, evicting the oldest event first
// when the ring is full; it reports whether it evicted.
func (r *ring) push(e entry) (evicted bool) {
	if r.n == r.max {
		r.pop()
		evicted = true
	}
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
	r.next++
	return evicted
}

func (r *ring) grow() {
	size := min(max(2*len(r.buf), 16), r.max)
	buf := make([]entry, size)
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = buf, 0
}

// pop drops the oldest event, clearing its slot so it can be collected.
func (r *ring) pop() {
	r.buf[r.head] = entry{}
	r.head = (r.head + 1) % len(r.buf)
	r.n--
}

// expire drops the events stamped at or before cutoff and returns how many.
// Stamps are in publish order, so it stops at the first younger one.
func (r *ring) expire(cutoff time.Time) int {
	evicted := 0
	for r.n > 0 && !r.buf[r.head].at.After(cutoff) {
		r.pop()
		evicted++
	}
	return evicted
}

// appendFrom appends to dst the events with sequence numbers from seq on,
// at most limit of them. seq must be at least oldest().
func (r *ring) appendFrom(dst []*pushv1.PushEvent, seq uint64, limit int) []*pushv1.PushEvent {
	for q := seq; q < r.next && limit > 0; q++ {
		dst = append(dst, r.buf[(r.head+int(q-r.oldest()))%len(r.buf)].ev)
		limit--
	}
	return dst
}
