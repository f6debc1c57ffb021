package gateway

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// stallConn is a client connection whose reads can be stopped dead, as when
// a browser tab freezes or a peer's network black-holes: from stall on, no
// byte is read, so no WINDOW_UPDATE, SETTINGS ack or PING ack goes back.
type stallConn struct {
	net.Conn
	stall   chan struct{} // closed: Read blocks until release
	release chan struct{} // closed: blocked reads fail
	once    sync.Once
}

func (c *stallConn) Read(p []byte) (int, error) {
	select {
	case <-c.stall:
		<-c.release
		return 0, net.ErrClosed
	default:
	}
	return c.Conn.Read(p)
}

// Close releases a stalled Read first, so grpc's reader goroutine can end.
func (c *stallConn) Close() error {
	c.once.Do(func() { close(c.release) })
	return c.Conn.Close()
}

// arrival is one message a client received, with when.
type arrival struct {
	at        time.Time
	heartbeat bool
	id        string
}

// streamRecorder reads one client stream until it fails, logging arrivals.
type streamRecorder struct {
	start time.Time // the response header's arrival

	mu   sync.Mutex
	log  []arrival
	err  error
	done bool
}

func (r *streamRecorder) run(st grpc.ServerStreamingClient[gatewayv1.GatewayEvent]) {
	for {
		ev, err := st.Recv()
		now := time.Now()
		r.mu.Lock()
		if err != nil {
			r.err, r.done = err, true
			r.mu.Unlock()
			return
		}
		hb := ev.GetEventType() == gatewayv1.HeartbeatEventType
		r.log = append(r.log, arrival{at: now, heartbeat: hb, id: ev.GetEventId()})
		r.mu.Unlock()
	}
}

// counts returns the events and heartbeats received so far, and whether the
// stream has failed.
func (r *streamRecorder) counts() (events, heartbeats int, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.log {
		if a.heartbeat {
			heartbeats++
		} else {
			events++
		}
	}
	return events, heartbeats, r.done
}

// maxGap is the longest silence the client saw, from its header on.
func (r *streamRecorder) maxGap() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var longest time.Duration
	prev := r.start
	for _, a := range r.log {
		longest = max(longest, a.at.Sub(prev))
		prev = a.at
	}
	return longest
}

