package wire

import (
	"bytes"
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// maxInspect is the largest message kept for decoding. A heartbeat is 19
// bytes of protobuf or 33 of JSON; anything much larger is a real event
// and only counted.
const maxInspect = 64

// Envelope flags. gRPC, Connect and gRPC-Web all frame each message as a
// flags byte, a 4-byte big-endian length and the message; the flags say
// what the message is.
const (
	// FlagCompressed marks a compressed message (all three protocols).
	FlagCompressed = 0x01
	// FlagConnectEndStream marks Connect's end-of-stream message: JSON
	// with the error, if any, and trailers.
	FlagConnectEndStream = 0x02
	// FlagGRPCWebTrailers marks gRPC-Web's trailers frame: the trailers
	// as HTTP/1-style header lines.
	FlagGRPCWebTrailers = 0x80
)

// IsEndStream reports whether an envelope with these flags ends the
// stream (Connect's end-of-stream message, gRPC-Web's trailers) rather
// than carrying a message. gRPC sets neither bit.
func IsEndStream(flags byte) bool {
	return flags&(FlagConnectEndStream|FlagGRPCWebTrailers) != 0
}

// HeartbeatMessageLen is the protobuf size of a heartbeat: 1 tag byte, 1
// length byte (the event type is shorter than 128 bytes) and the event type.
const HeartbeatMessageLen = 1 + 1 + len(gatewayv1.HeartbeatEventType)

// HeartbeatJSON is a heartbeat as protojson writes it (connect-go's JSON
// codec): {"eventType":"gateway.heartbeat"}, 33 bytes.
const HeartbeatJSON = `{"eventType":"` + gatewayv1.HeartbeatEventType + `"}`

// HeartbeatJSONLen is len(HeartbeatJSON).
const HeartbeatJSONLen = len(HeartbeatJSON)

// IsHeartbeat reports whether b is a heartbeat: a GatewayEvent whose only
// field is event_type equal to gatewayv1.HeartbeatEventType, in protobuf
// or, when b starts with '{' (never a valid GatewayEvent tag), in JSON.
func IsHeartbeat(b []byte) bool {
	if len(b) > 0 && b[0] == '{' {
		return IsHeartbeatJSON(b)
	}
	return IsHeartbeatProto(b)
}

// IsHeartbeatProto reports whether b is a protobuf heartbeat. It decodes
// rather than compares bytes, so a repeated or oddly encoded field 1 is
// judged by its last value, as proto3 parsing does.
func IsHeartbeatProto(b []byte) bool {
	found := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			return false
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return false
		}
		found = string(v) == gatewayv1.HeartbeatEventType
		b = b[n:]
	}
	return found
}

// IsHeartbeatJSON reports whether b is a JSON heartbeat. The canonical
// encoding is recognised without allocating; anything else (spaces, the
// proto field name) is decoded with protojson and judged by its fields.
func IsHeartbeatJSON(b []byte) bool {
	if bytes.Equal(b, []byte(HeartbeatJSON)) {
		return true
	}
	var ev gatewayv1.GatewayEvent
	if err := protojson.Unmarshal(b, &ev); err != nil {
		return false
	}
	return ev.GetEventType() == gatewayv1.HeartbeatEventType && ev.GetEventId() == "" &&
		ev.GetUserId() == "" && len(ev.GetPayload()) == 0 && ev.GetCreatedAt() == nil &&
		len(ev.GetSignature()) == 0
}

