package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock/clocktest"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

type gatewayStream = grpc.ServerStreamingServer[gatewayv1.GatewayEvent]

// sendThen sends events with the given ids, then ends the stream with err.
func sendThen(err error, ids ...string) func(int, *gatewayv1.SubscribeRequest, gatewayStream) error {
	return func(_ int, _ *gatewayv1.SubscribeRequest, st gatewayStream) error {
		for _, id := range ids {
			if e := st.Send(&gatewayv1.GatewayEvent{EventId: id, EventType: "test.event"}); e != nil {
				return e
			}
		}
		return err
	}
}

// gatewayTail is a tail of a stub gateway with a driven fake clock, a
// centred jitter draw and recorded waits.
type gatewayTail struct {
	o      *tailOptions
	stub   *stubServer
	conn   *grpc.ClientConn
	out    *syncBuffer
	errOut *syncBuffer

	mu     sync.Mutex
	delays []time.Duration
}

func newGatewayTail(t *testing.T, steps ...func(int, *gatewayv1.SubscribeRequest, gatewayStream) error) *gatewayTail {
	t.Helper()
	gt := &gatewayTail{out: &syncBuffer{}, errOut: &syncBuffer{}}
	gt.stub = newStubServer(t, &stubServer{gateway: func(call int, req *gatewayv1.SubscribeRequest, st gatewayStream) error {
		return steps[min(call, len(steps)-1)](call, req, st)
	}})
	gt.conn = gt.stub.conn(t)
	g := &globalOptions{streams: IOStreams{Out: gt.out, ErrOut: gt.errOut}}
	l, err := newLogger(gt.errOut, "info", "console")
	if err != nil {
		t.Fatal(err)
	}
	g.logger = l
	clk := clocktest.New(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	wait := clk.Drive(ctx, func(d time.Duration) {
		gt.mu.Lock()
		gt.delays = append(gt.delays, d)
		gt.mu.Unlock()
	})
	t.Cleanup(func() { cancel(); wait() })
	gt.o = &tailOptions{g: g, target: "gateway", output: "json", backoffBase: 100 * time.Millisecond,
		backoffMax: time.Second, clock: clk, rand: func() float64 { return 0.5 }}
	gt.o.client.addr = "gw.test:443"
	return gt
}

// run runs the gateway tail until count events were printed.
func (gt *gatewayTail) run(ctx context.Context, count int) error {
	ctx, done := context.WithCancel(ctx)
	defer done()
	p := newEventPrinter(gt.out, printerOptions{output: gt.o.output, heartbeats: gt.o.heartbeats, now: time.Now})
	st := &tailState{want: count, done: done}
	return gt.o.runGateway(ctx, gt.conn, p, st)
}

func (gt *gatewayTail) waits() []time.Duration {
	gt.mu.Lock()
	defer gt.mu.Unlock()
	return slices.Clone(gt.delays)
}

// TestTailGatewayReconnects fails streams with and without events and
// checks each wait, that an event resets the backoff, and the log lines.
func TestTailGatewayReconnects(t *testing.T) {
	ctx := testContext(t)
	unavailable := status.Error(codes.Unavailable, "gateway restarting")
	gt := newGatewayTail(t,
		sendThen(unavailable, "e1"),
		sendThen(unavailable),
		sendThen(nil), // the gateway ends the stream with OK: retried too
		sendThen(unavailable, "e2"),
		sendThen(nil, "e3"),
	)
	if err := gt.run(ctx, 3); err != nil {
		t.Fatalf("runGateway(-n 3) = %v, want nil", err)
	}
	ms := time.Millisecond
	if got, want := gt.waits(), []time.Duration{100 * ms, 200 * ms, 400 * ms, 100 * ms}; !slices.Equal(got, want) {
		t.Errorf("reconnect waits = %v, want %v", got, want)
	}
	for _, id := range []string{"e1", "e2", "e3"} {
		if !strings.Contains(gt.out.String(), fmt.Sprintf("%q", id)) {
			t.Errorf("output = %q, want event %s", gt.out, id)
		}
	}
	logs := gt.errOut.String()
	for _, want := range []string{"stream lost; reconnecting", `"attempt": 3`, "the gateway closed the stream", "gateway restarting"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs = %q, want %q", logs, want)
		}
	}
}

