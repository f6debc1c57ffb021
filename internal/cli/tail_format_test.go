package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"galaxy/galaxyctl/internal/clock/clocktest"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestTailHeartbeatJSON: a heartbeat's JSON line has no empty cursor, and
// the first one on a stream has its gap_ms, measured from the stream's
// start.
func TestTailHeartbeatJSON(t *testing.T) {
	hb := &gatewayv1.GatewayEvent{EventType: gatewayv1.HeartbeatEventType}
	r := runTail(t, &stubServer{gateway: sendEvents(nil, true, hb)}, nil, "--target", "gateway", "--heartbeats", "-n", "1", "-o", "json")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.out.String()), &m); err != nil {
		t.Fatalf("tail --heartbeats -o json = %q: %v", r.out, err)
	}
	if _, ok := m["cursor"]; ok {
		t.Errorf("heartbeat line = %s, want no cursor key", r.out)
	}
	if _, ok := m["gap_ms"]; !ok {
		t.Errorf("first heartbeat line = %s, want gap_ms (from the stream's start)", r.out)
	}

	var out syncBuffer
	now := tailAt
	p := newEventPrinter(&out, printerOptions{output: "json", heartbeats: true, now: func() time.Time { return now }})
	p.streamStarted()
	now = now.Add(1500 * time.Millisecond)
	if _, err := p.printHeartbeat(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"gap_ms":1500`) {
		t.Errorf("first heartbeat 1.5s after the stream started = %s, want gap_ms 1500", out.String())
	}
}

// TestTailPrettyColumns: long types and users are cut with an ellipsis so
// the columns after them line up, latency reads like 30.0s, and payloads
// are cut to the terminal's width unless --wide.
func TestTailPrettyColumns(t *testing.T) {
	long := `{"text":"` + strings.Repeat("lorem ipsum ", 20) + `"}`
	send := func(_ int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
		if err := st.SendHeader(nil); err != nil {
			return err
		}
		for i, ev := range []*pushv1.PushEvent{
			{EventType: "order.created", UserId: "u1", Payload: []byte(`{"id":1}`), CreatedAt: timestamppb.New(tailAt.Add(-300 * time.Microsecond))},
			{EventType: "a.very.long.event.type.name.from.somewhere", UserId: "user-with-a-rather-long-id", Payload: []byte(long),
				CreatedAt: timestamppb.New(tailAt.Add(-30 * time.Second))},
			{EventType: "t", Payload: []byte("x")},
		} {
			ev.Cursor = gwCursor(i + 1)
			if err := st.Send(ev); err != nil {
				return err
			}
		}
		<-st.Context().Done()
		return nil
	}
	for _, wide := range []bool{false, true} {
		args := []string{"-n", "3"}
		if wide {
			args = append(args, "--wide")
		}
		stub := newStubServer(t, &stubServer{subscribe: send})
		r := newCmdResult()
		r.outWidth = 100
		r = runCommandTo(testContext(t), t, r, newTailCmd, append([]string{"--addr", "127.0.0.1:7999"}, args...), nil,
			func(ctx context.Context, o *tailOptions) error {
				o.client.dialer = stub.dialer
				o.clock = clocktest.New(tailAt)
				return o.run(ctx)
			})
		lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
		if r.err != nil || len(lines) != 3 {
			t.Fatalf("tail %v = %v, %q; want 3 lines", args, r.err, r.out)
		}
		col := -1
		for i, l := range lines {
			c := strings.Index(l, gwCursor(i+1))
			if c < 0 {
				t.Fatalf("line %q lacks its cursor", l)
			}
			if w := ansi.StringWidth(l[:c]); col >= 0 && w != col {
				t.Errorf("tail pretty: cursor of line %d at column %d, line 1's at %d:\n%s", i+1, w, col, r.out)
			} else {
				col = w
			}
			if w := ansi.StringWidth(l); !wide && w > 100 {
				t.Errorf("tail pretty line is %d wide on a 100-column terminal: %q", w, l)
			}
		}
		for _, want := range []string{"0.3ms", "a.very.long.event.t…", "user-with…", "30.0s"} {
			if !strings.Contains(lines[0]+lines[1], want) {
				t.Errorf("tail pretty = %q, want %q", r.out, want)
			}
		}
		if got := strings.Contains(lines[1], long); got != wide {
			t.Errorf("tail %v: whole payload shown = %v, want %v:\n%s", args, got, wide, lines[1])
		}
	}
}

// TestTailReconnectWording: both tails warn of a reconnect in one wording,
// counting attempts from 1, with the gRPC error said once.
func TestTailReconnectWording(t *testing.T) {
	lost := status.Error(codes.Unavailable, "backend restarting")
	for _, target := range []string{"backend", "gateway"} {
		stub := &stubServer{
			subscribe: func(call int, req *pushv1.GatewaySubscribeRequest, st pushStream) error {
				if call == 0 {
					return lost
				}
				return pushThen(nil, nil, true, gwCursor(1))(call, req, st)
			},
			gateway: steps(sendEvents(lost, false), sendEvents(nil, true, &gatewayv1.GatewayEvent{EventId: gwCursor(1), EventType: "t"})),
		}
		r := runTail(t, stub, nil, "--target", target, "-n", "1")
		logs := r.errOut.String()
		for _, want := range []string{"stream lost; reconnecting", `"attempt": 1,`, `"error": "Unavailable: backend restarting`} {
			if !strings.Contains(logs, want) {
				t.Errorf("tail --target %s stderr = %q, want %q", target, logs, want)
			}
		}
		if strings.Contains(logs, "rpc error:") || strings.Contains(logs, `"attempt": 0`) {
			t.Errorf("tail --target %s stderr = %q, want neither grpc-go's nested error nor attempt 0", target, logs)
		}
	}
}