// MsgStats counts the enveloped messages of a body: the 5-byte prefixes
// (flags and length), the messages and, among them, heartbeats; and the
// envelopes that end a stream (Connect's end-of-stream message, gRPC-Web's
// trailers), whose bytes are not messages.
type MsgStats struct {
	// GRPCPrefix is the envelope prefixes' bytes: 5 per envelope, whatever
	// the protocol (gRPC's length prefix, Connect's and gRPC-Web's
	// envelope).
	GRPCPrefix   uint64 `json:"grpc_prefix"`
	MessageBytes uint64 `json:"message_bytes"`
	// Messages counts complete messages; Heartbeats those that decode to
	// a heartbeat, HeartbeatBytes their bytes.
	Messages       uint64 `json:"messages"`
	Heartbeats     uint64 `json:"heartbeats"`
	HeartbeatBytes uint64 `json:"heartbeat_bytes"`
	// EndStream counts end-of-stream envelopes, EndStreamBytes their
	// bytes after the prefix.
	EndStream      uint64 `json:"end_stream"`
	EndStreamBytes uint64 `json:"end_stream_bytes"`
}

// EnvelopeBytes is every byte of the enveloped body: prefixes, messages
// and end-of-stream payloads.
func (s *MsgStats) EnvelopeBytes() uint64 { return s.GRPCPrefix + s.MessageBytes + s.EndStreamBytes }

// Add adds o to s.
func (s *MsgStats) Add(o *MsgStats) {
	s.GRPCPrefix += o.GRPCPrefix
	s.MessageBytes += o.MessageBytes
	s.Messages += o.Messages
	s.Heartbeats += o.Heartbeats
	s.HeartbeatBytes += o.HeartbeatBytes
	s.EndStream += o.EndStream
	s.EndStreamBytes += o.EndStreamBytes
}

// Sub subtracts o from s.
func (s *MsgStats) Sub(o *MsgStats) {
	s.GRPCPrefix -= o.GRPCPrefix
	s.MessageBytes -= o.MessageBytes
	s.Messages -= o.Messages
	s.Heartbeats -= o.Heartbeats
	s.HeartbeatBytes -= o.HeartbeatBytes
	s.EndStream -= o.EndStream
	s.EndStreamBytes -= o.EndStreamBytes
}

// msgState follows the envelopes of one stream across DATA frames or
// HTTP/1.1 chunks.
type msgState struct {
	prefix  [GRPCPrefixLen]byte
	prefixN uint8
	left    uint32 // message bytes still to come
	size    uint32
	keep    bool // small and uncompressed: buffered for decoding
	end     bool // an end-of-stream envelope
	bufN    uint8
	buf     [maxInspect]byte
}

func (m *msgState) reset() {
	m.prefixN = 0
	m.left = 0
	m.size = 0
	m.bufN = 0
	m.keep = false
	m.end = false
}

// idle reports whether the stream sits between messages.
func (m *msgState) idle() bool { return m.prefixN == 0 }

// feed consumes enveloped body bytes.
func (m *msgState) feed(b []byte, s *MsgStats) {
	for len(b) > 0 {
		if m.prefixN < GRPCPrefixLen {
			n := copy(m.prefix[m.prefixN:], b)
			m.prefixN += uint8(n)
			s.GRPCPrefix += uint64(n)
			b = b[n:]
			if m.prefixN == GRPCPrefixLen {
				m.size = binary.BigEndian.Uint32(m.prefix[1:])
				m.left = m.size
				m.bufN = 0
				m.end = IsEndStream(m.prefix[0])
				m.keep = m.prefix[0] == 0 && m.size <= maxInspect
				if m.size == 0 {
					m.done(s)
				}
			}
			continue
		}
		n := min(int(m.left), len(b))
		if m.end {
			s.EndStreamBytes += uint64(n)
		} else {
			s.MessageBytes += uint64(n)
		}
		if m.keep {
			m.bufN += uint8(copy(m.buf[m.bufN:], b[:n]))
		}
		m.left -= uint32(n)
		b = b[n:]
		if m.left == 0 {
			m.done(s)
		}
	}
}

func (m *msgState) done(s *MsgStats) {
	m.prefixN = 0
	if m.end {
		s.EndStream++
		return
	}
	s.Messages++
	if m.keep && IsHeartbeat(m.buf[:m.bufN]) {
		s.Heartbeats++
		s.HeartbeatBytes += uint64(m.size)
	}
}
