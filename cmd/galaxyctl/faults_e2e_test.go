package main

import (
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

// These tests drive the binary through faults a user meets: a server that
// shuts down under live clients, a tail interrupted and resumed, two tails at
// once, TLS that is not trusted, and requests over the server's limits.

// proc is a galaxyctl command running in the background.
type proc struct {
	cmd    *exec.Cmd
	lines  <-chan string // stdout, line by line; closed at EOF
	stderr *bytes.Buffer // read only after wait
	done   chan error
}

// start runs galaxyctl args in the background; cleanup kills it if the test
// did not wait for it.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	// Not StdoutPipe: Wait would close it under a reader still reading the
	// last lines. exec copies into pw until EOF, and Wait waits for that.
	pr, pw := io.Pipe()
	p := &proc{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = pw, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start galaxyctl %v: %v", args, err)
	}
	p.lines = lineReader(pr)
	go func() {
		err := cmd.Wait()
		pw.Close()
		p.done <- err
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		go drainLines(p.lines)
		<-p.done
		p.done <- nil
	})
	return p
}

// next returns the next stdout line, failing the test at EOF or deadline.
func (p *proc) next(t *testing.T, ctx context.Context) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("galaxyctl %v ended its output early", p.cmd.Args[1:])
		}
		return l
	case <-ctx.Done():
		t.Fatalf("galaxyctl %v: no output line before the deadline", p.cmd.Args[1:])
	}
	return ""
}

