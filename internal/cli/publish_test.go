package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// publishStub answers Publish with cursor c1, c2, ... and records requests
// and their x-team header.
type publishStub struct {
	mu    sync.Mutex
	reqs  []*pushv1.PublishRequest
	teams []string
	err   error // returned from the call with index failAt
	// failAt is the 0-based call that fails with err; -1 never.
	failAt int
}

func (p *publishStub) publish(ctx context.Context, req *pushv1.PublishRequest) (*pushv1.PublishResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.reqs)
	p.reqs = append(p.reqs, req)
	md, _ := metadata.FromIncomingContext(ctx)
	p.teams = append(p.teams, strings.Join(md.Get("x-team"), ","))
	if n == p.failAt {
		return nil, p.err
	}
	return &pushv1.PublishResponse{Cursor: "c" + string(rune('1'+n))}, nil
}

// runPublish runs publish with args against a stub answering with ps.
func runPublish(t *testing.T, ps *publishStub, args ...string) cmdResult {
	t.Helper()
	stub := newStubServer(t, &stubServer{publish: ps.publish})
	return runCommand(testContext(t), t, newPublishCmd, args, nil, func(ctx context.Context, o *publishOptions) error {
		o.client.dialer = stub.dialer
		return o.run(ctx)
	})
}

func TestPublishRun(t *testing.T) {
	payload := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(payload, []byte(`{"id":42}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := &publishStub{failAt: -1}
	r := runPublish(t, ps, "--type", "doc.updated", "--user", "u1", "--payload", "@"+payload, "-n", "3", "-H", "x-team=push")
	if r.err != nil {
		t.Fatalf("publish = %v, want nil\n%s", r.err, r.errOut)
	}
	if got, want := r.out.String(), "c1\nc2\nc3\n"; got != want {
		t.Errorf("publish stdout = %q, want %q", got, want)
	}
	if len(ps.reqs) != 3 {
		t.Fatalf("Publish calls = %d, want 3", len(ps.reqs))
	}
	req := ps.reqs[0]
	if req.GetEventType() != "doc.updated" || req.GetUserId() != "u1" || string(req.GetPayload()) != `{"id":42}` {
		t.Errorf("Publish request = %v, want doc.updated for u1 with the file's payload", req)
	}
	if want := []string{"push", "push", "push"}; !slices.Equal(ps.teams, want) {
		t.Errorf("x-team metadata per call = %q, want %q", ps.teams, want)
	}
}

// TestPublishRunFails fails the second of three publishes: the first
// cursor is printed, and the error names the address, the event and a
// hint.
func TestPublishRunFails(t *testing.T) {
	ps := &publishStub{failAt: 1, err: status.Error(codes.Unavailable, "backend draining")}
	r := runPublish(t, ps, "--addr", "127.0.0.1:7999", "-n", "3", "--payload", "hi")
	want := "publish to 127.0.0.1:7999 (event 2 of 3): Unavailable: backend draining (is the server running, and is --addr right?)"
	if r.err == nil || r.err.Error() != want {
		t.Errorf("publish = %v, want %q", r.err, want)
	}
	if got := r.out.String(); got != "c1\n" {
		t.Errorf("publish stdout = %q, want the first cursor only", got)
	}
	if code := exitCode(context.Background(), r.err); code != ExitFailure {
		t.Errorf("exitCode(%v) = %d, want %d", r.err, code, ExitFailure)
	}
	if string(ps.reqs[0].GetPayload()) != "hi" {
		t.Errorf("payload = %q, want the literal --payload hi", ps.reqs[0].GetPayload())
	}
}

// TestPublishAddrFromEnv: GALAXYCTL_ADDR is the default address, and
// --addr wins over it.
func TestPublishAddrFromEnv(t *testing.T) {
	env := map[string]string{"GALAXYCTL_ADDR": "127.0.0.9:7777"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.9:7777"},
		{[]string{"--addr", "127.0.0.1:1"}, "127.0.0.1:1"},
	} {
		var got string
		r := runCommand(testContext(t), t, newPublishCmd, tt.args, env, func(_ context.Context, o *publishOptions) error {
			got = o.client.addr
			return nil
		})
		if r.err != nil || got != tt.want {
			t.Errorf("publish %v with GALAXYCTL_ADDR=127.0.0.9:7777: addr %q, %v; want %q", tt.args, got, r.err, tt.want)
		}
	}
}
