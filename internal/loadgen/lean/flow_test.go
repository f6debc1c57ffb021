package lean

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

// h2driver drives an h2sess by hand: frames in, the units it writes out.
type h2driver struct {
	t   *testing.T
	s   *h2sess
	c   *Conn
	p   *proc
	rec *recorder
	now time.Time
}

func newSession(t *testing.T, profile string) *h2driver {
	rec := newRecorder()
	cfg := Config{Protocol: ProtocolGRPC, HTTP: HTTP2, Profile: profile, Authority: "gw:443", Events: rec}
	if profile == ProfileBrowser {
		cfg.Protocol = ProtocolConnect
	}
	cfg, err := cfg.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	s := newH2Sess(&cfg, newRequests(&cfg))
	x := &h2driver{t: t, s: s, c: &Conn{sess: s}, p: newProc(), rec: rec, now: time.Unix(1_700_000_000, 0)}
	x.p.now = x.now
	s.start(x.c, x.p)
	return x
}

// units returns what the h2driver wrote since the last call, one string
// per write: the frames, described.
func (x *h2driver) units() []string {
	b := x.p.out.Bytes()
	var out []string
	start := 0
	for _, end := range append(append([]int(nil), x.p.cuts...), len(b)) {
		if end > start {
			out = append(out, describe(b[start:end]))
		}
		start = end
	}
	x.p.reset()
	return out
}

// describe lists the frames of b: "WINDOW_UPDATE(0,24) PING(bdp)".
func describe(b []byte) string {
	var parts []string
	if bytes.HasPrefix(b, []byte(http2.ClientPreface)) {
		parts, b = append(parts, "PREFACE"), b[len(http2.ClientPreface):]
	}
	fr := http2.NewFramer(nil, bytes.NewReader(b))
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break
		}
		switch f := f.(type) {
		case *http2.WindowUpdateFrame:
			parts = append(parts, fmt.Sprintf("WINDOW_UPDATE(%d,%d)", f.StreamID, f.Increment))
		case *http2.PingFrame:
			name := "PING"
			if f.IsAck() {
				name = "PING_ACK"
			}
			if f.Data == bdpPing {
				name += "(bdp)"
			}
			parts = append(parts, name)
		case *http2.SettingsFrame:
			if f.IsAck() {
				parts = append(parts, "SETTINGS_ACK")
				continue
			}
			var ss []string
			f.ForeachSetting(func(s http2.Setting) error { ss = append(ss, fmt.Sprintf("%v=%d", s.ID, s.Val)); return nil })
			parts = append(parts, "SETTINGS("+strings.Join(ss, ",")+")")
		default:
			parts = append(parts, fmt.Sprintf("%v(%d)", f.Header().Type, f.Header().StreamID))
		}
	}
	return strings.Join(parts, " ")
}

// feed hands the h2driver server frames at now.
func (x *h2driver) feed(at time.Duration, write func(fr *http2.Framer)) {
	var b bytes.Buffer
	write(http2.NewFramer(&b, nil))
	x.p.now = x.now.Add(at)
	if err := x.s.feed(x.c, x.p, b.Bytes()); err != nil {
		x.t.Fatalf("feed() error = %v", err)
	}
}

// open opens client's stream; the channel gets the outcome.
func (x *h2driver) open(client int) chan error {
	opened := make(chan error, 1)
	x.s.open(x.c, x.p, &stream{client: int32(client), opened: opened}, []byte{0, 0, 0, 0, 0})
	return opened
}

// respond sends the response header of stream 1.
func (x *h2driver) respond(contentType string) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	enc.WriteField(hpack.HeaderField{Name: "content-type", Value: contentType})
	x.feed(0, func(fr *http2.Framer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	})
}

func heartbeatFrame(at time.Duration, x *h2driver) {
	msg := append([]byte{0, 0, 0, 0, byte(wire.HeartbeatMessageLen), 0x0a, 17}, "gateway.heartbeat"...)
	x.feed(at, func(fr *http2.Framer) { fr.WriteData(1, false, msg) })
}

func check(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("%s wrote %q, want %q", what, got, want)
	}
}