// stop signals p, reads the rest of its output, and returns it with the
// exit code.
func (p *proc) stop(t *testing.T, ctx context.Context, sig syscall.Signal) (rest []string, code int) {
	t.Helper()
	if sig != 0 {
		_ = p.cmd.Process.Signal(sig)
	}
	for {
		select {
		case l, ok := <-p.lines:
			if ok {
				rest = append(rest, l)
				continue
			}
		case <-ctx.Done():
			t.Fatalf("galaxyctl %v did not end: %v", p.cmd.Args[1:], ctx.Err())
		}
		break
	}
	var err error
	select {
	case err = <-p.done:
		p.done <- err
	case <-ctx.Done():
		t.Fatalf("galaxyctl %v did not exit: %v", p.cmd.Args[1:], ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return rest, ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("galaxyctl %v: %v", p.cmd.Args[1:], err)
	}
	return rest, 0
}

// tailLine is what these tests read of a `tail -o json` line.
type tailLine struct {
	Cursor    string `json:"cursor"`
	EventType string `json:"event_type"`
}

func parseTailLine(t *testing.T, l string) tailLine {
	t.Helper()
	var e tailLine
	if err := json.Unmarshal([]byte(l), &e); err != nil || e.Cursor == "" {
		t.Fatalf("tail -o json line %q: %v, want an event with a cursor", l, err)
	}
	return e
}

// seqOf is the sequence number in a backend cursor (INCARNATION-SEQ, hex).
func seqOf(t *testing.T, cursor string) uint64 {
	t.Helper()
	_, hex, ok := strings.Cut(cursor, "-")
	n, err := strconv.ParseUint(hex, 16, 64)
	if !ok || err != nil {
		t.Fatalf("cursor %q: want INCARNATION-SEQ in hex", cursor)
	}
	return n
}

// splitResume extracts the words of the "resume with:" line tail prints, as
// a POSIX shell would split them (bare words and single quotes is all that
// tail's quoting produces).
func splitResume(t *testing.T, stderr string) []string {
	t.Helper()
	var line string
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, "resume with: "); ok {
			line = rest
		}
	}
	if line == "" {
		t.Fatalf("tail stderr has no resume command:\n%s", stderr)
	}
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestSIGTERMWithLiveClients stops serve under three gateway tails and a
// backend tail that do not reconnect, and one of each that do. serve exits 0
// well within --drain-timeout; the non-reconnecting tails exit 1 naming the
// status, UNAVAILABLE with the server's own reason and no misleading hint;
// the reconnecting ones log that reason, and on SIGINT exit 0 with their
// resume point.
func TestSIGTERMWithLiveClients(t *testing.T) {
	ctx := testCtx(t)
	const drain = 5 * time.Second
	s := startServe(t, ctx, "--publish-rate", "100", "--heartbeat", "100ms", "--drain-timeout", drain.String())

	type client struct {
		p       *proc
		gateway bool
		retry   bool
	}
	var clients []client
	for i := range 5 {
		gateway, retry := i < 3 || i == 4, i == 4
		args := []string{"tail", "--addr", s.addr, "-o", "json"}
		if gateway {
			args = append(args, "--target", "gateway")
		}
		if !retry {
			args = append(args, "--no-reconnect")
		}
		clients = append(clients, client{p: start(t, args...), gateway: gateway, retry: retry})
	}
	clients = append(clients, client{p: start(t, "tail", "--addr", s.addr, "-o", "json"), retry: true})
	for _, c := range clients {
		parseTailLine(t, c.p.next(t, ctx)) // live: events flow to every client
	}

	begin := time.Now()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		took := time.Since(begin)
		if err != nil || took >= drain {
			t.Errorf("serve after SIGTERM = %v after %v, want exit 0 within --drain-timeout %v", err, took, drain)
		}
		t.Logf("serve exited %v after SIGTERM with %d live clients", took, len(clients))
	case <-ctx.Done():
		t.Fatal("serve did not exit after SIGTERM")
	}

	for i, c := range clients {
		target, reason := "tail", "backend shutting down"
		if c.gateway {
			target, reason = "tail gateway", "gateway shutting down"
		}
		if !c.retry {
			_, code := c.p.stop(t, ctx, 0)
			want := fmt.Sprintf("Error: %s %s: Unavailable: %s\n", target, s.addr, reason)
			if errOut := c.p.stderr.String(); code != 1 || !strings.HasSuffix(errOut, want) {
				t.Errorf("client %d (%s --no-reconnect) = exit %d, stderr %q; want exit 1 ending %q", i, target, code, errOut, want)
			}
			continue
		}
		// A reconnecting tail keeps trying; it has logged why it lost the
		// stream. SIGINT still ends it cleanly.
		_, code := c.p.stop(t, ctx, syscall.SIGINT)
		errOut := c.p.stderr.String()
		want := "last event_id: "
		if !c.gateway {
			want = "resume with: galaxyctl tail --addr " + s.addr
		}
		if code != 0 || strings.Count(errOut, reason) != 1 || !strings.Contains(errOut, want) {
			t.Errorf("client %d (%s, reconnecting) after SIGINT = exit %d, stderr:\n%s\nwant exit 0, %q logged once and %q", i, target, code, errOut, reason, want)
		}
	}
}

