package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// testKeys makes a signing key and writes its public half as PEM, for
// --verify-key.
func testKeys(t *testing.T) (ed25519.PrivateKey, string) {
	t.Helper()
	key, err := gateway.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := gateway.MarshalPublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "gateway.pub")
	if err := os.WriteFile(pub, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return key, pub
}

func writePubKey(t *testing.T) string {
	t.Helper()
	_, pub := testKeys(t)
	return pub
}

// gwCursor is the event_id of the n-th event of one backend incarnation.
func gwCursor(n int) string {
	return "00000000000000ab-" + strings.Repeat("0", 15) + string(rune('0'+n))
}

// sendEvents sends evs on a gateway stream, then ends it with err, or with
// hold, waits for the client to go.
func sendEvents(err error, hold bool, evs ...*gatewayv1.GatewayEvent) func(int, *gatewayv1.SubscribeRequest, gatewayStream) error {
	return func(_ int, _ *gatewayv1.SubscribeRequest, st gatewayStream) error {
		for _, ev := range evs {
			if e := st.Send(ev); e != nil {
				return e
			}
		}
		if hold {
			<-st.Context().Done()
		}
		return err
	}
}

// steps serves call i of a stub with step i, later calls with the last.
func steps(s ...func(int, *gatewayv1.SubscribeRequest, gatewayStream) error) func(int, *gatewayv1.SubscribeRequest, gatewayStream) error {
	return func(call int, req *gatewayv1.SubscribeRequest, st gatewayStream) error {
		return s[min(call, len(s)-1)](call, req, st)
	}
}

// TestTailNeverConnected: a tail that never reaches its server ends with
// the last connection error and exit 1, at --timeout and at Ctrl-C, not 0.
func TestTailNeverConnected(t *testing.T) {
	// A dialer of a closed port, as a dial seam: it only ever fails.
	var d net.Dialer
	closed := closedPort(t)
	refused := func(ctx context.Context, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", closed)
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"backend --timeout", []string{"--timeout", "3s"}},
		{"gateway --timeout", []string{"--target", "gateway", "--timeout", "3s"}},
		{"backend Ctrl-C", nil},
		{"gateway Ctrl-C", []string{"--target", "gateway"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, interrupt := context.WithCancel(testContext(t))
			defer interrupt()
			clk := clocktest.New(tailAt)
			go func() {
				// Two failed attempts (a backoff wait armed each time,
				// beside --timeout's timer), then the end.
				timers := 1
				if len(tt.args) > 0 && tt.args[len(tt.args)-2] == "--timeout" {
					timers = 2
				}
				for range 2 {
					if clk.BlockUntil(ctx, timers) != nil {
						return
					}
					if len(tt.args) > 0 && tt.args[len(tt.args)-2] == "--timeout" {
						clk.Advance(time.Second) // the waits pass, --timeout not yet
					} else {
						clk.AdvanceNext()
					}
				}
				if clk.BlockUntil(ctx, timers) != nil {
					return
				}
				if timers == 2 {
					clk.Advance(3 * time.Second)
				} else {
					interrupt()
				}
			}()
			r := runCommand(ctx, t, newTailCmd, append([]string{"--addr", "127.0.0.1:1"}, tt.args...), nil,
				func(ctx context.Context, o *tailOptions) error {
					o.client.dialer = refused
					o.clock = clk
					o.rand = func() float64 { return 0.5 }
					return o.run(ctx)
				})
			want := "never connected: Unavailable: "
			if r.err == nil || !strings.Contains(r.err.Error(), want) || !strings.Contains(r.err.Error(), "connection refused") {
				t.Fatalf("tail %v at a closed port = %v, want an error with %q and the last connection error\n%s", tt.args, r.err, want, r.errOut)
			}
			if code := exitCode(ctx, r.err); code != ExitFailure {
				t.Errorf("exitCode(%v) = %d, want %d", r.err, code, ExitFailure)
			}
		})
	}
}