// TestTailJSONStderr: with --log-format json every stderr line is JSON:
// the warnings, the resume command, the summary.
func TestTailJSONStderr(t *testing.T) {
	expired := metadata.Pairs(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataResetReason, pushv1.ReasonExpired, pushv1.MetadataMissed, "5")
	stub := newStubServer(t, &stubServer{subscribe: pushThen(expired, nil, true, gwCursor(9))})
	r := newCmdResult()
	r.logFormat = "json"
	r = runCommandTo(testContext(t), t, r, newTailCmd, []string{"--addr", "127.0.0.1:7999", "--cursor", testCursor, "-n", "1"}, nil,
		func(ctx context.Context, o *tailOptions) error {
			o.client.dialer = stub.dialer
			o.clock = clocktest.New(tailAt)
			return o.run(ctx)
		})
	lines := jsonLines(t, "tail --cursor", r.errOut.String())
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, l["msg"].(string))
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"the cursor has expired: 5 events were evicted", "resume with: galaxyctl tail"} {
		if !strings.Contains(all, want) {
			t.Errorf("tail --log-format json stderr messages = %q, want %q", msgs, want)
		}
	}
}

// TestTailPlaintextAtTLS: a plaintext tail at a TLS server says so and
// ends, as publish does, instead of retrying on "error reading server
// preface: EOF" for ever.
func TestTailPlaintextAtTLS(t *testing.T) {
	stub, _ := tlsStub(t, &stubServer{subscribe: pushThen(nil, nil, true, "c1"), gateway: sendEvents(nil, true)})
	for _, target := range []string{"backend", "gateway"} {
		clk := clocktest.New(tailAt)
		ctx := testContext(t)
		dctx, stop := context.WithCancel(ctx)
		driven := clk.Drive(dctx, nil)
		r := runCommand(ctx, t, newTailCmd, []string{"--target", target, "--addr", "127.0.0.1:7999"}, nil,
			func(ctx context.Context, o *tailOptions) error {
				o.client.dialer = stub.dialer
				o.clock = clk
				o.rand = func() float64 { return 0.5 }
				return o.run(ctx)
			})
		stop()
		driven()
		if r.err == nil || !strings.Contains(r.err.Error(), "is the server serving TLS?") {
			t.Errorf("plaintext tail --target %s at a TLS server = %v, want it to end asking \"is the server serving TLS?\"\n%s", target, r.err, r.errOut)
		}
	}
}

// TestTailResumeWithEnvAddr: an address from GALAXYCTL_ADDR stays out of
// the resume command, as the user typed none; the variable supplies it
// again.
func TestTailResumeWithEnvAddr(t *testing.T) {
	stub := newStubServer(t, &stubServer{subscribe: pushThen(nil, nil, true, gwCursor(1))})
	env := map[string]string{"GALAXYCTL_ADDR": "127.0.0.1:7999"}
	r := runCommand(testContext(t), t, newTailCmd, []string{"-n", "1"}, env, func(ctx context.Context, o *tailOptions) error {
		o.client.dialer = stub.dialer
		o.clock = clocktest.New(tailAt)
		return o.run(ctx)
	})
	if want := "resume with: galaxyctl tail --cursor " + gwCursor(1) + "\n"; r.errOut.String() != want {
		t.Errorf("tail with GALAXYCTL_ADDR stderr = %q, want %q", r.errOut, want)
	}
}
