// Package wire attributes the bytes of one TCP connection to the protocol
// layers of a Gateway.Subscribe stream: TLS records, HTTP/2 frames by type
// or HTTP/1.1 heads and chunk framing, the message envelopes (gRPC's
// length prefix, Connect's and gRPC-Web's envelopes and their
// end-of-stream messages) and the messages, protobuf or JSON, with
// heartbeats recognised by decoding them. The decoders are incremental (frames may be split across
// reads at any byte) and allocation-free on the per-read path, so bench can
// run them on every read and write of thousands of connections.
//
// Decoders keep plain counters and take no locks: the caller serialises
// Feed with any reader of the counters (Conn does it with a mutex that
// connections may share).
package wire

import "encoding/binary"

// HTTP/2 and gRPC framing sizes (RFC 9113 §4.1, §3.4; gRPC over HTTP/2).
const (
	// FrameHeaderLen is the fixed HTTP/2 frame header: length (3), type,
	// flags, stream id (4).
	FrameHeaderLen = 9
	// ClientPreface is what an HTTP/2 client writes before its first frame.
	ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	// PrefaceLen is len(ClientPreface), untyped for arithmetic.
	PrefaceLen = 24
	// GRPCPrefixLen is the gRPC length prefix of every message: a
	// compressed flag and a 4-byte big-endian length.
	GRPCPrefixLen = 5
)

// HTTP/2 frame types and the flags the accounting looks at.
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	framePriority     = 0x2
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9

	flagEndStream = 0x1
	flagAck       = 0x1
	flagPadded    = 0x8
)

// Kind classifies a frame for accounting. PING and SETTINGS acks are kinds
// of their own because who answers whom is what bench wants to show.
type Kind uint8

// Frame kinds, in report order.
const (
	KindData Kind = iota
	KindHeaders
	KindContinuation
	KindSettings
	KindSettingsAck
	KindWindowUpdate
	KindPing
	KindPingAck
	KindRSTStream
	KindGoAway
	KindPriority
	KindPushPromise
	KindOther
	// NumKinds is the number of kinds, for arrays indexed by Kind.
	NumKinds
)

var kindNames = [NumKinds]string{
	KindData:         "data",
	KindHeaders:      "headers",
	KindContinuation: "continuation",
	KindSettings:     "settings",
	KindSettingsAck:  "settings_ack",
	KindWindowUpdate: "window_update",
	KindPing:         "ping",
	KindPingAck:      "ping_ack",
	KindRSTStream:    "rst_stream",
	KindGoAway:       "goaway",
	KindPriority:     "priority",
	KindPushPromise:  "push_promise",
	KindOther:        "other",
}

// String returns the snake_case name used in reports.
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return "other"
}

// kindOf maps a frame type and its flags to a Kind.
func kindOf(typ, flags byte) Kind {
	switch typ {
	case frameData:
		return KindData
	case frameHeaders:
		return KindHeaders
	case frameContinuation:
		return KindContinuation
	case frameSettings:
		if flags&flagAck != 0 {
			return KindSettingsAck
		}
		return KindSettings
	case frameWindowUpdate:
		return KindWindowUpdate
	case framePing:
		if flags&flagAck != 0 {
			return KindPingAck
		}
		return KindPing
	case frameRSTStream:
		return KindRSTStream
	case frameGoAway:
		return KindGoAway
	case framePriority:
		return KindPriority
	case framePushPromise:
		return KindPushPromise
	}
	return KindOther
}

// H2Stats counts one direction of an HTTP/2 connection. Every byte fed is
// in Bytes; once decoded it is in exactly one of Preface, a frame header
// (FrameHeaderLen × Frames) or a frame payload, so Residual is what has not
// been attributed yet: a partial frame header, or bytes after the decoder
// gave up (Undecoded). It is plain data, so a run's counters can be
// shipped as JSON (Frames and Payload as arrays in Kind order).
type H2Stats struct {
	Bytes   uint64 `json:"bytes"`
	Preface uint64 `json:"preface"`
	// Frames and Payload count frames and their payload bytes by kind; a
	// frame counts once its 9-byte header is complete.
	Frames  [NumKinds]uint64 `json:"frames"`
	Payload [NumKinds]uint64 `json:"payload"`
	// DataPadding is the pad-length byte and padding of padded DATA frames;
	// the envelopes (MsgStats) split the rest of the DATA payload.
	DataPadding uint64 `json:"data_padding"`
	MsgStats
	// Undecoded counts bytes fed after the stream stopped looking like
	// HTTP/2 (a wrong client preface).
	Undecoded uint64 `json:"undecoded"`
}

// FrameBytes is the header and payload bytes of frames of kind k.
func (s *H2Stats) FrameBytes(k Kind) uint64 {
	return s.Frames[k]*FrameHeaderLen + s.Payload[k]
}

// AllFrameBytes is the header and payload bytes of every frame.
func (s *H2Stats) AllFrameBytes() uint64 {
	var n uint64
	for k := range NumKinds {
		n += s.FrameBytes(k)
	}
	return n
}

// AllFrames is the number of frames of every kind.
func (s *H2Stats) AllFrames() uint64 {
	var n uint64
	for _, f := range s.Frames {
		n += f
	}
	return n
}

// Decoded is the bytes attributed to the preface or to a frame.
func (s *H2Stats) Decoded() uint64 { return s.Preface + s.AllFrameBytes() }

// Residual is Bytes minus Decoded: zero whenever the decoder sits between
// frames and never gave up.
func (s *H2Stats) Residual() int64 { return int64(s.Bytes) - int64(s.Decoded()) }