// TestTailInterruptAndResume interrupts a live tail mid-stream, runs the
// resume command it prints, and checks the two runs together against a
// --from-start tail of the same ring: the same events, none missing, none
// twice, in order.
func TestTailInterruptAndResume(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--publish-rate", "200", "--heartbeat", "0", "--ring-size", "100000")

	first := start(t, "tail", "--addr", s.addr, "-o", "json")
	var got []string
	for len(got) < 50 {
		got = append(got, parseTailLine(t, first.next(t, ctx)).Cursor)
	}
	rest, code := first.stop(t, ctx, syscall.SIGINT)
	for _, l := range rest {
		got = append(got, parseTailLine(t, l).Cursor)
	}
	if code != 0 {
		t.Fatalf("tail after SIGINT = exit %d, want 0; stderr:\n%s", code, first.stderr)
	}
	t.Logf("interrupted tail printed %d events, %d of them after SIGINT was sent", len(got), len(rest))
	words := splitResume(t, first.stderr.String())
	want := []string{"galaxyctl", "tail", "--addr", s.addr, "-o", "json", "--cursor", got[len(got)-1]}
	if strings.Join(words, " ") != strings.Join(want, " ") {
		t.Fatalf("resume command = %q, want %q", words, want)
	}

	// The printed command, run as printed (with a count, so it ends).
	resumed := run(t, ctx, append(words[1:], "-n", "100")...)
	if resumed.code != 0 {
		t.Fatalf("resume command exit = %d, want 0; stderr:\n%s", resumed.code, resumed.stderr)
	}
	split := len(got)
	for _, l := range strings.Split(strings.TrimSpace(resumed.stdout), "\n") {
		got = append(got, parseTailLine(t, l).Cursor)
	}
	last := got[len(got)-1]

	// The reference: everything the ring holds, up to the resumed run's end.
	all := start(t, "tail", "--addr", s.addr, "--from-start", "-o", "json")
	var ref []string
	for len(ref) == 0 || ref[len(ref)-1] != last {
		ref = append(ref, parseTailLine(t, all.next(t, ctx)).Cursor)
	}
	all.stop(t, ctx, syscall.SIGINT)

	i := 0
	for i < len(ref) && ref[i] != got[0] {
		i++
	}
	if ref := ref[i:]; strings.Join(ref, ",") != strings.Join(got, ",") {
		t.Errorf("interrupted tail (%d events) + resumed tail (%d) = %d events, want the %d events --from-start has from %s to %s",
			split, len(got)-split, len(got), len(ref), got[0], last)
	}
	for j := 1; j < len(got); j++ {
		if seqOf(t, got[j]) != seqOf(t, got[j-1])+1 {
			t.Fatalf("event %d (%s) follows %s: want consecutive sequence numbers (no gap, no repeat) across the resume at %d", j, got[j], got[j-1], split)
		}
	}
}

// TestTwoDefaultTailsCoexist runs two backend tails with the default client
// ids side by side: each id is unique, so neither replaces (Aborted) the
// other, and both see the same unbroken run of events.
func TestTwoDefaultTailsCoexist(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--publish-rate", "200", "--heartbeat", "0")
	a := start(t, "tail", "--addr", s.addr, "-o", "json")
	b := start(t, "tail", "--addr", s.addr, "-o", "json")
	// Both connected: each has an event. Then both read on, together.
	got := [][]uint64{{seqOf(t, parseTailLine(t, a.next(t, ctx)).Cursor)}, {seqOf(t, parseTailLine(t, b.next(t, ctx)).Cursor)}}
	for len(got[0]) < 200 || len(got[1]) < 200 {
		for i, p := range []*proc{a, b} {
			if len(got[i]) < 200 {
				got[i] = append(got[i], seqOf(t, parseTailLine(t, p.next(t, ctx)).Cursor))
			}
		}
	}
	for i, p := range []*proc{a, b} {
		_, code := p.stop(t, ctx, syscall.SIGINT)
		errOut := p.stderr.String()
		if code != 0 || strings.Contains(errOut, "Aborted") || strings.Contains(errOut, "reconnecting") {
			t.Errorf("tail %d of 2 = exit %d, stderr:\n%s\nwant exit 0 with no stream lost", i+1, code, errOut)
		}
		for j := 1; j < len(got[i]); j++ {
			if got[i][j] != got[i][j-1]+1 {
				t.Errorf("tail %d of 2: event seq %d after %d, want an unbroken run", i+1, got[i][j], got[i][j-1])
				break
			}
		}
	}
	// Both saw the events from the later start to the earlier end.
	lo, hi := max(got[0][0], got[1][0]), min(got[0][199], got[1][199])
	if hi < lo+100 {
		t.Errorf("tails overlapped on seq %d..%d, want at least 100 events in common", lo, hi)
	}
}

