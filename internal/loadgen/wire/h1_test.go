package wire

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// chunk frames b as one HTTP/1.1 chunk.
func chunk(b []byte) []byte {
	return concat([]byte(fmt.Sprintf("%x\r\n", len(b))), b, []byte("\r\n"))
}

func connectEnd(json string) []byte {
	b := grpcMsg(FlagConnectEndStream, []byte(json))
	return b
}

const h1ResponseHead = "HTTP/1.1 200 OK\r\nContent-Type: application/connect+json\r\nTransfer-Encoding: chunked\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n"

// h1Response is a Connect JSON stream over HTTP/1.1: the head, two
// heartbeats, an event, and the end-of-stream message with an error.
func h1Response(t testing.TB) []byte {
	ev, err := protojson.Marshal(&gatewayv1.GatewayEvent{EventType: "order.created", UserId: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	end := `{"error":{"code":"unavailable","message":"gateway shutting down"}}`
	return concat([]byte(h1ResponseHead),
		chunk(grpcMsg(0, []byte(HeartbeatJSON))),
		chunk(grpcMsg(0, []byte(HeartbeatJSON))),
		chunk(grpcMsg(0, ev)),
		chunk(connectEnd(end)),
		[]byte("0\r\n\r\n"))
}

func feedH1(response bool, chunks ...[]byte) H1Stats {
	var s H1Stats
	d := NewH1Decoder(&s, response)
	for _, c := range chunks {
		d.Feed(c)
	}
	return s
}

func TestH1DecoderResponse(t *testing.T) {
	resp := h1Response(t)
	s := feedH1(true, resp)
	end := uint64(len(`{"error":{"code":"unavailable","message":"gateway shutting down"}}`))
	if s.Residual() != 0 || s.Undecoded != 0 {
		t.Fatalf("H1Decoder residual %d undecoded %d, want 0 0", s.Residual(), s.Undecoded)
	}
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"bytes", s.Bytes, uint64(len(resp))},
		{"heads", s.Heads, 1},
		{"head", s.Head, uint64(len(h1ResponseHead))},
		{"chunks", s.Chunks, 4},
		{"chunk_framing", s.ChunkFraming, 3*6 + uint64(ChunkFramingLen(int(5+end))) + LastChunkLen},
		{"heartbeats", s.Heartbeats, 2},
		{"heartbeat_bytes", s.HeartbeatBytes, 2 * uint64(HeartbeatJSONLen)},
		{"messages", s.Messages, 3},
		{"grpc_prefix", s.GRPCPrefix, 4 * GRPCPrefixLen},
		{"end_stream", s.EndStream, 1},
		{"end_stream_bytes", s.EndStreamBytes, end},
		{"body", s.Body, s.EnvelopeBytes()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("H1Decoder %s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// Split anywhere, the counts are the same.
func TestH1DecoderSplits(t *testing.T) {
	resp := h1Response(t)
	whole := feedH1(true, resp)
	for cut := 1; cut < len(resp); cut++ {
		if got := feedH1(true, resp[:cut], resp[cut:]); got != whole {
			t.Fatalf("H1Decoder split at %d = %+v, want %+v", cut, got, whole)
		}
	}
	var bytewise [][]byte
	for i := range resp {
		bytewise = append(bytewise, resp[i:i+1])
	}
	if got := feedH1(true, bytewise...); got != whole {
		t.Errorf("H1Decoder byte by byte = %+v, want %+v", got, whole)
	}
}

func TestH1DecoderRequests(t *testing.T) {
	body := grpcMsg(0, []byte(`{"userId":"bench-1"}`))
	req := fmt.Sprintf("POST /galaxy.gateway.v1.Gateway/Subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
	// Two requests on one kept-alive connection, the second without a body.
	get := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	s := feedH1(false, []byte(req), body, []byte(get))
	if s.Residual() != 0 || s.Heads != 2 || s.Head != uint64(len(req)+len(get)) || s.Body != uint64(len(body)) || s.Messages != 1 {
		t.Errorf("H1Decoder(requests) = %+v, want 2 heads of %d bytes, a body of %d with 1 message, residual 0", s, len(req)+len(get), len(body))
	}
}

func TestH1DecoderInterimAndLength(t *testing.T) {
	in := concat([]byte("HTTP/1.1 100 Continue\r\n\r\n"),
		[]byte("HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: 4\r\n\r\nnope"),
		[]byte("HTTP/1.1 200 OK\r\nContent-Type: application/grpc-web+proto\r\n\r\n"),
		grpcMsg(0, heartbeatBytes(t)), grpcMsg(FlagGRPCWebTrailers, []byte("grpc-status: 0\r\n")))
	s := feedH1(true, in)
	if s.Residual() != 0 || s.Heads != 3 || s.Heartbeats != 1 || s.EndStream != 1 || s.Messages != 1 {
		t.Errorf("H1Decoder(interim, length, until close) = %+v, want 3 heads, 1 heartbeat, 1 trailers envelope, residual 0", s)
	}
	// The 415's body is not enveloped: 4 body bytes, no prefix.
	if s.Body != uint64(len(in))-s.Head || s.GRPCPrefix != 2*GRPCPrefixLen {
		t.Errorf("H1Decoder body %d prefix %d, want %d %d", s.Body, s.GRPCPrefix, uint64(len(in))-s.Head, 2*GRPCPrefixLen)
	}
}

func TestH1DecoderNotHTTP(t *testing.T) {
	s := feedH1(true, []byte("\x16\x03\x01\x00\x05hello\r\nmore bytes"))
	if s.Undecoded == 0 || s.Residual() != int64(s.Undecoded) {
		t.Errorf("H1Decoder(TLS bytes) undecoded %d residual %d, want > 0 and equal", s.Undecoded, s.Residual())
	}
}

func TestChunkFramingLen(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 5}, {24, 6}, {38, 6}, {15, 5}, {16, 6}, {256, 7}} {
		if got := ChunkFramingLen(tc.n); got != tc.want {
			t.Errorf("ChunkFramingLen(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestIsHeartbeatJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{HeartbeatJSON, true},
		{`{"eventType": "gateway.heartbeat"}`, true},
		{`{"event_type":"gateway.heartbeat"}`, true},
		{`{"eventType":"gateway.heartbeat","userId":"u"}`, false},
		{`{"eventType":"order.created"}`, false},
		{`{"eventType":`, false},
	} {
		if got := IsHeartbeat([]byte(tc.in)); got != tc.want {
			t.Errorf("IsHeartbeat(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if HeartbeatJSONLen != 33 {
		t.Errorf("HeartbeatJSONLen = %d, want 33 (DESIGN's table)", HeartbeatJSONLen)
	}
}