func TestGRPCGoDynamicFlow(t *testing.T) {
	x := newSession(t, ProfileGRPCGo)
	check(t, "start", x.units(), "PREFACE", "SETTINGS()")
	opened := x.open(7)
	check(t, "open before the server's SETTINGS", x.units())
	x.feed(0, func(fr *http2.Framer) { fr.WriteSettings() })
	check(t, "server SETTINGS", x.units(), "SETTINGS_ACK HEADERS(1) DATA(1)")
	x.respond("application/grpc")
	if err := <-opened; err != nil {
		t.Fatalf("open = %v, want nil", err)
	}
	for i := range 3 {
		heartbeatFrame(time.Duration(i)*time.Second, x)
		// grpc-go: the connection's 24 unacknowledged bytes, then the BDP
		// ping, in one write.
		check(t, "heartbeat", x.units(), "WINDOW_UPDATE(0,24) PING(bdp)")
		x.feed(time.Duration(i)*time.Second+time.Millisecond, func(fr *http2.Framer) { fr.WritePing(true, bdpPing) })
		check(t, "ping ack", x.units())
	}
	x.feed(0, func(fr *http2.Framer) { fr.WritePing(false, [8]byte{1}) })
	check(t, "server ping", x.units(), "PING_ACK")
	if x.rec.heartbeats[7] != 3 {
		t.Errorf("heartbeats = %d, want 3", x.rec.heartbeats[7])
	}
}

func TestGRPCGoStaticFlow(t *testing.T) {
	x := newSession(t, ProfileGRPCGoStatic)
	check(t, "start", x.units(), "PREFACE", "SETTINGS()")
	x.feed(0, func(fr *http2.Framer) { fr.WriteSettings() })
	x.open(1)
	x.units()
	x.respond("application/grpc")
	// A quarter of 65,535 is 16,383: the 683rd 24-byte frame crosses it,
	// for the connection and the stream at once.
	for i := range 682 {
		heartbeatFrame(time.Duration(i)*time.Second, x)
		if u := x.units(); len(u) > 0 {
			t.Fatalf("heartbeat %d wrote %q, want nothing", i+1, u)
		}
	}
	heartbeatFrame(683*time.Second, x)
	check(t, "heartbeat 683", x.units(), "WINDOW_UPDATE(0,16392) WINDOW_UPDATE(1,16392)")
}

func TestBrowserFlow(t *testing.T) {
	x := newSession(t, ProfileBrowser)
	check(t, "start", x.units(),
		"PREFACE SETTINGS(HEADER_TABLE_SIZE=65536,ENABLE_PUSH=0,INITIAL_WINDOW_SIZE=6291456,MAX_HEADER_LIST_SIZE=262144) WINDOW_UPDATE(0,15663105)")
	x.open(1)
	check(t, "open", x.units(), "HEADERS(1) DATA(1)")
	x.feed(0, func(fr *http2.Framer) { fr.WriteSettings() })
	check(t, "server SETTINGS", x.units(), "SETTINGS_ACK")
	x.respond("application/connect+proto")
	heartbeatFrame(time.Second, x)
	check(t, "heartbeat at 1 s", x.units())
	heartbeatFrame(4999*time.Millisecond, x)
	check(t, "heartbeat at 4.999 s", x.units())
	// 5 s after the h2driver and the stream began: both scopes, each in a
	// write of its own, the connection first, with all unacknowledged.
	heartbeatFrame(5*time.Second, x)
	check(t, "heartbeat at 5 s", x.units(), "WINDOW_UPDATE(0,72)", "WINDOW_UPDATE(1,72)")
	heartbeatFrame(9*time.Second, x)
	check(t, "heartbeat at 9 s", x.units())
	heartbeatFrame(25*time.Second, x)
	check(t, "heartbeat at 25 s", x.units(), "WINDOW_UPDATE(0,48)", "WINDOW_UPDATE(1,48)")
	x.feed(25*time.Second, func(fr *http2.Framer) { fr.WritePing(false, [8]byte{1}) })
	check(t, "server ping", x.units(), "PING_ACK")
}
