// Package loadgen is the engine of `galaxyctl bench`: it opens thousands of
// idle Gateway.Subscribe streams against a gateway and measures what their
// heartbeats cost, byte by byte and layer by layer, from the client side
// only.
//
// Every client socket is wrapped in a counting connection whose bytes are
// decoded as TLS records and HTTP/2 frames (package wire), so each byte
// read or written is attributed to a layer: protobuf message, gRPC prefix,
// HTTP/2 frame header, TLS record, and the frames the client sends in
// reply (WINDOW_UPDATE, PING). The kernel's TCP_INFO adds segments and pure
// ACKs. Over a measurement window that starts after the ramp and a warm-up,
// every counter's delta is divided by the heartbeats received in it and
// set beside the model in DESIGN.md.
//
// loadgen talks to the gateway over the network only: it imports the
// gatewayv1 protocol package and none of the servers.
//
// Run is the entry point; OnSnapshot feeds a live view; WriteText and
// WriteJSON print a Report.
package loadgen
