package gateway

import (
	"time"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// entryOverhead approximates what one window entry costs beyond its encoded
// size: the decoded event's structs and string headers, the slot and the id
// index. It keeps the byte bound honest for small events.
const entryOverhead = 256

// scanLimit bounds the entries one collect call looks at, so a filtered
// client passing over many events of other users releases the read lock
// between batches.
const scanLimit = 4096

// entry is one event in the window: its gateway sequence number, the
// signed event every client is sent, the bytes it is charged, and when it
// arrived (which ages it).
type entry struct {
	seq  uint64
	ev   *gatewayv1.GatewayEvent
	size int
	at   time.Time
}

// window holds the most recent events in arrival order, numbered by the
// gateway's own sequence (contiguous, so seq q sits at offset q-oldest()).
// Clients are fed from it by position, and resume in it by event id. The
// buffer grows on demand up to maxEvents. It is not safe for concurrent use;
// Server.mu guards it.
type window struct {
	buf       []entry // circular
	head      int     // index in buf of the oldest entry
	n         int     // entries held
	next      uint64  // seq the next entry gets; the first is 1
	bytes     int     // sum of the held entries' sizes
	maxEvents int
	maxBytes  int
	maxAge    time.Duration
	// ids finds an entry by event id, for last_event_id.
	ids map[string]uint64
	// lastID is the id of the newest event ever appended. It outlives its
	// entry, so a client that saw it resumes exactly even after the window
	// aged it out.
	lastID string
}

func newWindow(maxEvents, maxBytes int, maxAge time.Duration) *window {
	return &window{next: 1, maxEvents: maxEvents, maxBytes: maxBytes, maxAge: maxAge, ids: make(map[string]uint64)}
}

// oldest is the seq of the oldest entry held, or next when empty.
func (w *window) oldest() uint64 { return w.next - uint64(w.n) }

// full reports whether an entry of size bytes only fits once the oldest
// goes. An empty window takes any one entry, however large.
func (w *window) full(size int) bool {
	return w.n > 0 && (w.n >= w.maxEvents || w.bytes+size > w.maxBytes)
}

// expired reports whether the oldest entry is older than maxAge at now.
func (w *window) expired(now time.Time) bool {
	return w.n > 0 && now.Sub(w.buf[w.head].at) >= w.maxAge
}

// push appends e and returns its seq; the caller has made room.
func (w *window) push(e entry) uint64 {
	if w.n == len(w.buf) {
		w.grow()
	}
	e.seq = w.next
	w.buf[(w.head+w.n)%len(w.buf)] = e
	w.n++
	w.next++
	w.bytes += e.size
	if id := e.ev.GetEventId(); id != "" {
		w.ids[id] = e.seq
		w.lastID = id
	}
	return e.seq
}

func (w *window) grow() {
	size := min(max(2*len(w.buf), 16), w.maxEvents)
	buf := make([]entry, size)
	for i := range w.n {
		buf[i] = w.buf[(w.head+i)%len(w.buf)]
	}
	w.buf, w.head = buf, 0
}

// pop drops the oldest entry, clearing its slot so the event can be
// collected once no client holds it.
func (w *window) pop() {
	e := &w.buf[w.head]
	if id := e.ev.GetEventId(); id != "" && w.ids[id] == e.seq {
		delete(w.ids, id)
	}
	w.bytes -= e.size
	*e = entry{}
	w.head = (w.head + 1) % len(w.buf)
	w.n--
}

// find returns the seq of the event with id, if the window holds it.
func (w *window) find(id string) (uint64, bool) {
	seq, ok := w.ids[id]
	return seq, ok
}

// matches reports whether an event for user goes to a client with filter
// f: an empty filter takes every event, and an event with no user is a
// broadcast that every client takes.
func matches(f, user string) bool { return f == "" || user == "" || user == f }

// ref is one event a client is to be sent, with its seq.
type ref struct {
	seq uint64
	ev  *gatewayv1.GatewayEvent
}

// collect appends to dst the events from seq from on that match filter,
// at most limit of them, looking at no more than scanLimit entries. It
// returns the seq after the last entry looked at: a client that sends all
// of dst has nothing to do before it. gap reports that from has already
// left the window, which a pinned client never sees.
func (w *window) collect(dst []ref, from uint64, filter string, limit int) (out []ref, after uint64, gap bool) {
	if from < w.oldest() {
		return dst, from, true
	}
	q := from
	for scanned := 0; q < w.next && len(dst) < limit && scanned < scanLimit; q++ {
		e := &w.buf[(w.head+int(q-w.oldest()))%len(w.buf)]
		scanned++
		if matches(filter, e.ev.GetUserId()) {
			dst = append(dst, ref{e.seq, e.ev})
		}
	}
	return dst, q, false
}
