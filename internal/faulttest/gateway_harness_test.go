package faulttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/subscribe"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// gatewayServer is a gateway.Server behind a real gRPC server on loopback,
// with serve's limits, consuming a backend at backendAddr (usually a
// proxy's). dispatched records what its subscriber handed to Dispatch.
type gatewayServer struct {
	gw   *gateway.Server
	addr string
	sub  *recorder // the gateway's subscriber: its handled cursors and starts
}

// startGateway serves a gateway for cfg and starts its subscriber.
func startGateway(t *testing.T, ctx context.Context, backendAddr string, cfg gateway.Config) *gatewayServer {
	t.Helper()
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New(%+v) = %v, want no error", cfg, err)
	}
	srv := grpc.NewServer(gateway.DefaultLimits().GRPCServerOptions(gateway.NewConnTracker(nil), nil)...)
	gatewayv1.RegisterGatewayServer(srv, gw)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(served) }()
	g := &gatewayServer{gw: gw, addr: ln.Addr().String(), sub: newRecorder()}
	cctx, cancel := context.WithCancel(ctx)
	consumed := make(chan error, 1)
	go func() {
		consumed <- gw.Consume(cctx, g.sub.configure(subscribe.Config{
			ClientID: "gw-fault",
			Client:   pushv1.NewPushClient(dial(t, backendAddr)),
			Backoff:  quickBackoff,
		}))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-consumed; err != nil {
			t.Errorf("Consume() = %v, want nil after cancel", err)
		}
		gw.Close()
		srv.Stop()
		<-served
	})
	g.sub.wait(t, ctx, "the gateway's first stream", func(s snapshot) bool { return len(s.starts) == 1 })
	return g
}

// gatewayClient reads one Subscribe stream (no resume: a drop is final)
// and records what it got.
type gatewayClient struct {
	rate int // events read per second at most; 0: as fast as they come

	mu      sync.Mutex
	ids     []string
	err     error // how the stream ended; nil while it runs
	changed chan struct{}
}

// startClients opens n live streams on connections of their own and
// returns once every one is registered.
func startClients(t *testing.T, ctx context.Context, addr string, n int, opts ...grpc.DialOption) []*gatewayClient {
	t.Helper()
	return startReaders(t, ctx, addr, n, 0, opts...)
}

// startReaders is startClients for clients that read at most rate events
// a second (0: no limit), as clients on real networks do.
func startReaders(t *testing.T, ctx context.Context, addr string, n, rate int, opts ...grpc.DialOption) []*gatewayClient {
	t.Helper()
	cs := make([]*gatewayClient, n)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for i := range cs {
		c := &gatewayClient{rate: rate, changed: make(chan struct{})}
		cs[i] = c
		conn := dial(t, addr, opts...)
		st, err := gatewayv1.NewGatewayClient(conn).Subscribe(ctx, &gatewayv1.SubscribeRequest{})
		if err == nil {
			_, err = st.Header()
		}
		if err != nil {
			t.Fatalf("client %d Subscribe() = %v", i, err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); c.run(st) }()
	}
	return cs
}

func (c *gatewayClient) run(st grpc.ServerStreamingClient[gatewayv1.GatewayEvent]) {
	var tick <-chan time.Time
	if c.rate > 0 {
		t := time.NewTicker(readTick)
		defer t.Stop()
		tick = t.C
	}
	tokens := 0
	for {
		// A paced reader takes rate*readTick events per tick; what it has
		// not read waits in the stack's buffers, and the gateway's.
		for tick != nil && tokens == 0 {
			<-tick
			tokens = max(1, int(float64(c.rate)*readTick.Seconds()))
		}
		tokens--
		ev, err := st.Recv()
		c.mu.Lock()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("stream ended with OK")
			}
			c.err = err
		} else if ev.GetEventType() != gatewayv1.HeartbeatEventType {
			c.ids = append(c.ids, ev.GetEventId())
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (c *gatewayClient) state() ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ids), c.err
}

// waitFor waits until the client has received id or its stream ended.
func (c *gatewayClient) waitFor(ctx context.Context, id string) error {
	for {
		c.mu.Lock()
		done := c.err != nil || (len(c.ids) > 0 && c.ids[len(c.ids)-1] == id) || slices.Contains(c.ids, id)
		changed := c.changed
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// readTick is how often a paced reader's allowance is renewed.
const readTick = 5 * time.Millisecond

// delivery is what the clients got against what they should have.
type delivery struct {
	dropped, lostEvents, duplicates int
	worst                           string
}

// checkClients waits until every client has want's last event or has
// ended, and counts drops, lost events and duplicates over all of them.
func checkClients(t *testing.T, ctx context.Context, cs []*gatewayClient, want []string) delivery {
	t.Helper()
	var d delivery
	for i, c := range cs {
		if err := c.waitFor(ctx, want[len(want)-1]); err != nil {
			got, _ := c.state()
			t.Fatalf("client %d: waiting for %s: %v (has %d of %d events)", i, want[len(want)-1], err, len(got), len(want))
		}
		got, err := c.state()
		if err != nil {
			d.dropped++
			if status.Code(err) != codes.ResourceExhausted {
				t.Errorf("client %d ended with %v", i, err)
			}
		}
		seen := make(map[string]int, len(got))
		for _, id := range got {
			seen[id]++
		}
		lost := 0
		for _, id := range want {
			if seen[id] == 0 {
				lost++
			}
		}
		d.lostEvents += lost
		d.duplicates += len(got) - len(seen)
		if diff := compareDelivery(want, got); diff != "" && d.worst == "" {
			d.worst = fmt.Sprintf("client %d: %s (ended: %v)", i, diff, err)
		}
	}
	return d
}

// publisher appends events to the current backend at a steady rate until
// stopped, in ticks of 1 ms.
type publisher struct {
	payload []byte
	mu      sync.Mutex
	target  *backendServer
	byInc   map[*backendServer][]string
	stop    chan struct{}
	done    chan struct{}
}

func startPublisher(b *backendServer, perSecond int) *publisher {
	return startPublisherSized(b, perSecond, 1)
}

// startPublisherSized publishes events with payloads of size bytes.
func startPublisherSized(b *backendServer, perSecond, size int) *publisher {
	p := &publisher{payload: make([]byte, size), target: b, byInc: map[*backendServer][]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		begin, sent := time.Now(), 0
		for {
			select {
			case <-p.stop:
				return
			case now := <-tick.C:
				due := int(now.Sub(begin).Seconds() * float64(perSecond))
				p.mu.Lock()
				for ; sent < due; sent++ {
					if p.target != nil {
						c := p.target.srv.Append("fault.test", "u1", p.payload)
						p.byInc[p.target] = append(p.byInc[p.target], c)
					}
				}
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// retarget publishes to b from now on; nil pauses (a crashed backend).
func (p *publisher) retarget(b *backendServer) {
	p.mu.Lock()
	p.target = b
	p.mu.Unlock()
}

func (p *publisher) count(b *backendServer) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byInc[b])
}

// halt stops publishing and returns what was published to each backend.
func (p *publisher) halt() map[*backendServer][]string {
	close(p.stop)
	<-p.done
	return p.byInc
}
