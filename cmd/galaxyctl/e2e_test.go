package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests build the real binary and drive it as a user would.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "galaxyctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "galaxyctl")
	build := exec.Command("go", "build", "-race", "-o", binPath, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the binary to completion within the test's deadline.
func run(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, binPath, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

type server struct {
	addr string
	cmd  *exec.Cmd
	done chan error
	info map[string]any
}

// startServe starts `galaxyctl serve` on port 0 and waits for its ready file.
func startServe(t *testing.T, ctx context.Context, args ...string) *server {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready.json")
	full := append([]string{"serve", "--listen", "127.0.0.1:0", "--ready-file", ready}, args...)
	cmd := exec.Command(binPath, full...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(ready); err == nil && json.Unmarshal(b, &s.info) == nil {
			s.addr, _ = s.info["grpc_addr"].(string)
			if s.addr != "" {
				return s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("serve not ready: %v\n%s", ctx.Err(), errb.String())
		case err := <-s.done:
			t.Fatalf("serve exited: %v\n%s", err, errb.String())
		case <-tick.C:
		}
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestServePublishTailResume(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--heartbeat", "0")

	pub := run(t, ctx, "publish", "--addr", s.addr, "--type", "order.created", "--user", "u1", "--payload", `{"id":1}`, "--count", "3")
	if pub.code != 0 {
		t.Fatalf("publish exit = %d, want 0; stderr:\n%s", pub.code, pub.stderr)
	}
	cursors := strings.Fields(pub.stdout)
	if len(cursors) != 3 {
		t.Fatalf("publish printed %d cursors, want 3: %q", len(cursors), pub.stdout)
	}

	all := run(t, ctx, "tail", "--addr", s.addr, "--from-start", "-n", "3", "-o", "json")
	if all.code != 0 {
		t.Fatalf("tail --from-start exit = %d, want 0; stderr:\n%s", all.code, all.stderr)
	}
	lines := strings.Split(strings.TrimSpace(all.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("tail --from-start printed %d lines, want 3:\n%s", len(lines), all.stdout)
	}
	for i, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i, err, l)
		}
		for _, k := range []string{"cursor", "event_type", "user_id", "payload", "created_at", "received_at", "latency_ms"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("line %d lacks key %q: %s", i, k, l)
			}
		}
		if ev["cursor"] != cursors[i] || ev["payload"] != `{"id":1}` || ev["user_id"] != "u1" {
			t.Errorf("line %d = %s, want cursor %s, payload {\"id\":1}, user u1", i, l, cursors[i])
		}
	}
	wantResume := "--cursor " + cursors[2]
	if !strings.Contains(all.stderr, "resume with: galaxyctl tail --addr "+s.addr) || !strings.Contains(all.stderr, wantResume) {
		t.Errorf("tail stderr lacks the resume command with %q:\n%s", wantResume, all.stderr)
	}

	// Resume after the first cursor: exactly the two later events.
	rest := run(t, ctx, "tail", "--addr", s.addr, "--cursor", cursors[0], "-n", "2", "-o", "json")
	if rest.code != 0 {
		t.Fatalf("tail --cursor exit = %d, want 0; stderr:\n%s", rest.code, rest.stderr)
	}
	got := []string{}
	for _, l := range strings.Split(strings.TrimSpace(rest.stdout), "\n") {
		var ev struct{ Cursor string }
		_ = json.Unmarshal([]byte(l), &ev)
		got = append(got, ev.Cursor)
	}
	if strings.Join(got, ",") != strings.Join(cursors[1:], ",") {
		t.Errorf("tail --cursor %s = %v, want %v", cursors[0], got, cursors[1:])
	}
}

func TestBadInput(t *testing.T) {
	ctx := testCtx(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"malformed cursor", []string{"tail", "--cursor", "not-a-cursor"}, 2, "--cursor"},
		{"unknown target", []string{"tail", "--target", "frontend"}, 2, `--target "frontend" is not one of backend or gateway`},
		{"negative heartbeat", []string{"serve", "--heartbeat", "-1s"}, 2, "--heartbeat must be 0 (off) or positive"},
		{"bad output", []string{"tail", "-o", "yaml"}, 2, "--output"},
		{"unknown flag", []string{"tail", "--nope"}, 2, "unknown flag: --nope"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"zero count", []string{"publish", "--count", "0"}, 2, "--count must be at least 1"},
		{"gateway alone without backend", []string{"serve", "--role", "gateway"}, 2, "--backend"},
		{"unreachable addr", []string{"tail", "--addr", "127.0.0.1:1", "--no-reconnect"}, 1, "Unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, ctx, tc.args...)
			if r.code != tc.code {
				t.Errorf("galaxyctl %v exit = %d, want %d; stderr:\n%s", tc.args, r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.contains) {
				t.Errorf("galaxyctl %v stderr = %q, want it to contain %q", tc.args, r.stderr, tc.contains)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "Usage:") {
				t.Errorf("galaxyctl %v stderr has a panic or the whole usage block:\n%s", tc.args, r.stderr)
			}
		})
	}
}

// lineReader yields a running command's stdout lines on a channel.
func lineReader(r io.Reader) <-chan string {
	ch := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

func TestGatewayTailHeartbeatsAndSignatures(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte(testKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(pubFile, []byte(testPubPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, ctx, "--heartbeat", "100ms", "--signing-key", keyFile)

	cmd := exec.CommandContext(ctx, binPath, "tail", "--target", "gateway", "--addr", s.addr,
		"--heartbeats", "--verify-key", pubFile, "-o", "json")
	stdout, _ := cmd.StdoutPipe()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := lineReader(stdout)
	heartbeats := 0
	for heartbeats < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("tail ended early; stderr:\n%s", errb.String())
			}
			if strings.Contains(l, `"event_type":"gateway.heartbeat"`) {
				heartbeats++
			}
		case <-ctx.Done():
			t.Fatalf("saw %d heartbeats before the deadline, want 2", heartbeats)
		}
	}
	if r := run(t, ctx, "publish", "--addr", s.addr, "--type", "signed.event", "--payload", "hello"); r.code != 0 {
		t.Fatalf("publish exit %d: %s", r.code, r.stderr)
	}
	for {
		l, ok := <-lines
		if !ok {
			t.Fatalf("tail ended before the event; stderr:\n%s", errb.String())
		}
		if strings.Contains(l, `"event_type":"signed.event"`) {
			if !strings.Contains(l, `"signature_valid":true`) || !strings.Contains(l, `"event_id":`) {
				t.Errorf("gateway event = %s, want signature_valid true and an event_id", l)
			}
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if err != nil {
		t.Errorf("tail after SIGINT: %v, want exit 0; stderr:\n%s", err, errb.String())
	}
}

func TestServeDrainsOnSIGTERM(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--drain-timeout", "5s")
	tail := exec.CommandContext(ctx, binPath, "tail", "--target", "gateway", "--addr", s.addr, "--no-reconnect")
	var terr bytes.Buffer
	tail.Stderr = &terr
	if err := tail.Start(); err != nil {
		t.Fatal(err)
	}
	// A publish that the tail's gateway stream sees proves the stream is up.
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0", err)
		}
		s.done <- nil
	case <-ctx.Done():
		t.Fatal("serve did not exit after SIGTERM")
	}
	_ = tail.Wait()
}

// A fixed Ed25519 key pair (RFC 8032 test vector 1) in PEM, so the test
// needs no openssl.
const testKeyPEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
`

const testPubPEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
-----END PUBLIC KEY-----
`

func TestTailExpiredCursorWarns(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--ring-size", "3", "--heartbeat", "0")
	pub := run(t, ctx, "publish", "--addr", s.addr, "--count", "10")
	cursors := strings.Fields(pub.stdout)
	if pub.code != 0 || len(cursors) != 10 {
		t.Fatalf("publish = %d, %q; want 10 cursors", pub.code, pub.stdout)
	}
	// The ring holds events 8 to 10: after event 1, events 2 to 7 are gone.
	r := run(t, ctx, "tail", "--addr", s.addr, "--cursor", cursors[0], "-n", "3", "-o", "json")
	if r.code != 0 {
		t.Fatalf("tail exit = %d; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "warning: the cursor has expired: 6 events were evicted") {
		t.Errorf("tail stderr = %q, want the expired warning with 6 missed events", r.stderr)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev struct{ Cursor string }
		_ = json.Unmarshal([]byte(l), &ev)
		got = append(got, ev.Cursor)
	}
	if strings.Join(got, ",") != strings.Join(cursors[7:], ",") {
		t.Errorf("tail after an expired cursor = %v, want the ring %v", got, cursors[7:])
	}
}

// -n N prints exactly N events even when many more are already buffered.
func TestTailCountIsExact(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--heartbeat", "0", "--publish-rate", "20000")
	if r := run(t, ctx, "publish", "--addr", s.addr, "--count", "500"); r.code != 0 {
		t.Fatalf("publish exit %d: %s", r.code, r.stderr)
	}
	for _, args := range [][]string{
		{"tail", "--addr", s.addr, "--from-start", "-n", "1", "-o", "json"},
		{"tail", "--addr", s.addr, "--from-start", "-n", "5", "-o", "json"},
		{"tail", "--target", "gateway", "--addr", s.addr, "-n", "3", "-o", "json"},
	} {
		for i := 0; i < 3; i++ {
			r := run(t, ctx, args...)
			want := args[len(args)-3]
			if got := strings.Count(r.stdout, "\n"); r.code != 0 || strconv.Itoa(got) != want {
				t.Errorf("galaxyctl %v printed %d lines (exit %d), want %s", args, got, r.code, want)
			}
		}
	}
}

// --timeout ends tail with exit 0 (no --count), never with a stream error.
func TestTailTimeoutIsClean(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--heartbeat", "0")
	for i := 0; i < 5; i++ {
		r := run(t, ctx, "tail", "--addr", s.addr, "--timeout", "100ms", "--no-reconnect")
		if r.code != 0 || strings.Contains(r.stderr, "DeadlineExceeded") {
			t.Fatalf("tail --timeout 100ms --no-reconnect = exit %d, stderr:\n%s\nwant exit 0", r.code, r.stderr)
		}
	}
}
