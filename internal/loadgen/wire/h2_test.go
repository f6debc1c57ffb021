package wire

import (
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/proto"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// frame builds an HTTP/2 frame by hand.
func frame(typ, flags byte, stream uint32, payload []byte) []byte {
	b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[5:], stream)
	return append(b, payload...)
}

// grpcMsg prefixes m with the 5-byte gRPC length prefix.
func grpcMsg(compressed byte, m []byte) []byte {
	b := []byte{compressed, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(m)))
	return append(b, m...)
}

func heartbeatBytes(t testing.TB) []byte {
	t.Helper()
	b, err := proto.Marshal(&gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func feedAll(clientWrites bool, chunks ...[]byte) H2Stats {
	var s H2Stats
	d := NewH2Decoder(&s, clientWrites)
	for _, c := range chunks {
		d.Feed(c)
	}
	return s
}

func TestHeartbeatMessageLen(t *testing.T) {
	if got := len(heartbeatBytes(t)); got != HeartbeatMessageLen {
		t.Errorf("len(heartbeat) = %d, want HeartbeatMessageLen = %d", got, HeartbeatMessageLen)
	}
	if HeartbeatMessageLen != 19 {
		t.Errorf("HeartbeatMessageLen = %d, want 19 (DESIGN's table)", HeartbeatMessageLen)
	}
}

func TestIsHeartbeat(t *testing.T) {
	mustMarshal := func(m *gatewayv1.GatewayEvent) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hb := mustMarshal(&gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType})
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"heartbeat", hb, true},
		{"empty", nil, false},
		{"other type", mustMarshal(&gatewayv1.GatewayEvent{EventType: "order.created"}), false},
		{"heartbeat with id", mustMarshal(&gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType, EventId: "1"}), false},
		{"heartbeat with payload", mustMarshal(&gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType, Payload: []byte{1}}), false},
		{"field 1 twice, last wins", concat(mustMarshal(&gatewayv1.GatewayEvent{EventType: "x"}), hb), true},
		{"field 1 twice, heartbeat first", concat(hb, mustMarshal(&gatewayv1.GatewayEvent{EventType: "x"})), false},
		{"truncated", hb[:len(hb)-1], false},
	}
	for _, tt := range tests {
		if got := IsHeartbeat(tt.b); got != tt.want {
			t.Errorf("IsHeartbeat(%s %x) = %v, want %v", tt.name, tt.b, got, tt.want)
		}
	}
}

func TestH2DecoderSingleFrames(t *testing.T) {
	hb := heartbeatBytes(t)
	type want struct {
		bytes, frames, kindBytes uint64
		kind                     Kind
		heartbeats               uint64
	}
	tests := []struct {
		name string
		b    []byte
		want want
	}{
		{"heartbeat DATA", frame(frameData, 0, 1, grpcMsg(0, hb)), want{33, 1, 33, KindData, 1}},
		{"PING", frame(framePing, 0, 0, make([]byte, 8)), want{17, 1, 17, KindPing, 0}},
		{"PING ack", frame(framePing, flagAck, 0, make([]byte, 8)), want{17, 1, 17, KindPingAck, 0}},
		{"WINDOW_UPDATE", frame(frameWindowUpdate, 0, 0, []byte{0, 0, 0, 24}), want{13, 1, 13, KindWindowUpdate, 0}},
		{"SETTINGS ack", frame(frameSettings, flagAck, 0, nil), want{9, 1, 9, KindSettingsAck, 0}},
		{"SETTINGS", frame(frameSettings, 0, 0, make([]byte, 12)), want{21, 1, 21, KindSettings, 0}},
		{"RST_STREAM", frame(frameRSTStream, 0, 1, make([]byte, 4)), want{13, 1, 13, KindRSTStream, 0}},
		{"GOAWAY", frame(frameGoAway, 0, 0, make([]byte, 8)), want{17, 1, 17, KindGoAway, 0}},
		{"unknown type", frame(0xfa, 0, 0, make([]byte, 3)), want{12, 1, 12, KindOther, 0}},
	}
	for _, tt := range tests {
		s := feedAll(false, tt.b)
		got := want{s.Bytes, s.AllFrames(), s.FrameBytes(tt.want.kind), tt.want.kind, s.Heartbeats}
		if got != tt.want {
			t.Errorf("Feed(%s) = %+v, want %+v", tt.name, got, tt.want)
		}
		if r := s.Residual(); r != 0 {
			t.Errorf("Feed(%s) residual = %d, want 0", tt.name, r)
		}
	}
}

