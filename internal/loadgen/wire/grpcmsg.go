package wire

import (
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protowire"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// maxInspect is the largest message kept for decoding. A heartbeat is 19
// bytes; anything much larger is a real event and only counted.
const maxInspect = 64

// HeartbeatMessageLen is the protobuf size of a heartbeat: 1 tag byte, 1
// length byte (the event type is shorter than 128 bytes) and the event type.
const HeartbeatMessageLen = 1 + 1 + len(gatewayv1.HeartbeatEventType)

// IsHeartbeat reports whether b is a protobuf GatewayEvent whose only field
// is event_type (field 1) equal to gatewayv1.HeartbeatEventType. It decodes
// rather than compares bytes, so a repeated or oddly encoded field 1 is
// judged by its last value, as proto3 parsing does.
func IsHeartbeat(b []byte) bool {
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

// msgState follows the gRPC messages of one stream across DATA frames.
type msgState struct {
	prefix  [GRPCPrefixLen]byte
	prefixN uint8
	left    uint32 // message bytes still to come
	size    uint32
	keep    bool // small and uncompressed: buffered for decoding
	bufN    uint8
	buf     [maxInspect]byte
}

func (m *msgState) reset() {
	m.prefixN = 0
	m.left = 0
	m.size = 0
	m.bufN = 0
	m.keep = false
}

// idle reports whether the stream sits between messages.
func (m *msgState) idle() bool { return m.prefixN == 0 }

// feed consumes message-carrying DATA bytes.
func (m *msgState) feed(b []byte, s *H2Stats) {
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
				m.keep = m.prefix[0] == 0 && m.size <= maxInspect
				if m.size == 0 {
					m.done(s)
				}
			}
			continue
		}
		n := min(int(m.left), len(b))
		s.MessageBytes += uint64(n)
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

func (m *msgState) done(s *H2Stats) {
	s.Messages++
	if m.keep && IsHeartbeat(m.buf[:m.bufN]) {
		s.Heartbeats++
		s.HeartbeatBytes += uint64(m.size)
	}
	m.prefixN = 0
}
