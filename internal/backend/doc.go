// Package backend is the galaxy Push service: publishers append events to a
// freshness-window ring, and gateways subscribe to it, resuming by cursor.
//
// The ring keeps events for at most Config.MaxAge and at most
// Config.MaxEvents; the older are evicted. Each event gets the next sequence
// number of this backend incarnation, and its cursor encodes both, so a
// subscriber that reconnects with the cursor of the last event it handled
// receives every later event still in the ring exactly once and in order.
//
// Subscribers never hold the publisher back: each keeps only a read position
// into the shared ring, Publish merely wakes them, and one that falls too far
// behind is ended with ResourceExhausted so that it resumes from its cursor.
package backend
