package lean

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// endKinds is one kind per protocol and HTTP version, plaintext, on the
// event loop and on a goroutine of its own.
func endKinds() []kind {
	var ks []kind
	for _, portable := range []bool{false, true} {
		ks = append(ks,
			kind{ProtocolGRPC, HTTP2, CodecProto, ProfileGRPCGo, false, portable},
			kind{ProtocolConnect, HTTP2, CodecJSON, ProfileBrowser, false, portable},
			kind{ProtocolConnect, HTTP1, CodecJSON, ProfileBrowser, false, portable},
			kind{ProtocolGRPCWeb, HTTP2, CodecProto, ProfileBrowser, false, portable},
			kind{ProtocolGRPCWeb, HTTP1, CodecProto, ProfileBrowser, true, portable},
		)
	}
	return ks
}

func TestStreamEnds(t *testing.T) {
	for _, k := range endKinds() {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			addr, tlsCfg := start(t, k, &gateway{interval: 10 * time.Millisecond, endAfter: 2})
			c := newClient(t, k, addr, tlsCfg)
			if _, _, err := c.open(4); err != nil {
				t.Fatalf("open() error = %v", err)
			}
			c.rec.waitFor(t, "the stream's end", func() bool { return c.rec.ends[4] != nil })
			c.rec.mu.Lock()
			defer c.rec.mu.Unlock()
			err := c.rec.ends[4]
			if s, _ := status.FromError(err); s.Code() != codes.Unavailable || s.Message() != errShutdown.Error() {
				t.Errorf("End(4) = %v, want Unavailable %q", err, errShutdown)
			}
			if c.rec.heartbeats[4] != 2 {
				t.Errorf("heartbeats before the end = %d, want 2", c.rec.heartbeats[4])
			}
		})
	}
}

func TestOpenRefused(t *testing.T) {
	for _, k := range endKinds() {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			refuse := status.Error(codes.PermissionDenied, "no bench here")
			addr, tlsCfg := start(t, k, &gateway{refuse: refuse})
			c := newClient(t, k, addr, tlsCfg)
			_, _, err := c.open(1)
			if k.protocol == ProtocolConnect {
				// Connect has no trailers-only response: a refused stream
				// gets a 200 header and an end-of-stream error, so it
				// opens, then ends, as a browser's fetch sees it.
				if err != nil {
					t.Fatalf("open() = %v, want nil", err)
				}
				c.rec.waitFor(t, "the stream's end", func() bool { return c.rec.ends[1] != nil })
				err = c.rec.ends[1]
			}
			if s, _ := status.FromError(err); s.Code() != codes.PermissionDenied || s.Message() != "no bench here" {
				t.Errorf("open() = %v, want PermissionDenied %q", err, "no bench here")
			}
			c.rec.mu.Lock()
			defer c.rec.mu.Unlock()
			if k.protocol != ProtocolConnect && len(c.rec.ends) != 0 {
				t.Errorf("ends = %v, want none: a stream that never opened does not end", c.rec.ends)
			}
		})
	}
}

// A stream whose header never comes is cancelled when the caller stops
// waiting, and its connection stays usable over HTTP/2.
func TestOpenTimeout(t *testing.T) {
	for _, k := range endKinds() {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			addr, tlsCfg := start(t, k, &gateway{hold: true})
			c := newClient(t, k, addr, tlsCfg)
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			m := newMeter(k.tls, k.http)
			conn, err := c.e.Connect(context.Background(), nc, m)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			if err := conn.Open(ctx, 1, "u"); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Open() = %v, want %v", err, context.DeadlineExceeded)
			}
			if want := k.http == HTTP2; conn.Usable() != want {
				t.Errorf("Usable() after a cancelled open = %v, want %v", conn.Usable(), want)
			}
		})
	}
}

func TestOpenOnClosedConn(t *testing.T) {
	k := kind{ProtocolGRPC, HTTP2, CodecProto, ProfileGRPCGo, false, false}
	addr, _ := start(t, k, &gateway{interval: time.Second})
	c := newClient(t, k, addr, nil)
	conn, _, err := c.open(1)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	c.rec.waitFor(t, "the connection to close", func() bool { return !conn.Usable() })
	if err := conn.Open(context.Background(), 2, "u"); status.Code(err) != codes.Unavailable {
		t.Errorf("Open() on a closed connection = %v, want Unavailable", err)
	}
}

func TestCheckKind(t *testing.T) {
	for _, tc := range []struct {
		protocol, http, codec, profile string
		field, other                   string
		wantCodec, wantProfile         string
	}{
		{protocol: "grpc", http: "2", wantCodec: "proto", wantProfile: "grpc-go"},
		{protocol: "connect", http: "1.1", wantCodec: "json", wantProfile: "browser"},
		{protocol: "grpc-web", http: "2", wantCodec: "proto", wantProfile: "browser"},
		{protocol: "grpc", http: "1.1", field: "HTTP", other: "Protocol"},
		{protocol: "grpc", http: "2", profile: "browser", field: "Profile", other: "Protocol"},
		{protocol: "connect", http: "2", profile: "grpc-go-static", field: "Profile", other: "Protocol"},
		{protocol: "http", http: "2", field: "Protocol"},
		{protocol: "grpc", http: "3", field: "HTTP"},
		{protocol: "grpc", http: "2", codec: "xml", field: "Codec"},
		{protocol: "grpc", http: "2", profile: "curl", field: "Profile"},
	} {
		p, h, c, pr := tc.protocol, tc.http, tc.codec, tc.profile
		err := CheckKind(&p, &h, &c, &pr)
		var ce *ConfigError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("CheckKind(%+v) = %v, want nil", tc, err)
		case tc.field == "" && (c != tc.wantCodec || pr != tc.wantProfile):
			t.Errorf("CheckKind(%+v) codec %q profile %q, want %q %q", tc, c, pr, tc.wantCodec, tc.wantProfile)
		case tc.field != "" && (!errors.As(err, &ce) || ce.Field != tc.field || ce.Other != tc.other):
			t.Errorf("CheckKind(%+v) = %v, want a ConfigError for %s (and %q)", tc, err, tc.field, tc.other)
		}
	}
}

// Several streams share one HTTP/2 connection: the second request's
// header block is encoded against the table the first one filled, as a
// real client's encoder does, and the server decodes every one.
func TestMultiplexedStreams(t *testing.T) {
	for _, k := range []kind{
		{ProtocolGRPC, HTTP2, CodecProto, ProfileGRPCGo, false, false},
		{ProtocolConnect, HTTP2, CodecJSON, ProfileBrowser, true, false},
		{ProtocolGRPCWeb, HTTP2, CodecProto, ProfileBrowser, false, true},
	} {
		t.Run(k.String(), func(t *testing.T) {
			addr, tlsCfg := start(t, k, &gateway{interval: 10 * time.Millisecond})
			c := newClient(t, k, addr, tlsCfg)
			conn, _, err := c.open(0)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for i := 1; i < 4; i++ {
				if err := conn.Open(ctx, i, "u"); err != nil {
					t.Fatalf("Open(stream %d) = %v", i, err)
				}
			}
			c.rec.waitFor(t, "heartbeats on all four streams", func() bool {
				for i := range 4 {
					if c.rec.heartbeats[i] < 2 {
						return false
					}
				}
				return true
			})
		})
	}
}