func (r *streamRecorder) eventIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, a := range r.log {
		if !a.heartbeat {
			out = append(out, a.id)
		}
	}
	return out
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestBlackHoledClient stops one client reading its TCP connection while
// events flow to it and to three well-behaved clients, each on its own
// connection. The black-holed client's send blocks on HTTP/2 flow control
// and, with no further event dispatched, it is ended with
// ResourceExhausted once the block has lasted the slow-client timeout; what
// flows past it afterwards is not retained beyond the window's bytes.
// Meanwhile every other client gets every event in order, and no silence
// on their streams exceeds the heartbeat interval by more than the slack.
func TestBlackHoledClient(t *testing.T) {
	ctx := testContext(t)
	const (
		hb = 50 * time.Millisecond
		// slack absorbs timer and scheduling latency under the race
		// detector on a loaded 2-core machine; the gaps measured are
		// typically within a few ms of hb.
		slack   = 150 * time.Millisecond
		timeout = 400 * time.Millisecond
		batch   = 8
		payload = 16 << 10
		good    = 3
		window  = 1 << 20 // bytes the window may keep
		// total events dispatched after the black hole is dropped: 4 MiB of
		// payload that a client without a bound would keep.
		after = 256
	)
	meter, reader := newTestMeter(t)
	gw, err := New(Config{Heartbeat: hb, SlowClientTimeout: timeout, ReplayBytes: window, SigningKey: testKey, Meter: meter})
	if err != nil {
		t.Fatal(err)
	}
	// ends receives the error of every Subscribe handler that returns.
	ends := make(chan error, 16)
	srv := grpc.NewServer(grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		err := h(srv, ss)
		ends <- err
		return err
	}))
	gatewayv1.RegisterGatewayServer(srv, gw)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(served) }()
	t.Cleanup(func() {
		gw.Close()
		srv.Stop()
		<-served
	})

	dial := func(dialer func(context.Context, string) (net.Conn, error), opts ...grpc.DialOption) gatewayv1.GatewayClient {
		opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
		if dialer != nil {
			opts = append(opts, grpc.WithContextDialer(dialer))
		}
		conn, err := grpc.NewClient(lis.Addr().String(), opts...)
		if err != nil {
			t.Fatalf("grpc.NewClient() = %v", err)
		}
		t.Cleanup(func() { conn.Close() })
		return gatewayv1.NewGatewayClient(conn)
	}

	// The well-behaved clients read everything, on connections of their own.
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after cancel: cleanups run last-in first-out
	t.Cleanup(cancel)
	recs := make([]*streamRecorder, good)
	for i := range recs {
		st := openStream(sctx, t, dial(nil), "")
		recs[i] = &streamRecorder{start: time.Now()}
		wg.Add(1)
		go func() { defer wg.Done(); recs[i].run(st) }()
	}

	// The black hole: fixed 64 KiB windows (no BDP growth), so its stream
	// stalls after ~128 KiB (window plus the server's write quota).
	stall := make(chan struct{})
	holeClient := dial(func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &stallConn{Conn: c, stall: stall, release: make(chan struct{})}, nil
	}, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	openStream(sctx, t, holeClient, "")
	close(stall)

	body := make([]byte, payload)
	var dispatched []string
	dispatch := func(n int) {
		for range n {
			id := fmt.Sprintf("c%d", len(dispatched))
			dispatched = append(dispatched, id)
			gw.Dispatch(pushEvent(id, "u1", body))
		}
		// Paced by the good clients, whatever the scheduler does.
		testutil.WaitFor(ctx, t, fmt.Sprintf("good clients to receive %d events", len(dispatched)), func() bool {
			for _, r := range recs {
				if ev, _, failed := r.counts(); failed || ev < len(dispatched) {
					return failed
				}
			}
			return true
		})
	}
	heartbeatsAfter := func(what string, n int) {
		want := make([]int, good)
		for i, r := range recs {
			_, h, _ := r.counts()
			want[i] = h + n
		}
		testutil.WaitFor(ctx, t, what, func() bool {
			for i, r := range recs {
				if _, h, failed := r.counts(); failed || h < want[i] {
					return failed
				}
			}
			return true
		})
	}

	// Phase 1: events flow until the black hole lags with a send stuck
	// (the good clients have everything, so the lag is its).
	for gw.maxLag() == 0 || gw.sending() == 0 {
		if len(dispatched) > 64*batch {
			t.Fatalf("black-holed client still keeps up after %d events of %d bytes", len(dispatched), payload)
		}
		dispatch(batch)
	}
	stuckSeen := time.Now()
	stuckAt := len(dispatched)

	// Phase 2: nothing more is dispatched; the timeout alone ends it, and
	// the others get their heartbeats on time meanwhile.
	var dropped time.Time
	select {
	case err := <-ends:
		dropped = time.Now()
		want := "client stopped reading: no event accepted for 400ms; resume with last_event_id"
		if st := status.Convert(err); st.Code() != codes.ResourceExhausted || st.Message() != want {
			t.Errorf("black hole's handler returned %v, want ResourceExhausted %q", err, want)
		}
	case <-ctx.Done():
		t.Fatal("black hole's handler did not return after the slow-client timeout")
	}
	if took := dropped.Sub(stuckSeen); took > timeout+slack {
		t.Errorf("black hole dropped %v after it was seen stuck, want within the timeout %v (+ slack %v)", took, timeout, slack)
	}
	if d := metricValue(t, reader, dropsName, reasonStalled); d != 1 {
		t.Errorf("%s{stalled} = %d, want 1", dropsName, d)
	}
	testutil.WaitFor(ctx, t, "active streams back to the good clients", func() bool {
		return metricValue(t, reader, activeStreamsName) == good
	})

	// Phase 3: events keep flowing past the dropped client (which still
	// holds its connection, stalled); none of them is kept for it, and the
	// window keeps at most its bytes.
	base := heapInUse()
	for range after / batch {
		dispatch(batch)
	}
	heartbeatsAfter("two heartbeats each after the last event", 2)
	grown := int64(heapInUse()) - int64(base)
	if limit := int64(window + after*payload/4); grown > limit {
		t.Errorf("heap grew %d bytes over %d events of %d bytes past a black hole, want at most %d (the window's %d and slack)", grown, after, payload, limit, window)
	}

	select {
	case err := <-ends:
		t.Errorf("a good client's handler returned %v, want it still serving", err)
	default:
	}
	for i, r := range recs {
		if _, _, failed := r.counts(); failed {
			t.Errorf("good client %d failed: %v", i, r.err)
		}
		if got := r.eventIDs(); !slices.Equal(got, dispatched) {
			t.Errorf("good client %d got %d events, want all %d in order", i, len(got), len(dispatched))
		}
		if g := r.maxGap(); g > hb+slack {
			t.Errorf("good client %d longest silence = %v, want at most %v (heartbeat %v + slack %v)", i, g, hb+slack, hb, slack)
		}
	}
	t.Logf("black hole stuck after %d events, dropped %v after seen stuck; heap grew %d bytes over %d further events of %d bytes",
		stuckAt, dropped.Sub(stuckSeen), grown, after, payload)
}
