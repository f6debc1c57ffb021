package gateway

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// serverStack is one way the gateway is served. The bounds tests run on
// every stack, since each Limits row must hold on each; the net/http stack
// (Connect, gRPC-Web) joins this table when it exists.
type serverStack struct {
	name string
	// start serves gw with lim on a loopback listener until the test ends,
	// and returns its address.
	start func(t *testing.T, gw *Server, lim Limits) string
}

var serverStacks = []serverStack{{"grpc-go", startGRPCStack}}

func startGRPCStack(t *testing.T, gw *Server, lim Limits) string {
	t.Helper()
	srv := grpc.NewServer(lim.GRPCServerOptions(NewConnTracker(nil), nil)...)
	gatewayv1.RegisterGatewayServer(srv, gw)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = srv.Serve(lim.Listener(ln)); close(served) }()
	t.Cleanup(func() {
		gw.Close()
		srv.Stop()
		<-served
	})
	return ln.Addr().String()
}

func newBoundsGateway(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.SigningKey = testKey
	gw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

func dialGRPC(t *testing.T, addr string, opts ...grpc.DialOption) gatewayv1.GatewayClient {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return gatewayv1.NewGatewayClient(conn)
}

// TestHeaderListLimit sends a Subscribe whose header list is just within
// MaxHeaderListBytes (served) and one byte over (refused with RST_STREAM,
// nothing held), from a raw client, and checks that grpc-go clients are
// refused before they send.
func TestHeaderListLimit(t *testing.T) {
	for _, stack := range serverStacks {
		t.Run(stack.name, func(t *testing.T) {
			ctx := testContext(t)
			gw := newBoundsGateway(t, Config{})
			addr := stack.start(t, gw, DefaultLimits())
			c := dialRaw(t, addr)
			// RFC 9113's size: name + value + 32 per field.
			base := 0
			for _, f := range []hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
				{Name: ":path", Value: "/galaxy.gateway.v1.Gateway/Subscribe"}, {Name: ":authority", Value: addr},
				{Name: "content-type", Value: "application/grpc"}, {Name: "te", Value: "trailers"}} {
				base += int(f.Size())
			}
			pad := func(total int) hpack.HeaderField {
				return hpack.HeaderField{Name: "x-pad", Value: strings.Repeat("p", total-base-len("x-pad")-32)}
			}
			if err := c.subscribe(1, pad(MaxHeaderListBytes)); err != nil {
				t.Fatal(err)
			}
			if err := c.subscribe(3, pad(MaxHeaderListBytes+1)); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(ctx, t, "answers to both streams", func() bool {
				_, _, h1 := c.state(1)
				_, r3, _ := c.state(3)
				return h1 > 0 && r3
			})
			if code, reset, _ := c.state(3); !reset || code != http2.ErrCodeFrameSize {
				t.Errorf("stream with a %d-byte header list: RST_STREAM %v (%v), want FRAME_SIZE_ERROR", MaxHeaderListBytes+1, code, reset)
			}
			if _, reset, _ := c.state(1); reset {
				t.Errorf("stream with a %d-byte header list was reset, want it served", MaxHeaderListBytes)
			}
			if n := gw.clients(); n != 1 {
				t.Errorf("clients() = %d, want 1 (only the stream within the limit)", n)
			}

			big := metadata.Pairs("x-pad", strings.Repeat("p", MaxHeaderListBytes))
			st, err := dialGRPC(t, addr).Subscribe(metadata.NewOutgoingContext(ctx, big), &gatewayv1.SubscribeRequest{})
			if err == nil {
				_, err = st.Recv()
			}
			if err == nil || !strings.Contains(err.Error(), "header list size to send violates the maximum size (16384 bytes) set by server") {
				t.Errorf("grpc-go Subscribe with a 16 KiB header = %v, want the client to refuse it", err)
			}
		})
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestZeroWindowStreamsReleased is the attack: 2 connections ×
// 1,000 Subscribe streams with INITIAL_WINDOW_SIZE 0, answering PINGs,
// then 100 broadcasts of 60 KiB. Every stream stalls and is dropped at the
// slow-client timeout, and its memory must be released within 5 s more:
// heap_inuse back within 20 MB of its value before the attack. The
// connections must be closed for that, since the stack holds each dropped
// stream's data and trailers until it can send them, which is never.
func TestZeroWindowStreamsReleased(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 streams")
	}
	const (
		conns, streams = 2, 1000
		broadcasts     = 100
		payload        = 60 << 10
		timeout        = 2 * time.Second
		grace          = 5 * time.Second
		within         = 20 << 20
	)
	for _, stack := range serverStacks {
		t.Run(stack.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			gw := newBoundsGateway(t, Config{SlowClientTimeout: timeout})
			addr := stack.start(t, gw, DefaultLimits())
			before, rssBefore := heapInuse(), readProcKB("VmRSS")
			var clients []*rawClient
			for range conns {
				c := dialRaw(t, addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
				for i := range streams {
					if err := c.subscribe(uint32(2*i + 1)); err != nil {
						t.Fatal(err)
					}
				}
				clients = append(clients, c)
			}
			testutil.WaitFor(ctx, t, "2,000 streams registered", func() bool { return gw.clients() == conns*streams })
			peak := samplePeak(t)
			body := make([]byte, payload)
			sent := time.Now()
			for i := range broadcasts {
				gw.Dispatch(pushEvent(fmt.Sprintf("c%d", i), "", body))
			}
			deadline := sent.Add(timeout + grace)
			var now uint64
			for {
				now = heapInuse()
				if (now <= before+within && gw.clients() == 0) || time.Now().After(deadline) {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatal(ctx.Err())
				case <-time.After(50 * time.Millisecond):
				}
			}
			t.Logf("heap_inuse before %d MiB, peak %d MiB, %v after the first broadcast %d MiB; RSS before %d MiB, high-water %d MiB, now %d MiB (attackers included); server closed %d of %d connections",
				before>>20, peak()>>20, time.Since(sent).Round(100*time.Millisecond), now>>20,
				rssBefore>>10, readProcKB("VmHWM")>>10, readProcKB("VmRSS")>>10, countClosed(clients), conns)
			if now > before+within {
				t.Errorf("heap_inuse %v after the last broadcast = %d MiB, want within %d MiB of %d MiB (its value before the attack)",
					timeout+grace, now>>20, within>>20, before>>20)
			}
			if n := gw.clients(); n != 0 {
				t.Errorf("clients() = %d, want 0: every stalled stream dropped", n)
			}
			for i, c := range clients {
				if !c.closed() {
					t.Errorf("zero-window connection %d still open, want it closed as it cannot be flushed", i)
				}
			}
		})
	}
}

// samplePeak samples heap_inuse every 10 ms until the test ends or the
// returned func is called, which returns the largest sample.
func samplePeak(t *testing.T) func() uint64 {
	stop, done := make(chan struct{}), make(chan uint64, 1)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	var peak uint64
	get := func() uint64 {
		once.Do(func() { close(stop); peak = <-done })
		return peak
	}
	t.Cleanup(func() { get() })
	return get
}

func countClosed(cs []*rawClient) int {
	n := 0
	for _, c := range cs {
		if c.closed() {
			n++
		}
	}
	return n
}

// TestSilentSocketsDoNotLockOut fills every --max-connections slot with
// sockets that never send the HTTP/2 preface. They are closed at the
// handshake timeout, so a real client is served within it (plus slack),
// not after grpc-go's default 120 s.
func TestSilentSocketsDoNotLockOut(t *testing.T) {
	const (
		slots     = 100
		handshake = 500 * time.Millisecond
		slack     = 3 * time.Second
	)
	for _, stack := range serverStacks {
		t.Run(stack.name, func(t *testing.T) {
			ctx := testContext(t)
			lim := DefaultLimits()
			lim.MaxConnections, lim.HandshakeTimeout = slots, handshake
			gw := newBoundsGateway(t, Config{})
			addr := stack.start(t, gw, lim)
			var silent []net.Conn
			for range slots {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				silent = append(silent, c)
			}
			defer func() {
				for _, c := range silent {
					c.Close()
				}
			}()
			begin := time.Now()
			sctx, cancel := context.WithTimeout(ctx, handshake+slack)
			defer cancel()
			st, err := dialGRPC(t, addr).Subscribe(sctx, &gatewayv1.SubscribeRequest{})
			if err == nil {
				_, err = st.Header()
			}
			if err != nil {
				t.Fatalf("Subscribe with %d silent sockets holding every slot = %v after %v, want served within the handshake timeout %v (+ %v)",
					slots, err, time.Since(begin).Round(time.Millisecond), handshake, slack)
			}
			t.Logf("served after %v with %d silent sockets", time.Since(begin).Round(time.Millisecond), slots)
		})
	}
}

// TestIdleConnectionClosed: a connection that completes its handshake and
// opens no stream is sent GOAWAY and closed after MaxConnectionIdle; one
// holding a stream is not.
func TestIdleConnectionClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	for _, stack := range serverStacks {
		t.Run(stack.name, func(t *testing.T) {
			ctx := testContext(t)
			lim := DefaultLimits()
			lim.MaxConnectionIdle = idle
			gw := newBoundsGateway(t, Config{})
			addr := stack.start(t, gw, lim)
			busy := dialRaw(t, addr)
			if err := busy.subscribe(1); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(ctx, t, "the stream registered", func() bool { return gw.clients() == 1 })
			idler := dialRaw(t, addr)
			begin := time.Now()
			// Closed within the idle time and the server's GOAWAY round
			// trip (a PING, answered at once here).
			if !idler.waitClosed(idle + 2*time.Second) {
				t.Fatalf("connection without streams still open %v after it connected, want closed after %v idle", time.Since(begin), idle)
			}
			idler.mu.Lock()
			goAway := idler.goAway
			idler.mu.Unlock()
			if !goAway {
				t.Errorf("idle connection closed without GOAWAY, want a graceful close")
			}
			if busy.closed() {
				t.Errorf("connection with a stream closed as idle, want it kept")
			}
		})
	}
}