// TestTLSTrust serves a self-signed certificate: a client that trusts only
// the system roots fails at once with what to do, in every command, rather
// than retrying for ever; --cacert with the CA from the ready file works;
// --insecure-skip-verify works and says what it gives up.
func TestTLSTrust(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--tls-self-signed", "--heartbeat", "0")
	ca, _ := s.info["tls_ca_file"].(string)
	if ca == "" {
		t.Fatalf("ready file %v has no tls_ca_file", s.info)
	}
	const untrusted = "the server's certificate is not trusted (x509: certificate signed by unknown authority): pass the CA that signed it with --cacert FILE"
	for _, args := range [][]string{
		// --timeout bounds the test if tail retries: it would then exit 0.
		{"tail", "--addr", s.addr, "--tls", "--timeout", "20s"},
		{"tail", "--addr", s.addr, "--tls", "--target", "gateway", "--timeout", "20s"},
		{"publish", "--addr", s.addr, "--tls"},
	} {
		r := run(t, ctx, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "Error: ") || !strings.Contains(r.stderr, untrusted) {
			t.Errorf("galaxyctl %v = exit %d, stderr:\n%s\nwant exit 1 with %q", args, r.code, r.stderr, untrusted)
		}
	}
	// Plaintext against TLS: a hint, not a hang.
	r := run(t, ctx, "tail", "--addr", s.addr, "--no-reconnect")
	if want := "(is the server serving TLS? then connect with --tls or --cacert FILE)"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("plaintext tail of a TLS server = exit %d, stderr:\n%s\nwant exit 1 with %q", r.code, r.stderr, want)
	}

	pub := run(t, ctx, "publish", "--addr", s.addr, "--cacert", ca, "--type", "over.tls")
	if pub.code != 0 {
		t.Fatalf("publish --cacert = exit %d, want 0; stderr:\n%s", pub.code, pub.stderr)
	}
	cursor := strings.TrimSpace(pub.stdout)
	for _, flag := range []string{"--cacert=" + ca, "--insecure-skip-verify"} {
		r := run(t, ctx, "tail", "--addr", s.addr, flag, "--from-start", "-n", "1", "-o", "json")
		if r.code != 0 || parseTailLine(t, strings.TrimSpace(r.stdout)).Cursor != cursor {
			t.Errorf("tail %s = exit %d, stdout %q, want 0 and the event %s; stderr:\n%s", flag, r.code, r.stdout, cursor, r.stderr)
		}
		warned := strings.Contains(r.stderr, "warning: --insecure-skip-verify: the server's certificate is not verified")
		if warned != (flag == "--insecure-skip-verify") {
			t.Errorf("tail %s stderr = %q; want the insecure warning only with --insecure-skip-verify", flag, r.stderr)
		}
	}
}

// TestRequestsOverLimits sends serve what its README limits refuse, through
// the CLI a user would use.
func TestRequestsOverLimits(t *testing.T) {
	ctx := testCtx(t)
	s := startServe(t, ctx, "--heartbeat", "0")
	dir := t.TempDir()
	file := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), n), 0o600); err != nil {
			t.Fatal(err)
		}
		return "@" + p
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"payload at 64 KiB", []string{"publish", "--addr", s.addr, "--payload", file("64k", 64<<10)}, 0, ""},
		{"payload over 64 KiB", []string{"publish", "--addr", s.addr, "--payload", file("64k1", 64<<10+1)}, 1,
			"InvalidArgument: payload is 65537 bytes, over the limit of 65536 bytes"},
		{"request over 1 MiB", []string{"publish", "--addr", s.addr, "--payload", file("2m", 2<<20)}, 1,
			"ResourceExhausted: grpc: received message larger than max ("},
		{"user filter over 1 KiB", []string{"tail", "--addr", s.addr, "--target", "gateway", "--user", strings.Repeat("u", 1025)}, 1,
			"InvalidArgument: user_id is 1025 bytes, over the limit of 1024 bytes"},
		{"header gRPC would refuse", []string{"publish", "--addr", s.addr, "-H", "x team=a"}, 2,
			`--header "x team=a": the key "x team" may only hold a-z, 0-9, '-', '_' and '.'`},
	}
	for _, tc := range cases {
		r := run(t, ctx, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.contains) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit %d with %q", tc.name, r.code, r.stderr, tc.code, tc.contains)
		}
	}
}
