package lean

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"galaxy/galaxyctl/internal/loadgen/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// recorder is the test's Events: messages and ends per client.
type recorder struct {
	mu         sync.Mutex
	heartbeats map[int]int
	others     map[int]int
	ends       map[int]error
	changed    chan struct{}
}

func newRecorder() *recorder {
	return &recorder{heartbeats: map[int]int{}, others: map[int]int{}, ends: map[int]error{}, changed: make(chan struct{}, 1)}
}

func (r *recorder) Message(client int, hb bool, _ time.Time) {
	r.mu.Lock()
	if hb {
		r.heartbeats[client]++
	} else {
		r.others[client]++
	}
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) End(client int, err error) {
	r.mu.Lock()
	r.ends[client] = err
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds (under r.mu) or the test's deadline.
func (r *recorder) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// meter decodes a connection's bytes as bench does.
type meter struct {
	mu              sync.Mutex
	sockIn, sockOut *wire.Counter
	plIn, plOut     *wire.Counter
	h2In, h2Out     wire.H2Stats
	h1In, h1Out     wire.H1Stats
	tlsIn, tlsOut   wire.TLSStats
	moved           syscall.RawConn
	closing         int
	io              atomic.Uint64
}

func newMeter(tlsOn bool, httpVersion string) *meter {
	m := &meter{}
	var in, out wire.Feeder
	if httpVersion == HTTP1 {
		in, out = wire.NewH1Decoder(&m.h1In, true), wire.NewH1Decoder(&m.h1Out, false)
	} else {
		in, out = wire.NewH2Decoder(&m.h2In, false), wire.NewH2Decoder(&m.h2Out, true)
	}
	if tlsOn {
		m.plIn, m.plOut = wire.NewCounter(&m.mu, in, nil), wire.NewCounter(&m.mu, nil, out)
		in, out = wire.NewTLSDecoder(&m.tlsIn), wire.NewTLSDecoder(&m.tlsOut)
	}
	m.sockIn, m.sockOut = wire.NewCounter(&m.mu, in, nil), wire.NewCounter(&m.mu, nil, out)
	return m
}

func (m *meter) BeginIO()                 { m.io.Add(1) }
func (m *meter) EndIO()                   { m.io.Add(1) }
func (m *meter) SocketRead(p []byte)      { m.sockIn.Received(p) }
func (m *meter) SocketWrote(p []byte)     { m.sockOut.Sent(p) }
func (m *meter) PlainRead(p []byte)       { m.plIn.Received(p) }
func (m *meter) PlainWrote(p []byte)      { m.plOut.Sent(p) }
func (m *meter) Moved(rc syscall.RawConn) { m.mu.Lock(); m.moved = rc; m.mu.Unlock() }
func (m *meter) Closing()                 { m.mu.Lock(); m.closing++; m.mu.Unlock() }

func (m *meter) heartbeats() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.h2In.Heartbeats + m.h1In.Heartbeats
}

// residuals are the bytes of every layer not attributed to a frame,
// chunk or record.
func (m *meter) residuals() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return []int64{m.h2In.Residual(), m.h2Out.Residual(), m.h1In.Residual(), m.h1Out.Residual(), m.tlsIn.Residual(), m.tlsOut.Residual()}
}

type kind struct {
	protocol, http, codec, profile string
	tls, portable                  bool
}

func (k kind) String() string {
	tr := "h2c"
	if k.tls {
		tr = "tls"
	}
	d := "loop"
	if k.portable {
		d = "own"
	}
	return fmt.Sprintf("%s/%s/%s/%s/%s/%s", k.protocol, k.http, k.codec, k.profile, tr, d)
}

// kinds is every client kind the engine speaks, on both drivers.
func kinds() []kind {
	var ks []kind
	for _, tlsOn := range []bool{false, true} {
		for _, portable := range []bool{false, true} {
			add := func(protocol, httpV, codec, profile string) {
				ks = append(ks, kind{protocol, httpV, codec, profile, tlsOn, portable})
			}
			add(ProtocolGRPC, HTTP2, CodecProto, ProfileGRPCGo)
			add(ProtocolGRPC, HTTP2, CodecProto, ProfileGRPCGoStatic)
			add(ProtocolGRPC, HTTP2, CodecJSON, ProfileGRPCGo)
			for _, p := range []string{ProtocolConnect, ProtocolGRPCWeb} {
				for _, h := range []string{HTTP1, HTTP2} {
					for _, c := range []string{CodecProto, CodecJSON} {
						add(p, h, c, ProfileBrowser)
					}
				}
			}
		}
	}
	return ks
}

// client is an engine against addr with one connection per open.
type client struct {
	t    *testing.T
	e    *Engine
	k    kind
	addr string
	rec  *recorder
}

func newClient(t *testing.T, k kind, addr string, tlsCfg *tls.Config) *client {
	t.Helper()
	rec := newRecorder()
	cfg := Config{Protocol: k.protocol, HTTP: k.http, Codec: k.codec, Profile: k.profile,
		Authority: addr, Portable: k.portable, Events: rec, Loops: 1}
	if k.tls {
		cfg.TLS = tlsCfg
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%v) error = %v", k, err)
	}
	t.Cleanup(e.Close)
	return &client{t: t, e: e, k: k, addr: addr, rec: rec}
}

// open dials and opens client i's stream; the meter sees every byte.
func (c *client) open(i int) (*Conn, *meter, error) {
	nc, err := net.Dial("tcp", c.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	m := newMeter(c.k.tls, c.k.http)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := c.e.Connect(ctx, nc, m)
	if err != nil {
		return nil, m, err
	}
	return conn, m, conn.Open(ctx, i, fmt.Sprintf("bench-%d", i))
}

func start(t *testing.T, k kind, g *gateway) (string, *tls.Config) {
	if k.protocol == ProtocolGRPC && k.codec == CodecProto {
		return startGRPC(t, g, k.tls)
	}
	return startConnect(t, g, k.tls)
}

func TestEngineKinds(t *testing.T) {
	for _, k := range kinds() {
		t.Run(k.String(), func(t *testing.T) {
			t.Parallel()
			addr, tlsCfg := start(t, k, &gateway{interval: 20 * time.Millisecond})
			c := newClient(t, k, addr, tlsCfg)
			const clients = 3
			var meters []*meter
			for i := range clients {
				_, m, err := c.open(i)
				if err != nil {
					t.Fatalf("open(%d) error = %v", i, err)
				}
				meters = append(meters, m)
			}
			c.rec.waitFor(t, "3 heartbeats on every stream", func() bool {
				for i := range clients {
					if c.rec.heartbeats[i] < 3 {
						return false
					}
				}
				return true
			})
			c.e.Close()
			c.rec.mu.Lock()
			defer c.rec.mu.Unlock()
			if len(c.rec.ends) != 0 || len(c.rec.others) != 0 {
				t.Errorf("ends %v others %v, want none (Close ends streams silently)", c.rec.ends, c.rec.others)
			}
			for i, m := range meters {
				if hb := m.heartbeats(); hb < 3 {
					t.Errorf("client %d: wire heartbeats %d, want >= 3", i, hb)
				}
				for layer, r := range m.residuals() {
					if r != 0 {
						t.Errorf("client %d: residual of layer %d = %d, want 0", i, layer, r)
					}
				}
				if m.closing != 1 {
					t.Errorf("client %d: Closing called %d times, want 1", i, m.closing)
				}
				if wantMoved := !k.portable && haveLoop; (m.moved != nil) != wantMoved {
					t.Errorf("client %d: Moved %v, want %v", i, m.moved != nil, wantMoved)
				}
			}
		})
	}
}
