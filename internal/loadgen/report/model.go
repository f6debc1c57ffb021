package report

import "galaxy/galaxyctl/internal/loadgen/wire"

// Client flow-control modes, as a run's configuration names them.
const (
	// WindowDynamic is grpc-go's default: its BDP estimator sends a PING
	// (and a connection WINDOW_UPDATE) when data arrives and no probe is
	// outstanding, which for idle streams means on nearly every heartbeat.
	WindowDynamic = "dynamic"
	// WindowStatic sets fixed stream and connection windows, which turns
	// BDP probing off in grpc-go.
	WindowStatic = "static"
	// WindowBrowser is Chromium's windows and WINDOW_UPDATE rule (the
	// browser profile).
	WindowBrowser = "browser"
)

// Model is DESIGN.md's wire cost of one heartbeat for one transport, in
// bytes per layer: what every measured layer is set beside. It is a value
// chosen by the run's transport (ModelFor), so other client kinds can
// bring models of their own.
type Model struct {
	// Message is the heartbeat's protobuf encoding.
	Message float64 `json:"message"`
	// Envelope is the gRPC or Connect message prefix.
	Envelope float64 `json:"envelope"`
	// Framing is what the HTTP layer adds per message: the HTTP/2 DATA
	// frame header.
	Framing float64 `json:"framing"`
	// TLSRecord is one TLS record's overhead, 0 without TLS.
	TLSRecord float64 `json:"tls_record"`
	// TCPIP is the TCP/IP headers of one segment.
	TCPIP float64 `json:"tcp_ip"`
}

// tls13AEADOverhead is what TLS 1.3 with AES-GCM adds to a record's
// payload: the inner content type and the 16-byte tag.
const tls13AEADOverhead = 1 + 16

// ModelFor is the model of gRPC over HTTP/2 (h2c, or TLS 1.3 with
// AES-GCM when tls is set) on IPv4 with TCP timestamps: 85 bytes per
// heartbeat, 107 with TLS.
func ModelFor(tls bool) Model {
	m := Model{
		Message:  float64(wire.HeartbeatMessageLen),
		Envelope: wire.GRPCPrefixLen,
		Framing:  wire.FrameHeaderLen,
		TCPIP:    float64(wire.TCPIPHeaderLen(false, true)),
	}
	if tls {
		m.TLSRecord = wire.TLSRecordHeaderLen + tls13AEADOverhead
	}
	return m
}

// ModelOf is the model of a run's client kind: the message in its codec
// (19 bytes of protobuf, 33 of JSON), the 5-byte envelope every protocol
// shares, and the HTTP framing of one message, a DATA frame header (9) on
// HTTP/2 or chunked coding on HTTP/1.1 ("18\r\n" and "\r\n" around a
// 24-byte envelope: 6). An empty field is the default: gRPC, HTTP/2,
// protobuf.
func ModelOf(c ConfigEcho) Model {
	m := ModelFor(c.TLS)
	if c.Codec == "json" {
		m.Message = float64(wire.HeartbeatJSONLen)
	}
	if c.HTTP == "1.1" {
		m.Framing = float64(wire.ChunkFramingLen(int(m.Message + m.Envelope)))
	}
	return m
}

// HTTP is the bytes of the HTTP layer and above: 33 for gRPC on HTTP/2.
func (m Model) HTTP() float64 { return m.Message + m.Envelope + m.Framing }

// Socket is the TCP payload of one heartbeat: the HTTP bytes and the TLS
// record.
func (m Model) Socket() float64 { return m.HTTP() + m.TLSRecord }

// IP is one heartbeat on the wire in one segment, headers included, and
// nothing sent back.
func (m Model) IP() float64 { return m.Socket() + m.TCPIP }
