// Package faulttest proves the push pipeline's promises under network and
// process faults. It holds only tests: each scenario runs the real backend
// (backend.New behind a gRPC server on loopback) and real subscribers
// (subscribe.New) that dial it through a faultproxy.Proxy, then cuts,
// refuses, black-holes or restarts things and checks what the subscribers'
// handlers saw against what was published. The gateway scenarios add a
// real gateway (behind serve's limits) and its gRPC clients, and check
// what every client received.
//
// Unlike the unit tests of the engines, these run on real time and real
// sockets: what they prove is how timers, backoff, TCP and gRPC keepalive
// interact, which no fake clock can show. Backoffs are a few milliseconds
// so that the whole suite runs in seconds; each scenario states its time
// bounds where it asserts them.
package faulttest