func TestTailGatewayStops(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		noReconnect bool
		want        string
	}{
		{"permission denied", status.Error(codes.PermissionDenied, "not yours"), false, "PermissionDenied"},
		{"unimplemented", status.Error(codes.Unimplemented, "no Gateway here"), false, "Unimplemented"},
		{"closed with --no-reconnect", nil, true, "the gateway closed the stream"},
		{"unavailable with --no-reconnect", status.Error(codes.Unavailable, "down"), true, "Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gt := newGatewayTail(t, sendThen(tt.err, "e1"))
			gt.o.noReconnect = tt.noReconnect
			err := gt.run(testContext(t), 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tail gateway gw.test:443: ") {
				t.Errorf("runGateway() = %v, want an error naming the gateway and %q", err, tt.want)
			}
			if n := gt.stub.count("Subscribe"); n != 1 {
				t.Errorf("Subscribe calls = %d, want 1", n)
			}
			if w := gt.waits(); len(w) != 0 {
				t.Errorf("reconnect waits = %v, want none", w)
			}
		})
	}
}

// TestTailGatewayCancelInWait ends the tail while it waits to reconnect:
// a normal stop, not an error.
func TestTailGatewayCancelInWait(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	gt := newGatewayTail(t, sendThen(status.Error(codes.Unavailable, "down")))
	clk := clocktest.New(time.Time{}) // not driven: the wait lasts until cancelled
	gt.o.clock = clk
	done := make(chan error, 1)
	go func() { done <- gt.run(ctx, 0) }()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("waiting for the reconnect wait: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("runGateway() cancelled in its wait = %v, want nil", err)
	}
	if clk.Pending() != 0 {
		t.Errorf("armed timers after cancel = %d, want 0", clk.Pending())
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("test deadline passed")
	}
}

// TestTailGatewayResume tails a gateway for three events while events are
// published, runs the resume command it prints (the first event_id it did
// not print comes from the gateway's window), and checks that the two runs
// together saw the published sequence with no event missing or twice.
func TestTailGatewayResume(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	s := startInproc(ctx, t, "--heartbeat", "0")
	push := pushv1.NewPushClient(s.dial(t))

	// Publish until told to stop; the tail starts live, so events flow
	// from before it subscribes to after the resumed run ends.
	var mu sync.Mutex
	var published []string
	pctx, stopPublishing := context.WithCancel(ctx)
	publisherDone := make(chan struct{})
	go func() {
		defer close(publisherDone)
		for i := 0; pctx.Err() == nil; i++ {
			resp, err := push.Publish(pctx, &pushv1.PublishRequest{EventType: "t", Payload: []byte(fmt.Sprint(i))})
			if err != nil {
				return
			}
			mu.Lock()
			published = append(published, resp.GetCursor())
			mu.Unlock()
		}
	}()
	defer func() { stopPublishing(); <-publisherDone }()

	tailIDs := func(args ...string) ([]string, string) {
		t.Helper()
		streams, out, errOut := testStreams()
		argv := append([]string{"tail", "--target", "gateway", "--addr", s.addr, "-o", "json", "--log-level", "error"}, args...)
		if code := Main(ctx, argv, streams); code != ExitOK {
			t.Fatalf("Main(%v) = %d, want %d; stderr:\n%s", argv, code, ExitOK, errOut)
		}
		var ids []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var e tailEvent
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("tail -o json line %q: %v", l, err)
			}
			ids = append(ids, e.EventID)
		}
		return ids, errOut.String()
	}

	first, stderr := tailIDs("-n", "3")
	want := fmt.Sprintf("resume with: galaxyctl tail --target gateway --addr %s -o json --cursor %s\n", s.addr, first[2])
	if !strings.HasSuffix(stderr, want) {
		t.Fatalf("tail stderr = %q, want it to end %q", stderr, want)
	}
	second, _ := tailIDs("-n", "5", "--cursor", first[2])
	stopPublishing()
	<-publisherDone

	got := append(first, second...)
	mu.Lock()
	defer mu.Unlock()
	at := slices.Index(published, got[0])
	if at < 0 || at+len(got) > len(published) || !slices.Equal(published[at:at+len(got)], got) {
		t.Errorf("tail then its resume command printed %v, want %d consecutive published events (published %v)", got, len(got), published)
	}
}
