// Package loadgen is the engine of `galaxyctl bench`: it opens thousands of
// idle Gateway.Subscribe streams against a gateway and measures what their
// heartbeats cost, byte by byte and layer by layer, from the client side
// only.
//
// Every client socket is wrapped in a counting connection whose bytes are
// decoded as TLS records and HTTP/2 frames (package wire), so each byte
// read or written is attributed to a layer: protobuf message, gRPC prefix,
// HTTP/2 frame header, TLS record, and the frames the client sends in
// reply (WINDOW_UPDATE, PING). The kernel's TCP_INFO (package probe) adds
// segments and pure ACKs. Over a measurement window that starts after the
// ramp and a warm-up, the counters are reduced to their deltas, and
// package report turns that report.Measurement into the Report.
//
// loadgen talks to the gateway over the network only: it imports the
// gatewayv1 protocol package and none of the servers.
//
// Run is the entry point; Config.OnSnapshot feeds a live view. Printing
// is package printer's.
package loadgen