func TestH2DecoderHeartbeatLayers(t *testing.T) {
	s := feedAll(false, frame(frameData, 0, 1, grpcMsg(0, heartbeatBytes(t))))
	got := [5]uint64{s.Frames[KindData] * FrameHeaderLen, s.GRPCPrefix, s.MessageBytes, s.HeartbeatBytes, s.Messages}
	want := [5]uint64{9, 5, 19, 19, 1}
	if got != want {
		t.Errorf("Feed(heartbeat) [header prefix message hbbytes messages] = %v, want %v", got, want)
	}
}

// clientStream is what a client writes: preface, SETTINGS, a WINDOW_UPDATE,
// the request, then a PING and a WINDOW_UPDATE in reply to a heartbeat.
func clientStream(t testing.TB) []byte {
	req, err := proto.Marshal(&gatewayv1.SubscribeRequest{UserId: "bench-1"})
	if err != nil {
		t.Fatal(err)
	}
	return concat(
		[]byte(ClientPreface),
		frame(frameSettings, 0, 0, make([]byte, 6)),
		frame(frameWindowUpdate, 0, 0, []byte{0, 0, 1, 0}),
		frame(frameHeaders, 0x4, 1, make([]byte, 40)),
		frame(frameData, flagEndStream, 1, grpcMsg(0, req)),
		frame(frameSettings, flagAck, 0, nil),
		frame(frameWindowUpdate, 0, 0, []byte{0, 0, 0, 24}),
		frame(framePing, 0, 0, make([]byte, 8)),
	)
}

// serverStream is what a server writes to a client: SETTINGS, headers, two
// heartbeats (one padded), a message spanning two frames interleaved with
// another stream's heartbeat, a PING ack and trailers.
func serverStream(t testing.TB) []byte {
	hb := heartbeatBytes(t)
	big, err := proto.Marshal(&gatewayv1.GatewayEvent{EventType: "order.created", Payload: make([]byte, 100)})
	if err != nil {
		t.Fatal(err)
	}
	bigMsg := grpcMsg(0, big)
	padded := concat([]byte{3}, grpcMsg(0, hb), []byte{0, 0, 0})
	return concat(
		frame(frameSettings, 0, 0, make([]byte, 6)),
		frame(frameHeaders, 0x4, 1, make([]byte, 20)),
		frame(frameHeaders, 0x4, 3, make([]byte, 20)),
		frame(frameData, 0, 1, grpcMsg(0, hb)),
		frame(frameData, flagPadded, 3, padded),
		frame(frameData, 0, 1, bigMsg[:3]),
		frame(frameData, 0, 3, grpcMsg(0, hb)),
		frame(frameData, 0, 1, bigMsg[3:60]),
		frame(frameData, 0, 1, bigMsg[60:]),
		frame(frameData, 0, 3, grpcMsg(1, hb)), // compressed flag: not a heartbeat
		frame(framePing, flagAck, 0, make([]byte, 8)),
		frame(frameHeaders, 0x4|flagEndStream, 1, make([]byte, 10)),
	)
}

