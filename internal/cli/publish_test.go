package cli

import (
	"context"
	"errors"
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

// runPublishIn runs publish with args and stdin against a stub answering
// with ps; piped says stdin is a pipe or a file rather than a terminal.
func runPublishIn(t *testing.T, ps *publishStub, stdin string, piped bool, args ...string) cmdResult {
	t.Helper()
	stub := newStubServer(t, &stubServer{publish: ps.publish})
	r := newCmdResult()
	r.in, r.inData = strings.NewReader(stdin), piped
	return runCommandTo(testContext(t), t, r, newPublishCmd, args, nil, func(ctx context.Context, o *publishOptions) error {
		o.client.dialer = stub.dialer
		return o.run(ctx)
	})
}

func payloads(ps *publishStub) []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []string
	for _, r := range ps.reqs {
		out = append(out, string(r.GetPayload()))
	}
	return out
}

// TestPublishStdin: --payload @- reads stdin whole; --lines publishes one
// event per line in order; without --payload stdin is never read, and a
// piped stdin is refused with a hint.
func TestPublishStdin(t *testing.T) {
	tests := []struct {
		name         string
		stdin        string
		piped        bool
		args         []string
		wantPayloads []string
		wantOut      string
		wantErr      string // substring; a usage error when set
	}{
		{"payload from stdin", "{\"id\":7}\n", true, []string{"--payload", "@-"}, []string{"{\"id\":7}\n"}, "c1\n", ""},
		{"payload from stdin, count", "x", true, []string{"--payload", "@-", "-n", "2"}, []string{"x", "x"}, "c1\nc2\n", ""},
		{"lines", "a\nb\n\nc\r\nd", true, []string{"--payload", "@-", "--lines"}, []string{"a", "b", "c", "d"}, "c1\nc2\nc3\nc4\n", ""},
		{"literal payload ignores a pipe", "unread", true, []string{"--payload", "lit"}, []string{"lit"}, "c1\n", ""},
		{"terminal stdin without payload", "", false, nil, []string{""}, "c1\n", ""},
		{"piped stdin without payload", `{"id":1}`, true, nil, nil, "",
			"stdin is a pipe or a file, but publish reads it only with --payload @- (or --payload @- --lines for one event per line)"},
		{"lines without a source", "a\n", true, []string{"--lines", "--payload", "x"}, nil, "",
			"--lines splits the payload source into events: give --payload @- (stdin) or --payload @FILE"},
		{"lines with count", "a\n", true, []string{"--payload", "@-", "--lines", "-n", "2"}, nil, "",
			"--lines and --count are alternatives"},
		{"stdin without end", strings.Repeat("x", maxPayloadRead+1), true, []string{"--payload", "@-"}, nil, "",
			"--payload @-: over 16 MiB, more than galaxyctl sends in one event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := &publishStub{failAt: -1}
			r := runPublishIn(t, ps, tt.stdin, tt.piped, tt.args...)
			if tt.wantErr != "" {
				var ue *usageError
				if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) || !errors.As(r.err, &ue) {
					t.Fatalf("publish %v = %v, want a usage error containing %q", tt.args, r.err, tt.wantErr)
				}
				if n := len(payloads(ps)); n != 0 {
					t.Errorf("publish %v made %d Publish calls, want 0", tt.args, n)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("publish %v = %v, want nil\n%s", tt.args, r.err, r.errOut)
			}
			if got := payloads(ps); !slices.Equal(got, tt.wantPayloads) {
				t.Errorf("publish %v payloads = %q, want %q", tt.args, got, tt.wantPayloads)
			}
			if got := r.out.String(); got != tt.wantOut {
				t.Errorf("publish %v stdout = %q, want %q", tt.args, got, tt.wantOut)
			}
		})
	}
}

// TestPublishLinesFromFile: --lines splits a file named by @FILE as well.
func TestPublishLinesFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(f, []byte("{\"n\":1}\n{\"n\":2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps := &publishStub{failAt: -1}
	r := runPublishIn(t, ps, "", false, "--payload", "@"+f, "--lines")
	if r.err != nil || r.out.String() != "c1\nc2\n" || !slices.Equal(payloads(ps), []string{`{"n":1}`, `{"n":2}`}) {
		t.Errorf("publish --payload @%s --lines = %v, stdout %q, payloads %q; want 2 events in order", f, r.err, r.out, payloads(ps))
	}
}

// TestPublishHeaderColonForm: grpcurl's -H 'key: value' is accepted.
func TestPublishHeaderColonForm(t *testing.T) {
	ps := &publishStub{failAt: -1}
	r := runPublishIn(t, ps, "", false, "-H", "X-Team: push", "--payload", "x")
	if r.err != nil || !slices.Equal(ps.teams, []string{"push"}) {
		t.Errorf("publish -H 'X-Team: push' = %v, x-team %q; want push", r.err, ps.teams)
	}
}

// TestPublishBadAddrFromEnv: a bad GALAXYCTL_ADDR is reported as the
// environment variable, not as --addr, which the user never typed.
func TestPublishBadAddrFromEnv(t *testing.T) {
	env := map[string]string{"GALAXYCTL_ADDR": "bogus"}
	r := runCommand(testContext(t), t, newPublishCmd, nil, env, func(context.Context, *publishOptions) error { return nil })
	want := `environment variable GALAXYCTL_ADDR "bogus" is not HOST:PORT: missing port in address`
	var ue *usageError
	if r.err == nil || r.err.Error() != want || !errors.As(r.err, &ue) {
		t.Errorf("publish with GALAXYCTL_ADDR=bogus = %v, want usage error %q", r.err, want)
	}
}
