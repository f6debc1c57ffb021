package cli

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// verifyNoLeaks checks, once every other cleanup of t has run, that t left
// no goroutine behind; call it first in the test.
func verifyNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// recvStatus reads a stream to its end and returns the final status.
func recvStatus[T any](st interface{ Recv() (T, error) }) *status.Status {
	for {
		if _, err := st.Recv(); err != nil {
			return status.Convert(err)
		}
	}
}

// TestServeShutdownEndsStreams stops serve as SIGTERM does while three
// gateway client streams and a backend subscription are live and receiving:
// each ends with Unavailable and a message that says the server is going
// away, serve drains gracefully (no deadline) and exits 0, and neither the
// pipeline nor its servers leave a goroutine behind.
func TestServeShutdownEndsStreams(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	const drain = 3 * time.Second
	s := startInproc(ctx, t, "--publish-rate", "200", "--heartbeat", "50ms",
		"--drain-timeout", drain.String(), "--log-level", "info")

	gw := gatewayv1.NewGatewayClient(s.dial(t))
	var gwStreams []grpc.ServerStreamingClient[gatewayv1.GatewayEvent]
	for range 3 {
		st, err := gw.Subscribe(ctx, &gatewayv1.SubscribeRequest{})
		if err != nil {
			t.Fatalf("Subscribe() = %v", err)
		}
		// A real event proves the stream is live end to end.
		for {
			ev, err := st.Recv()
			if err != nil {
				t.Fatalf("gateway Recv() = %v, want events\n%s", err, s.stderr)
			}
			if ev.GetEventType() == "synthetic.tick" {
				break
			}
		}
		gwStreams = append(gwStreams, st)
	}
	push := pushv1.NewPushClient(s.dial(t))
	be, err := push.SubscribePush(ctx, &pushv1.GatewaySubscribeRequest{GatewayClientId: "shutdown-test"})
	if err != nil {
		t.Fatalf("SubscribePush() = %v", err)
	}
	if _, err := be.Recv(); err != nil {
		t.Fatalf("backend Recv() = %v, want an event", err)
	}

	code, took := s.shutdown(ctx, t)
	if code != ExitOK || took >= drain {
		t.Errorf("serve after SIGTERM = exit %d after %v, want 0 within --drain-timeout %v", code, took, drain)
	}
	for i, st := range gwStreams {
		if got := recvStatus[*gatewayv1.GatewayEvent](st); got.Code() != codes.Unavailable || got.Message() != "gateway shutting down" {
			t.Errorf("gateway stream %d ended with %v, want Unavailable \"gateway shutting down\"", i, got)
		}
	}
	if got := recvStatus[*pushv1.PushEvent](be); got.Code() != codes.Unavailable || got.Message() != "backend shutting down" {
		t.Errorf("backend stream ended with %v, want Unavailable \"backend shutting down\"", got)
	}
	logs := s.stderr.String()
	if !strings.Contains(logs, "drained") || strings.Contains(logs, "drain deadline passed") {
		t.Errorf("serve log = %q, want a graceful drain (\"drained\"), not the deadline", logs)
	}
}

// scrapeCounter reads one unlabelled counter from a Prometheus endpoint.
func scrapeCounter(ctx context.Context, addr, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /metrics", name)
}

// TestServeDrainDeadline stops serve while a client that never reads holds
// a stream whose sends are blocked on flow control. Its status cannot be
// delivered behind the unsent data, so a graceful stop would wait for ever:
// serve must give up at --drain-timeout, close the connection, and still
// exit 0, leaving no goroutine behind.
func TestServeDrainDeadline(t *testing.T) {
	verifyNoLeaks(t)
	ctx := testContext(t)
	const drain = 500 * time.Millisecond
	s := startInproc(ctx, t, "--heartbeat", "0", "--drain-timeout", drain.String(),
		"--metrics-listen", "127.0.0.1:0", "--log-level", "info")

	// A fixed 64 KiB window: the stream stalls after one 64 KiB event.
	stuck := gatewayv1.NewGatewayClient(s.dial(t, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10)))
	st, err := stuck.Subscribe(ctx, &gatewayv1.SubscribeRequest{})
	if err != nil {
		t.Fatalf("Subscribe() = %v", err)
	}
	if _, err := st.Header(); err != nil {
		t.Fatalf("Subscribe().Header() = %v", err)
	}
	push := pushv1.NewPushClient(s.dial(t))
	payload := make([]byte, 64<<10)
	for range 3 {
		if _, err := push.Publish(ctx, &pushv1.PublishRequest{EventType: "big", Payload: payload}); err != nil {
			t.Fatalf("Publish(64 KiB) = %v", err)
		}
	}
	// Two sends complete (the first fills the window, the second the
	// server's write quota); the third blocks, leaving data queued in the
	// transport ahead of any status.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for ; ; <-tick.C {
		n, err := scrapeCounter(ctx, s.info.MetricsAddr, "galaxy_gateway_events_sent_total")
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		if n == 2 {
			break
		}
		if n > 2 || ctx.Err() != nil {
			t.Fatalf("galaxy_gateway_events_sent_total = %v, want 2 (the third send blocked): %v", n, ctx.Err())
		}
	}

	code, took := s.shutdown(ctx, t)
	if code != ExitOK || took < drain || took > drain+2*time.Second {
		t.Errorf("serve after SIGTERM with a stuck stream = exit %d after %v, want 0 after --drain-timeout %v (and not 2s more)", code, took, drain)
	}
	if logs := s.stderr.String(); !strings.Contains(logs, "drain deadline passed; closing remaining connections") {
		t.Errorf("serve log = %q, want the drain deadline reported", logs)
	}
}