func TestH2DecoderStreams(t *testing.T) {
	in := feedAll(false, serverStream(t))
	hbLen := uint64(HeartbeatMessageLen)
	wantIn := H2Stats{
		Bytes:       uint64(len(serverStream(t))),
		DataPadding: 4,
		MsgStats: MsgStats{
			GRPCPrefix:     5 * 5,
			Messages:       5,
			Heartbeats:     3,
			HeartbeatBytes: 3 * hbLen,
		},
	}
	bigLen := uint64(len(mustEvent(t)))
	wantIn.MessageBytes = 4*hbLen + bigLen
	wantIn.Frames[KindSettings] = 1
	wantIn.Frames[KindHeaders] = 3
	wantIn.Frames[KindData] = 7
	wantIn.Frames[KindPingAck] = 1
	wantIn.Payload[KindSettings] = 6
	wantIn.Payload[KindHeaders] = 20 + 20 + 10
	wantIn.Payload[KindPingAck] = 8
	// Heartbeat frames carry 24 bytes; the padded one 1+24+3; the big
	// message is split 3 + 57 + the rest.
	wantIn.Payload[KindData] = 24 + 28 + 3 + 24 + 57 + (5 + bigLen - 60) + 24
	if in != wantIn {
		t.Errorf("Feed(server stream) =\n%+v, want\n%+v", in, wantIn)
	}
	if r := in.Residual(); r != 0 {
		t.Errorf("Feed(server stream) residual = %d, want 0", r)
	}

	out := feedAll(true, clientStream(t))
	if out.Preface != PrefaceLen || out.Residual() != 0 || out.Messages != 1 || out.Heartbeats != 0 {
		t.Errorf("Feed(client stream) preface %d residual %d messages %d heartbeats %d, want %d 0 1 0",
			out.Preface, out.Residual(), out.Messages, out.Heartbeats, PrefaceLen)
	}
	if got, want := out.FrameBytes(KindWindowUpdate)+out.FrameBytes(KindPing), uint64(13+13+17); got != want {
		t.Errorf("Feed(client stream) WINDOW_UPDATE+PING bytes = %d, want %d", got, want)
	}
}

func mustEvent(t testing.TB) []byte {
	b, err := proto.Marshal(&gatewayv1.GatewayEvent{EventType: "order.created", Payload: make([]byte, 100)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestH2DecoderSplits feeds the streams split at every byte boundary, and
// byte by byte: the counts must not depend on how reads cut the stream.
func TestH2DecoderSplits(t *testing.T) {
	for _, tc := range []struct {
		name         string
		b            []byte
		clientWrites bool
	}{
		{"server", serverStream(t), false},
		{"client", clientStream(t), true},
	} {
		whole := feedAll(tc.clientWrites, tc.b)
		for i := 1; i < len(tc.b); i++ {
			got := feedAll(tc.clientWrites, tc.b[:i], tc.b[i:])
			if got != whole {
				t.Fatalf("Feed(%s split at %d) =\n%+v, want\n%+v", tc.name, i, got, whole)
			}
		}
		var s H2Stats
		d := NewH2Decoder(&s, tc.clientWrites)
		for i := range tc.b {
			d.Feed(tc.b[i : i+1])
			if i == PrefaceLen+4 && tc.clientWrites {
				// Mid-header, the residual is the header bytes seen so far.
				if r := s.Residual(); r != 5 {
					t.Errorf("Feed(%s byte by byte) residual mid-header = %d, want 5", tc.name, r)
				}
			}
		}
		if s != whole {
			t.Errorf("Feed(%s byte by byte) =\n%+v, want\n%+v", tc.name, s, whole)
		}
	}
}

func TestH2DecoderBadPreface(t *testing.T) {
	b := concat([]byte("GET / HTTP/1.1\r\n\r\n"), frame(framePing, 0, 0, make([]byte, 8)))
	s := feedAll(true, b[:3], b[3:])
	if s.Bytes != uint64(len(b)) || s.Undecoded != uint64(len(b)) || s.Residual() != int64(len(b)) {
		t.Errorf("Feed(bad preface) bytes %d undecoded %d residual %d, want %d each", s.Bytes, s.Undecoded, s.Residual(), len(b))
	}
}

func TestH2StatsAddSub(t *testing.T) {
	a := feedAll(false, serverStream(t))
	var sum H2Stats
	sum.Add(&a)
	sum.Add(&a)
	if got := sum.Sub(&a); got != a {
		t.Errorf("(a+a).Sub(a) = %+v, want %+v", got, a)
	}
}

func TestPrefaceLen(t *testing.T) {
	if len(ClientPreface) != PrefaceLen {
		t.Errorf("len(ClientPreface) = %d, want PrefaceLen = %d", len(ClientPreface), PrefaceLen)
	}
}