// Add adds o to s.
func (s *H2Stats) Add(o *H2Stats) {
	s.Bytes += o.Bytes
	s.Preface += o.Preface
	for k := range NumKinds {
		s.Frames[k] += o.Frames[k]
		s.Payload[k] += o.Payload[k]
	}
	s.DataPadding += o.DataPadding
	s.MsgStats.Add(&o.MsgStats)
	s.Undecoded += o.Undecoded
}

// Sub returns s minus o, for the delta over a window (s later than o).
func (s H2Stats) Sub(o *H2Stats) H2Stats {
	s.Bytes -= o.Bytes
	s.Preface -= o.Preface
	for k := range NumKinds {
		s.Frames[k] -= o.Frames[k]
		s.Payload[k] -= o.Payload[k]
	}
	s.DataPadding -= o.DataPadding
	s.MsgStats.Sub(&o.MsgStats)
	s.Undecoded -= o.Undecoded
	return s
}

// H2Decoder decodes one direction of an HTTP/2 connection into an
// H2Stats. It keeps gRPC message state per stream, because DATA frames of
// different streams interleave on a multiplexed connection and one message
// may span frames.
type H2Decoder struct {
	// Fields are ordered and sized so a decoder fits 128 bytes: bench
	// keeps two per client connection.
	stats *H2Stats
	// streams holds message state of streams whose last DATA frame ended
	// mid-message. In steady state messages end with frames and it stays
	// empty, so the hot path never touches it beyond a lookup.
	streams map[uint32]msgState
	msg     msgState // DATA frame state: the current stream's messages

	stream   uint32
	left     uint32 // payload bytes of the current frame still to come
	dataLeft uint32 // message-carrying bytes left in this DATA frame

	hdr     [FrameHeaderLen]byte
	hdrN    uint8
	preface uint8 // client-preface bytes still expected
	broken  bool
	inFrame bool
	kind    Kind
	flags   byte
	// padLenPending: the pad-length byte of a padded DATA frame is next.
	padLenPending bool
}

// NewH2Decoder returns a decoder that adds to stats. clientWrites is true
// for the bytes a client writes, which start with the client preface.
func NewH2Decoder(stats *H2Stats, clientWrites bool) *H2Decoder {
	d := &H2Decoder{stats: stats}
	if clientWrites {
		d.preface = uint8(PrefaceLen)
	}
	return d
}

// Feed decodes the next bytes of the direction.
func (d *H2Decoder) Feed(p []byte) {
	s := d.stats
	s.Bytes += uint64(len(p))
	if d.broken {
		s.Undecoded += uint64(len(p))
		return
	}
	if d.preface > 0 {
		n := min(int(d.preface), len(p))
		off := PrefaceLen - int(d.preface)
		if string(p[:n]) != ClientPreface[off:off+n] {
			d.broken = true
			s.Undecoded += uint64(len(p))
			return
		}
		s.Preface += uint64(n)
		d.preface -= uint8(n)
		p = p[n:]
	}
	for len(p) > 0 {
		if !d.inFrame {
			n := copy(d.hdr[d.hdrN:], p)
			d.hdrN += uint8(n)
			p = p[n:]
			if d.hdrN < FrameHeaderLen {
				return
			}
			d.startFrame()
			continue
		}
		n := min(int(d.left), len(p))
		s.Payload[d.kind] += uint64(n)
		if d.kind == KindData {
			d.data(p[:n])
		}
		d.left -= uint32(n)
		p = p[n:]
		if d.left == 0 {
			d.endFrame()
		}
	}
}

func (d *H2Decoder) startFrame() {
	h := &d.hdr
	d.hdrN = 0
	d.left = uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
	d.flags = h[4]
	d.kind = kindOf(h[3], d.flags)
	d.stream = binary.BigEndian.Uint32(h[5:9]) & (1<<31 - 1)
	d.stats.Frames[d.kind]++
	d.inFrame = true
	if d.kind == KindData {
		d.loadStream()
		d.padLenPending = d.flags&flagPadded != 0
		d.dataLeft = d.left
	}
	if d.left == 0 {
		d.endFrame()
	}
}

func (d *H2Decoder) endFrame() {
	d.inFrame = false
	switch d.kind {
	case KindData:
		d.saveStream()
		if d.flags&flagEndStream != 0 {
			delete(d.streams, d.stream)
		}
	case KindHeaders:
		if d.flags&flagEndStream != 0 {
			delete(d.streams, d.stream)
		}
	case KindRSTStream:
		delete(d.streams, d.stream)
	}
}

func (d *H2Decoder) loadStream() {
	if st, ok := d.streams[d.stream]; ok {
		d.msg = st
		delete(d.streams, d.stream)
		return
	}
	d.msg.reset()
}

func (d *H2Decoder) saveStream() {
	if d.msg.idle() {
		return
	}
	if d.streams == nil {
		d.streams = make(map[uint32]msgState)
	}
	d.streams[d.stream] = d.msg
}

// data walks one chunk of a DATA frame's payload.
func (d *H2Decoder) data(b []byte) {
	s := d.stats
	for len(b) > 0 {
		if d.padLenPending {
			d.padLenPending = false
			pad := uint32(b[0])
			s.DataPadding++
			b = b[1:]
			// The pad-length byte is the payload's first, and d.left still
			// counts the whole payload: the rest is d.left-1, padding last.
			rest := d.left - 1
			if pad > rest {
				pad = rest // malformed; count it all as padding
			}
			d.dataLeft = rest - pad
			continue
		}
		if d.dataLeft > 0 {
			n := min(int(d.dataLeft), len(b))
			d.msg.feed(b[:n], &s.MsgStats)
			d.dataLeft -= uint32(n)
			b = b[n:]
			continue
		}
		s.DataPadding += uint64(len(b))
		return
	}
}
