package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"galaxy/galaxyctl/internal/clock/clocktest"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/testutil"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

type pushStream = grpc.ServerStreamingServer[pushv1.PushEvent]

// tailAt is the fake time tail's printer reads.
var tailAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// pushThen sends md as the header, events with the given cursors (user
// "u1", or the user after a '@' in the cursor), then ends with err; hold
// keeps the stream open instead until the client goes away.
func pushThen(md metadata.MD, err error, hold bool, cursors ...string) func(int, *pushv1.GatewaySubscribeRequest, pushStream) error {
	return func(_ int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
		if e := st.SendHeader(md); e != nil {
			return e
		}
		for _, c := range cursors {
			c, user, found := strings.Cut(c, "@")
			if !found {
				user = "u1"
			}
			ev := &pushv1.PushEvent{Cursor: c, EventType: "order.created", UserId: user, Payload: []byte(`{"id":1}`),
				CreatedAt: timestamppb.New(tailAt.Add(-1500 * time.Microsecond))}
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

// tailRun is one tail run against a stub: what it printed and the
// requests the stub got.
type tailRun struct {
	cmdResult
	stub *stubServer
	reqs []*pushv1.GatewaySubscribeRequest
}

// runTail runs tail with args against stub on a fake clock. Without during,
// the clock lets every wait pass at once; during, if set, runs beside the
// command instead, with the clock and the command's stdout.
func runTail(t *testing.T, stub *stubServer, during func(*clocktest.Fake, *syncBuffer), args ...string) *tailRun {
	t.Helper()
	tr := &tailRun{stub: stub}
	var mu sync.Mutex
	subscribe := stub.subscribe
	stub.subscribe = func(call int, req *pushv1.GatewaySubscribeRequest, st pushStream) error {
		mu.Lock()
		tr.reqs = append(tr.reqs, req)
		mu.Unlock()
		return subscribe(call, req, st)
	}
	newStubServer(t, stub)
	ctx := testContext(t)
	clk := clocktest.New(tailAt)
	r := newCmdResult()
	var wait func()
	if during != nil {
		done := make(chan struct{})
		go func() { defer close(done); during(clk, r.out) }()
		wait = func() { <-done }
	} else {
		dctx, cancel := context.WithCancel(ctx)
		stop := clk.Drive(dctx, nil)
		wait = func() { cancel(); stop() }
	}
	tr.cmdResult = runCommandTo(ctx, t, r, newTailCmd, append([]string{"--addr", "127.0.0.1:7999"}, args...), nil,
		func(ctx context.Context, o *tailOptions) error {
			o.client.dialer = stub.dialer
			o.clock = clk
			o.rand = func() float64 { return 0.5 }
			return o.run(ctx)
		})
	wait()
	mu.Lock()
	defer mu.Unlock()
	return tr
}

type subscribeStep = func(int, *pushv1.GatewaySubscribeRequest, pushStream) error

// tailCase is one run of tail against a scripted backend: what it must
// print, ask for and end with.
type tailCase struct {
	name       string
	subscribe  []subscribeStep // call i is served by step i, later calls by the last
	args       []string
	wantOut    []string // substrings of stdout, in order
	wantErrOut string
	wantErr    string
	wantReq    *pushv1.GatewaySubscribeRequest // first request; the client id is checked apart
}

func (tc tailCase) check(t *testing.T) {
	t.Helper()
	stub := &stubServer{subscribe: func(call int, req *pushv1.GatewaySubscribeRequest, st pushStream) error {
		return tc.subscribe[min(call, len(tc.subscribe)-1)](call, req, st)
	}}
	r := runTail(t, stub, nil, tc.args...)
	if tc.wantErr == "" && r.err != nil || tc.wantErr != "" && (r.err == nil || !strings.Contains(r.err.Error(), tc.wantErr)) {
		t.Fatalf("tail %v = %v, want error %q\nstderr: %s", tc.args, r.err, tc.wantErr, r.errOut)
	}
	out := r.out.String()
	for _, w := range tc.wantOut {
		i := strings.Index(out, w)
		if i < 0 {
			t.Errorf("tail %v stdout = %q, want %q in order", tc.args, r.out, w)
			break
		}
		out = out[i+len(w):]
	}
	if !strings.Contains(r.errOut.String(), tc.wantErrOut) {
		t.Errorf("tail %v stderr = %q, want %q", tc.args, r.errOut, tc.wantErrOut)
	}
	if len(r.reqs) == 0 || !strings.HasPrefix(r.reqs[0].GetGatewayClientId(), "tail-") {
		t.Fatalf("requests = %v, want one with a tail-… client id", r.reqs)
	}
	if w := tc.wantReq; w != nil && (r.reqs[0].GetCursor() != w.GetCursor() || r.reqs[0].GetFromStart() != w.GetFromStart()) {
		t.Errorf("first request = %v, want cursor %q from_start %v", r.reqs[0], w.GetCursor(), w.GetFromStart())
	}
}

const testCursor = "00000000000000ab-0000000000000003"

// TestTailBackendStreams checks what tail prints and asks for while it
// follows a backend.
func TestTailBackendStreams(t *testing.T) {
	reset := func(reason, missed string) metadata.MD {
		return metadata.Pairs(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataResetReason, reason, pushv1.MetadataMissed, missed)
	}
	for _, tc := range []tailCase{
		{
			name:       "count ends it, resume command printed",
			subscribe:  []subscribeStep{pushThen(nil, nil, true, "c1@u 1", "c2@u 1", "c3@u 1")},
			args:       []string{"-n", "2", "-o", "json", "--user", "u 1", "--from-start"},
			wantOut:    []string{`"cursor":"c1"`, `"latency_ms":1.5`, `"cursor":"c2"`},
			wantErrOut: "resume with: galaxyctl tail --addr 127.0.0.1:7999 --user 'u 1' -o json --cursor c2\n",
			wantReq:    &pushv1.GatewaySubscribeRequest{FromStart: true},
		},
		{
			name: "reconnects and resumes after a failure",
			subscribe: []subscribeStep{pushThen(nil, status.Error(codes.Unavailable, "backend restarting"), false, "c1"),
				pushThen(nil, nil, true, "c2")},
			args:       []string{"-n", "2"},
			wantOut:    []string{"order.created", "u1", "1.5ms  c1", `{"id":1}`, "c2"},
			wantErrOut: "stream lost; reconnecting",
		},
		{
			name:      "user filter keeps the user's events and broadcasts",
			subscribe: []subscribeStep{pushThen(nil, nil, true, "c1@u2", "c2@", "c3@u1")},
			args:      []string{"-n", "2", "--user", "u1", "-o", "json"},
			wantOut:   []string{`"cursor":"c2"`, `"cursor":"c3"`},
		},
		{
			name:       "expired cursor warns with the missed count",
			subscribe:  []subscribeStep{pushThen(reset(pushv1.ReasonExpired, "5"), nil, true, "c9")},
			args:       []string{"-n", "1", "--cursor", testCursor},
			wantErrOut: "warning: the cursor has expired: 5 events were evicted",
			wantReq:    &pushv1.GatewaySubscribeRequest{Cursor: testCursor},
		},
		{
			name:       "cursor of an earlier incarnation warns",
			subscribe:  []subscribeStep{pushThen(reset(pushv1.ReasonIncarnation, pushv1.MissedUnknown), nil, true, "c9")},
			args:       []string{"-n", "1", "--cursor", testCursor},
			wantErrOut: "the cursor is from an earlier backend incarnation",
		},
	} {
		t.Run(tc.name, tc.check)
	}
}

// TestTailBackendFails checks how tail ends when the backend fails it.
func TestTailBackendFails(t *testing.T) {
	for _, tc := range []tailCase{
		{
			name:       "no reconnect ends with the failure",
			subscribe:  []subscribeStep{pushThen(nil, status.Error(codes.Unavailable, "backend restarting"), false)},
			args:       []string{"--no-reconnect"},
			wantErrOut: "no events received; nothing to resume from\n",
			wantErr:    "tail 127.0.0.1:7999: Unavailable: backend restarting (is the server running, and is --addr right?)",
		},
		{
			name:       "a terminal code ends it",
			subscribe:  []subscribeStep{pushThen(nil, status.Error(codes.PermissionDenied, "not a gateway"), false, "c1")},
			wantErrOut: "resume with: galaxyctl tail --addr 127.0.0.1:7999 --cursor c1\n",
			wantErr:    "PermissionDenied: not a gateway",
		},
		{
			name: "an untrusted certificate ends it at once",
			subscribe: []subscribeStep{pushThen(nil, status.Error(codes.Unavailable,
				`connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`), false)},
			wantErr: "the server's certificate is not trusted",
		},
	} {
		t.Run(tc.name, tc.check)
	}
}

// TestTailTimeout ends a tail that waits for a third event at --timeout on
// its clock: with --count that is an error naming the flag.
func TestTailTimeout(t *testing.T) {
	stub := &stubServer{subscribe: pushThen(nil, nil, true, "c1")}
	r := runTail(t, stub, func(clk *clocktest.Fake, out *syncBuffer) {
		ctx := testContext(t)
		testutil.WaitFor(ctx, t, "the first event printed", func() bool { return strings.Contains(out.String(), "c1") })
		if clk.Pending() != 1 {
			t.Errorf("armed timers while tail waits = %d, want 1 (--timeout)", clk.Pending())
		}
		clk.Advance(2*time.Second - time.Nanosecond)
		if strings.Count(out.String(), "\n") != 1 {
			t.Errorf("stdout before --timeout = %q", out)
		}
		clk.Advance(time.Nanosecond)
	}, "-n", "3", "--timeout", "2s", "-o", "json")
	want := "--timeout 2s passed after 1 of 3 events"
	if r.err == nil || r.err.Error() != want {
		t.Errorf("tail -n 3 --timeout 2s = %v, want %q", r.err, want)
	}
	if !strings.Contains(r.errOut.String(), "--cursor c1") {
		t.Errorf("stderr = %q, want the resume command after c1", r.errOut)
	}
}

// TestTailGatewayRun follows a stub gateway through the command: heartbeats
// shown, signatures checked with --verify-key, the last event id printed.
func TestTailGatewayRun(t *testing.T) {
	key, err := gateway.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := gateway.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := gateway.MarshalPublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "gateway.pub")
	if err := os.WriteFile(pub, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	event := func(id string, payload []byte, k ed25519.PrivateKey) *gatewayv1.GatewayEvent {
		ev := &gatewayv1.GatewayEvent{EventId: id, EventType: "doc.updated", UserId: "u1", Payload: payload}
		if err := gateway.Sign(k, ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	send := func(_ int, _ *gatewayv1.SubscribeRequest, st gatewayStream) error {
		for _, ev := range []*gatewayv1.GatewayEvent{
			event("e1", []byte("hi"), key),
			{EventType: gatewayv1.HeartbeatEventType},
			event("e2", []byte{0xff, 0xfe}, other),
		} {
			if err := st.Send(ev); err != nil {
				return err
			}
		}
		<-st.Context().Done()
		return nil
	}
	tests := []struct {
		output string
		want   []string
	}{
		{"json", []string{`"event_id":"e1"`, `"signature_valid":true`, `"event_type":"gateway.heartbeat"`, `"gap_ms":0`,
			`"event_id":"e2"`, `"payload_base64":"//4="`, `"signature_valid":false`}},
		{"pretty", []string{"doc.updated", "u1", "e1", "signature=valid  hi", "gateway.heartbeat", "(0.0ms since the last message)",
			"e2", "signature=INVALID  base64://4="}},
	}
	for _, tt := range tests {
		t.Run(tt.output, func(t *testing.T) {
			stub := newStubServer(t, &stubServer{gateway: send})
			r := runCommand(testContext(t), t, newTailCmd, []string{"--target", "gateway", "--addr", "127.0.0.1:7999",
				"--heartbeats", "--verify-key", pub, "-n", "3", "-o", tt.output}, nil,
				func(ctx context.Context, o *tailOptions) error {
					o.client.dialer = stub.dialer
					o.clock = clocktest.New(tailAt)
					return o.run(ctx)
				})
			// -n counts the heartbeat too; e2's signature is another key's.
			if want := "1 of 2 events failed verification (1 with an invalid signature)"; r.err == nil || r.err.Error() != want {
				t.Fatalf("tail --target gateway = %v, want %q\n%s", r.err, want, r.errOut)
			}
			out := r.out.String()
			for _, w := range tt.want {
				i := strings.Index(out, w)
				if i < 0 {
					t.Fatalf("stdout = %q, want %q in order", r.out, w)
				}
				out = out[i+len(w):]
			}
			if got := r.errOut.String(); !strings.HasPrefix(got, "resume with: galaxyctl tail --target gateway") || !strings.HasSuffix(got, " --cursor e2\n") {
				t.Errorf("stderr = %q, want the resume command after the last event id", got)
			}
		})
	}
}

// TestTailJSONLines checks that every stdout line of -o json is one JSON
// object, the contract the README documents.
func TestTailJSONLines(t *testing.T) {
	stub := &stubServer{subscribe: pushThen(nil, nil, true, "c1", "c2")}
	r := runTail(t, stub, nil, "-n", "2", "-o", "json")
	for _, line := range strings.Split(strings.TrimSpace(r.out.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["received_at"] != "2030-01-02T03:04:05Z" {
			t.Errorf("line %q: %v, received_at %v; want JSON received at the fake time", line, err, v["received_at"])
		}
	}
}