// closedPort returns a loopback address nothing listens on: one that was
// just listened on and closed.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// signedEvents returns gateway events 1..n signed with key.
func signedEvents(t *testing.T, key ed25519.PrivateKey, ids ...int) []*gatewayv1.GatewayEvent {
	t.Helper()
	var evs []*gatewayv1.GatewayEvent
	for _, n := range ids {
		ev := &gatewayv1.GatewayEvent{EventId: gwCursor(n), EventType: "doc.updated", UserId: "u1", Payload: []byte("hi")}
		if err := gateway.Sign(key, ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestTailVerifyFailures: with --verify-key, an event with a bad signature,
// none, or one seen before makes tail exit 1 with a summary, whether -n,
// --timeout or Ctrl-C ends it; all verified is exit 0.
func TestTailVerifyFailures(t *testing.T) {
	key, pub := testKeys(t)
	other, _ := testKeys(t)
	good := signedEvents(t, key, 1, 2, 3, 4)
	forged := signedEvents(t, other, 3)[0]
	unsigned := &gatewayv1.GatewayEvent{EventId: gwCursor(4), EventType: "doc.updated"}
	lost := status.Error(codes.Unavailable, "gateway restarting")
	tests := []struct {
		name    string
		serve   func(int, *gatewayv1.SubscribeRequest, gatewayStream) error
		args    []string
		end     string // "ctrl-c" or "timeout": what ends the run once events are printed
		wantErr string
		replay  string // the event_id flagged "replayed" in JSON
	}{
		{"all verified", sendEvents(nil, true, good[0], good[1]), []string{"-n", "2"}, "", "", ""},
		{"bad and unsigned, -n", sendEvents(nil, true, good[0], good[1], forged, unsigned), []string{"-n", "4"}, "",
			"2 of 4 events failed verification (1 with an invalid signature, 1 unsigned)", ""},
		{"bad, Ctrl-C", sendEvents(nil, true, good[0], forged), nil, "ctrl-c",
			"1 of 2 events failed verification (1 with an invalid signature)", ""},
		{"bad, --timeout", sendEvents(nil, true, good[0], forged), []string{"--timeout", "5s"}, "timeout",
			"1 of 2 events failed verification (1 with an invalid signature)", ""},
		{"replayed across a reconnect", steps(sendEvents(lost, false, good[0], good[1]), sendEvents(nil, true, good[1], good[2])),
			[]string{"-n", "4"}, "", "1 of 4 events failed verification (1 replayed)", gwCursor(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, interrupt := context.WithCancel(testContext(t))
			defer interrupt()
			stub := newStubServer(t, &stubServer{gateway: tt.serve})
			clk := clocktest.New(tailAt)
			r := newCmdResult()
			dctx, stopDrive := context.WithCancel(ctx)
			driven := func() {}
			switch tt.end {
			case "":
				driven = clk.Drive(dctx, nil) // the reconnect waits pass at once
			default:
				go func() {
					testutil.WaitFor(ctx, t, "two events printed", func() bool { return strings.Count(r.out.String(), "\n") == 2 })
					if tt.end == "timeout" {
						clk.Advance(5 * time.Second)
					} else {
						interrupt()
					}
				}()
			}
			args := append([]string{"--target", "gateway", "--addr", "127.0.0.1:7999", "--verify-key", pub, "-o", "json"}, tt.args...)
			r = runCommandTo(ctx, t, r, newTailCmd, args, nil, func(ctx context.Context, o *tailOptions) error {
				o.client.dialer = stub.dialer
				o.clock = clk
				o.rand = func() float64 { return 0.5 }
				return o.run(ctx)
			})
			stopDrive()
			driven()
			if tt.wantErr == "" {
				if r.err != nil {
					t.Errorf("tail %v = %v, want nil", tt.args, r.err)
				}
			} else if r.err == nil || r.err.Error() != tt.wantErr {
				t.Errorf("tail %v = %v, want %q\n%s", tt.args, r.err, tt.wantErr, r.errOut)
			}
			if code, want := exitCode(ctx, r.err), map[bool]int{true: ExitOK, false: ExitFailure}[tt.wantErr == ""]; code != want {
				t.Errorf("exitCode(%v) = %d, want %d", r.err, code, want)
			}
			if tt.replay == "" {
				return
			}
			var flagged []string
			for _, l := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
				var e struct {
					EventID  string `json:"event_id"`
					Replayed bool   `json:"replayed"`
				}
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				if e.Replayed {
					flagged = append(flagged, e.EventID)
				}
			}
			if len(flagged) != 1 || flagged[0] != tt.replay {
				t.Errorf("events flagged replayed = %v, want [%s]\n%s", flagged, tt.replay, r.out)
			}
		})
	}
}

// TestTailDropped: a tail the gateway ends for falling behind reconnects,
// then on exit says how many events it received, how often it was dropped
// and that events may be missing, and exits 1.
func TestTailDropped(t *testing.T) {
	behind := status.Error(codes.ResourceExhausted, "client fell behind: 256 events queued")
	ev := func(n int) *gatewayv1.GatewayEvent {
		return &gatewayv1.GatewayEvent{EventId: gwCursor(n), EventType: "t"}
	}
	for _, target := range []string{"gateway", "backend"} {
		t.Run(target, func(t *testing.T) {
			stub := &stubServer{
				gateway: steps(sendEvents(behind, false, ev(1), ev(2)), sendEvents(behind, false, ev(3)), sendEvents(nil, true, ev(4))),
				subscribe: func(call int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
					switch call {
					case 0:
						return pushThen(nil, behind, false, gwCursor(1), gwCursor(2))(call, nil, st)
					case 1:
						return pushThen(nil, behind, false, gwCursor(3))(call, nil, st)
					}
					return pushThen(nil, nil, true, gwCursor(4))(call, nil, st)
				},
			}
			r := runTail(t, stub, nil, "--target", target, "-n", "4", "-o", "json")
			want := "dropped by the server 2 times for falling behind (last: ResourceExhausted: client fell behind: 256 events queued); 4 events received; events may be missing"
			if r.err == nil || r.err.Error() != want {
				t.Errorf("tail --target %s dropped twice = %v, want %q\n%s", target, r.err, want, r.errOut)
			}
			if code := exitCode(context.Background(), r.err); code != ExitFailure {
				t.Errorf("exitCode(%v) = %d, want %d", r.err, code, ExitFailure)
			}
			if strings.Count(r.out.String(), "\n") != 4 {
				t.Errorf("tail stdout = %q, want the 4 events", r.out)
			}
		})
	}
}
