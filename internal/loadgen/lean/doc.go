// Package lean is bench's client engine for long-lived idle streams: it
// holds tens of thousands of Gateway.Subscribe streams for a few KiB each,
// and reproduces on the wire what a real client of each kind would send.
//
// # Client kinds
//
// A Config names the protocol (gRPC, Connect, gRPC-Web), the HTTP version
// (HTTP/2, or HTTP/1.1 for Connect and gRPC-Web), the codec (protobuf or
// JSON) and the profile, whose behaviour is copied:
//
//   - grpc-go: grpc-go v1.85.0's client (internal/transport
//     http2_client.go, flowcontrol.go, bdp_estimator.go): the preface in a
//     write of its own, an empty SETTINGS, the first stream only after the
//     server's SETTINGS, HEADERS in grpc-go's field order; on every DATA
//     frame trInFlow and the stream's inFlow as grpc-go keeps them, and
//     with the dynamic window its BDP estimator, which for an idle stream
//     sends WINDOW_UPDATE(0, n) and a PING after every heartbeat; all a
//     read provokes goes out in one write, as grpc-go's loopy writer
//     batches it.
//   - grpc-go-static: the same with a static window (no BDP estimator).
//   - browser: Chromium's HTTP/2 (its SETTINGS, a 15 MiB connection
//     window, a WINDOW_UPDATE per scope when more than half the window is
//     unacknowledged or 5 s have passed since the scope's last one, checked
//     on each DATA frame, connection first, each in its own write; PINGs
//     answered, never sent) and HTTP/1.1 (a request with Content-Length, a
//     chunked response, nothing sent back but the kernel's ACKs), on a
//     socket with Chromium's 45 s TCP keepalive rather than Go's 15 s.
//
// A Connect server refuses a stream with a 200 response whose
// end-of-stream message carries the error: the stream opens, then ends,
// as a browser's fetch sees it.
//
// grpc-go speaks only gRPC and a browser cannot read gRPC's trailers, so
// CheckKind refuses those combinations. The default codec is JSON for
// Connect (connect-web's default) and protobuf otherwise.
//
// Requests are encoded with x/net/http2's Framer and hpack (a connection's
// first request from an empty table, as every real client's is), replies
// decoded by the same Framer, and TLS is crypto/tls: nothing of HTTP/2 or
// TLS is written by hand.
//
// # Design: an event loop, not a goroutine per connection
//
// On Linux the connections are served by a few event loops (Config.Loops,
// GOMAXPROCS by default): goroutines waiting in epoll_wait, level-
// triggered, on non-blocking sockets, with one 64 KiB read buffer, one
// http2.Framer and one reply buffer each. An idle connection costs no
// goroutine: its Conn, its session (an hpack.Decoder, flow-control state,
// a stream) and, with TLS, its tls.Conn. Measured at 10,000 idle streams,
// a goroutine per connection costs 8.5 KB (h2c) and 21 KB (TLS) of RSS per
// client, against 1.0–1.4 and 12–13 KB in a loop: a parked goroutine
// keeps 2–4 KiB of stack and 1–1.5 KB of net.Conn and poller state
// before it holds any of its own.
//
// The loop reads one socket at a time into its buffer and hands the
// Framer that connection's complete frames (a header block with its
// CONTINUATIONs whole), with ReadMetaHeaders set to the connection's own
// hpack.Decoder, so the Framer's state is clean between connections. An
// incomplete frame is copied into the connection until the rest arrives.
//
// Connections are dialed, and their TLS handshakes run, in the caller's
// goroutines (a ramp's), with the caller's net.Dialer, so every socket
// option it sets stays: TCP_NODELAY and Go's 15 s TCP keepalive, on which
// parity with grpc-go depends at a 15 s heartbeat. Connect then takes a
// duplicate of the descriptor (which keeps those options), closes the
// net.Conn (closing one of two descriptors sends nothing), and registers
// the duplicate with a loop. crypto/tls then runs over a small net.Conn
// that hands it the bytes the loop read and answers "would block" (a
// temporary net.Error, which crypto/tls does not make permanent) when
// there are none; a partial record stays in the tls.Conn. Bytes the
// handshake already read are decrypted as soon as the loop registers the
// connection. A write the socket does not take at once waits in the
// connection for EPOLLOUT, so crypto/tls never sees a failed write.
//
// Elsewhere (darwin, windows), and for connections without a descriptor,
// each connection has a goroutine blocked in Read with a 512-byte buffer,
// over the same session code: correct everywhere, lean only on Linux.
//
// # Accounting
//
// The engine decodes nothing for accounting: a Meter is told every byte
// as the read and write syscalls return, socket bytes and, with TLS, the
// plaintext, so the caller runs the same decoders over them as over any
// other client's socket. Meter.Moved hands it the descriptor to read
// TCP_INFO from after the hand-off; Meter.Closing runs before the socket
// closes.
package lean
