// Package loadgen is the engine of `galaxyctl bench`: it opens thousands of
// idle Gateway.Subscribe streams against a gateway and measures what their
// heartbeats cost, byte by byte and layer by layer, from the client side
// only.
//
// The clients are of one kind per run (Config.Protocol, HTTP, Codec,
// Profile) and run on one of two engines (Config.Engine): package lean's
// event loops, a few KiB per client, every protocol and profile; or real
// grpc-go ClientConns, the ground truth of the grpc-go profiles. The
// engines differ in how they hold connections, not in how they are
// measured: every byte a client socket reads or writes goes through the
// same decoders (package wire), fed by a counting net.Conn for grpc-go and
// by the event loop's own reads and writes for lean, so each byte is
// attributed to a layer: message (protobuf or JSON), envelope, HTTP/2
// frame header or HTTP/1.1 chunk framing, TLS record, and what the client
// sends in reply (WINDOW_UPDATE, PING). The kernel's TCP_INFO (package
// probe) adds segments and pure ACKs, each socket's reading paired with
// its counted bytes. Over a measurement window that starts after the ramp
// and a warm-up, the counters are reduced to their deltas, and package
// report turns that report.Measurement into the Report.
//
// loadgen talks to the gateway over the network only: it imports the
// gatewayv1 protocol package and none of the servers.
//
// Run is the entry point; Config.OnSnapshot feeds a live view. Printing
// is package printer's.
package loadgen
