package portmux

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// grpcGoFirstFlight is what a grpc-go client sends before its first
// request is routed: the preface, SETTINGS, a WINDOW_UPDATE, then (after
// the router's SETTINGS) the ACK and the first HEADERS.
func grpcGoFirstFlight(b *testing.B) (before, after []byte) {
	b.Helper()
	var buf bytes.Buffer
	buf.WriteString(clientPreface)
	fr := http2.NewFramer(&buf, nil)
	_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 4 << 20}, http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 16 << 10})
	_ = fr.WriteWindowUpdate(0, 4<<20)
	before = append([]byte(nil), buf.Bytes()...)
	_ = fr.WriteSettingsAck()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/galaxy.gateway.v1.Gateway/Subscribe"},
		{":authority", "127.0.0.1:7070"}, {"content-type", "application/grpc"}, {"user-agent", "grpc-go/1.85.0"}, {"te", "trailers"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	return before, buf.Bytes()
}

// BenchmarkH2Sniffer is the router's decoding work for one grpc-go
// connection: the bytes before its nudge, then with its first HEADERS.
// Its allocations are garbage per accepted connection.
func BenchmarkH2Sniffer(b *testing.B) {
	before, after := grpcGoFirstFlight(b)
	b.ReportAllocs()
	for b.Loop() {
		s := newH2Sniffer(DefaultMaxHeaderBytes)
		if _, err := s.feed(before[len(clientPreface):]); !errors.Is(err, errNeedMore) || !s.gotSettings {
			b.Fatal(err)
		}
		if ct, err := s.feed(after[len(clientPreface):]); err != nil || ct != "application/grpc" {
			b.Fatal(ct, err)
		}
	}
}

// TestH2SnifferEveryPrefix feeds the sniffer every prefix of a first flight
// whose header block is split over HEADERS and CONTINUATION: it needs
// more until the block ends, then names the content type.
func TestH2SnifferEveryPrefix(t *testing.T) {
	var buf bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	_ = fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":path", "/p"}, {"content-type", "application/connect+json"}, {"x-pad", "0123456789"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	block := hb.Bytes()
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:10]})
	_ = fr.WriteContinuation(1, true, block[10:])
	all := buf.Bytes()
	s := newH2Sniffer(DefaultMaxHeaderBytes)
	for n := range len(all) {
		if ct, err := s.feed(all[:n]); !errors.Is(err, errNeedMore) {
			t.Fatalf("feed(%d of %d bytes) = %q, %v; want errNeedMore", n, len(all), ct, err)
		}
	}
	if ct, err := s.feed(all); err != nil || ct != "application/connect+json" {
		t.Errorf("feed(all) = %q, %v; want application/connect+json", ct, err)
	}
}

// TestH2SnifferLimits routes a header list over the limit by its content
// type (the stack it names refuses it), and gives up on a header value
// longer than the whole limit and on a frame larger than a client may
// send before the server's SETTINGS.
func TestH2SnifferLimits(t *testing.T) {
	block := func(fields ...[2]string) []byte {
		var hb, buf bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		for _, f := range fields {
			_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		_ = http2.NewFramer(&buf, nil).WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
		return buf.Bytes()
	}
	fields := [][2]string{{"content-type", "application/grpc"}}
	for i := range 10 {
		fields = append(fields, [2]string{"x-" + string(rune('a'+i)), string(bytes.Repeat([]byte("v"), 100))})
	}
	if ct, err := newH2Sniffer(512).feed(block(fields...)); err != nil || ct != "application/grpc" {
		t.Errorf("feed(a 1.3 KiB header list, limit 512) = %q, %v; want application/grpc", ct, err)
	}
	if ct, err := newH2Sniffer(512).feed(block([2]string{"x-big", string(bytes.Repeat([]byte("v"), 600))})); err == nil {
		t.Errorf("feed(a 600-byte value, limit 512) = %q, nil; want an error", ct)
	}
	huge := []byte{0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0, 1} // a 64 KiB DATA frame header
	if _, err := newH2Sniffer(512).feed(huge); !errors.Is(err, http2.ErrFrameTooLarge) {
		t.Errorf("feed(a 64 KiB frame) = %v, want %v", err, http2.ErrFrameTooLarge)
	}
}
