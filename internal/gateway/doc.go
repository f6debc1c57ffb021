// Package gateway is the client-facing service of the galaxy push pipeline:
// it consumes the backend through the subscriber, signs each event once, and
// fans it out to client Subscribe streams. Each client stream is wrapped in
// a HeartbeatStream, so an idle stream gets a 19-byte heartbeat after every
// silence of one interval and survives proxy and browser idle timeouts.
//
// # Fan-out: one window, a position per client
//
// Events enter a window of recent events shared by every client (bounded
// by Config.ReplayEvents, ReplayBytes and ReplayAge). A client holds no
// queue, only its position in the window; a drain goroutine, alive while
// the client has something to send, walks the window from that position
// and sends the events its filter takes. The same window serves resumes: a
// client that reconnects with last_event_id starts right after that event,
// and gets every later event it takes exactly once, then live.
//
// The design answers what a per-client queue bounded in events could not:
// after the subscriber reconnects, the backend replays its backlog (up to
// its whole ring, 65,536 events) in one burst, far faster than clients
// read, and a 256-event queue dropped clients that were keeping up with
// the publish rate perfectly well. The choice, against the alternatives:
//
//   - Queues large enough for the burst: 65,536 pointers per client,
//     512 MiB for 1,000 clients, to hold one shared backlog many times over.
//   - Pacing the replay to the clients' queue room: then the backlog must
//     sit somewhere while the clients drain, and it does anyway, once, in
//     the backend's ring; but every client waits on the slowest, even when
//     the burst would have fit.
//   - The window: a burst up to its size costs its memory once, whatever
//     the number of clients, and no client waits on any other: fast ones
//     reach the head while slow ones are still in the middle. Only when the
//     window is full of events some client has still to be sent does
//     Dispatch wait, and then it waits for exactly those clients while the
//     subscriber reads no further: the backend's ring is the buffer, as in
//     the second option, but only beyond the window.
//
// # Slow clients: bounded in time, not in count
//
// No client can hold anything up for longer than Config.SlowClientTimeout:
//
//   - a client that accepts none of its waiting events for that long (its
//     Send is blocked: the stack's buffers for it are full) is ended with
//     ResourceExhausted ("stalled");
//   - when Dispatch waits on the clients at the back of a full window, the
//     last of them to move on is charged the time it alone held the others
//     up; one charged SlowClientTimeout in all since it last caught up is
//     ended ("held"). A client that drains more slowly than events are
//     published ends up here, since the window fills behind it; clients
//     that keep up are never charged, and a burst through a full window
//     spreads a little charge over whichever client happens to be last.
//
// Memory is the window's bytes plus, per client, a position and, while it
// sends, one batch of pointers: a 65,536-event catch-up to 1,000 clients
// holds the backlog once. A dropped client tells its client to resume with
// last_event_id, which loses nothing the window still holds.
//
// # Bounds per connection
//
// Limits bounds what one connection can make the server hold, for every
// stack: header list size, handshake timeout, idle connections. On
// grpc-go a dropped stream's queued data and trailers stay in the
// connection's write queue until the peer grants flow-control window; a
// ConnTracker closes the connection of a stalled stream when nothing
// flows on it at all, or when too many of its streams stalled.
package gateway
