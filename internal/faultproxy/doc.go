// Package faultproxy is a fault-injecting TCP proxy for tests. It sits
// between a client and a server on loopback and, on command, cuts
// connections (with a reset), black-holes them (bytes are accepted and
// dropped, nothing is closed, so each peer sees a half-open connection),
// delays every chunk it forwards, or refuses new connections.
//
// It only ever listens on and dials literal loopback addresses (127.0.0.0/8
// or ::1): it is test support, and a proxy that can be pointed anywhere is
// one misconfiguration away from being an open relay.
//
// Every control is safe to call concurrently with traffic and with each
// other. Close, or the end of the context given to Start, stops the proxy
// and returns only once every goroutine it started has exited.
package faultproxy
