package report

// Layers of a heartbeat's bytes in one direction, bottom (the message) to
// top (the kernel's headers): the segments of a stacked bar, and the
// layer label of bench's live metrics.
const (
	StackProtobuf       = "protobuf"        // the message
	StackEnvelope       = "envelope"        // gRPC or Connect message prefix
	StackHTTPFraming    = "http_framing"    // HTTP/2 DATA frame headers and padding
	StackHTTPOther      = "http_other"      // the server's other HTTP/2 frames: PING acks, PINGs, SETTINGS, HEADERS
	StackClientRequests = "client_requests" // the client's HEADERS, DATA and connection preface
	StackClientReplies  = "client_replies"  // the client's WINDOW_UPDATE, PING, PING ack, SETTINGS ack
	StackTLS            = "tls"             // TLS record overhead
	StackUnattributed   = "unattributed"    // socket bytes no decoder accounted for
	StackTCPIPHeaders   = "tcp_ip_headers"  // TCP/IP headers of segments that carry data
	StackPureACKs       = "pure_acks"       // TCP/IP headers of pure ACKs
)

// StackLayer is one layer's bytes per heartbeat.
type StackLayer struct {
	Layer string
	Bytes Figure
}

// Stack is the bytes of a heartbeat in one direction, layer by layer, as
// measured and as the model has them. Model is nil where the model has no
// figure for the direction (what the client sends back is measured only).
type Stack struct {
	Direction string // in or out
	Measured  []StackLayer
	Model     []StackLayer
}

// Total is the sum of layers: for Measured, the IP bytes per heartbeat in
// the stack's direction.
func Total(layers []StackLayer) Figure {
	var t Figure
	for _, l := range layers {
		t += l.Bytes
	}
	return t
}

// Stacks splits r's IP bytes per heartbeat into layers, in then out. It
// reads only r, so a report read back from JSON splits the same way. The
// measured layers of a direction add up to its ip_*_per_heartbeat.
func Stacks(r *Report) []Stack {
	b, s := &r.Bytes, &r.Segments
	hdr := Figure(s.HeaderBytesPerSegment)
	data := frameBytes(r.Frames.In, "data")
	ackIn, ackOut := s.PureAckInPerHeartbeat*hdr, s.PureAckOutPerHeartbeat*hdr
	in := Stack{Direction: "in", Measured: []StackLayer{
		{StackProtobuf, b.ProtobufPerHeartbeat},
		{StackEnvelope, b.GRPCPrefixPerHeartbeat},
		{StackHTTPFraming, data - b.ProtobufPerHeartbeat - b.GRPCPrefixPerHeartbeat},
		{StackHTTPOther, b.HTTP2PerHeartbeat - data},
		{StackTLS, b.TLSOverheadInPerHeartbeat},
		{StackUnattributed, b.SocketInPerHeartbeat - b.HTTP2PerHeartbeat - b.TLSOverheadInPerHeartbeat},
		{StackTCPIPHeaders, b.TCPIPHeadersInPerHeartbeat - ackIn},
		{StackPureACKs, ackIn},
	}}
	in.Model = modelStack(r.Layers)
	out := Stack{Direction: "out", Measured: []StackLayer{
		{StackClientRequests, b.HTTP2OutPerHeartbeat - b.ClientRepliesPerHeartbeat},
		{StackClientReplies, b.ClientRepliesPerHeartbeat},
		{StackTLS, b.TLSOverheadOutPerHeartbeat},
		{StackUnattributed, b.SocketOutPerHeartbeat - b.HTTP2OutPerHeartbeat - b.TLSOverheadOutPerHeartbeat},
		{StackTCPIPHeaders, b.TCPIPHeadersOutPerHeartbeat - ackOut},
		{StackPureACKs, ackOut},
	}}
	return []Stack{in, out}
}

// frameBytes is the bytes per heartbeat of one frame type; 0 when no such
// frame was seen, missing when nothing was measured.
func frameBytes(rows []FrameRow, typ string) Figure {
	for _, f := range rows {
		if f.Type == typ {
			return f.BytesPerHeartbeat
		}
	}
	return 0
}

// modelLayers maps the layer rows that carry the model's figures for the
// server's side to stack layers.
var modelLayers = []struct{ row, layer string }{
	{"protobuf", StackProtobuf},
	{"grpc_prefix", StackEnvelope},
	{"http2_data_frame_header", StackHTTPFraming},
	{"tls_records", StackTLS},
	{"tcp_ip_headers", StackTCPIPHeaders},
}

// modelStack is the model's heartbeat, from the model column of the
// report's layer rows, so a report read back from JSON carries the model
// it was measured against.
func modelStack(rows []LayerRow) []StackLayer {
	var out []StackLayer
	for _, m := range modelLayers {
		for _, r := range rows {
			if r.Layer == m.row && r.Direction == "in" && r.Unit == "bytes" && r.Model != nil {
				out = append(out, StackLayer{m.layer, Figure(*r.Model)})
			}
		}
	}
	return out
}
