package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The README's walkthrough must be true: this test runs its commands, with
// only the addresses substituted (serve listens on port 0 and the
// addresses it announces replace 127.0.0.1:7070 and :9090), and checks
// that every sample line the README shows under a command (a comment
// indented "#   ") matches a line the command printed, times, numbers and
// cursors aside. grpcurl lines run when grpcurl is on PATH.

// walkStep is one command of the walkthrough and the sample output the
// README shows under it.
type walkStep struct {
	line    string
	samples []string
}

// walkthroughSteps reads the ```sh blocks of the README's walkthrough
// section, up to its first sub-heading.
func walkthroughSteps(t *testing.T) []walkStep {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Walkthrough")
	if !ok {
		t.Fatal("README.md has no ## Walkthrough")
	}
	section, _, _ = strings.Cut(section, "\n### ")
	var steps []walkStep
	for _, block := range strings.Split(section, "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		for _, l := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(l, "#   "):
				if len(steps) == 0 {
					t.Fatalf("README walkthrough: sample output %q before any command", l)
				}
				steps[len(steps)-1].samples = append(steps[len(steps)-1].samples, strings.TrimSpace(l[1:]))
			case strings.HasPrefix(l, "#"), strings.TrimSpace(l) == "":
			default:
				steps = append(steps, walkStep{line: l})
			}
		}
	}
	if len(steps) < 5 {
		t.Fatalf("README walkthrough has %d commands, want the whole walkthrough", len(steps))
	}
	return steps
}

var (
	sampleCursor = regexp.MustCompile(`[0-9a-f]{16}-[0-9a-f]{16}`)
	sampleTime   = regexp.MustCompile(`\d\d:\d\d:\d\d\\\.\d\d\d`)
	sampleNumber = regexp.MustCompile(`\d+(\\\.\d+)?`)
	// sampleDuration is a duration in a sample: a gap the README shows as
	// 1.0s may print as 997.4ms, so any duration stands for any other.
	sampleDuration = regexp.MustCompile(`\b\d+(\\\.\d+)?(ms|s)\b`)
	sampleSpace    = regexp.MustCompile(`\s+`)
)

// sampleRegexp turns a sample line into a pattern for a whole output line:
// any cursor, time of day, duration and number stand for any other, "..." for any
// text, and a run of blanks for any run.
func sampleRegexp(sample string) *regexp.Regexp {
	q := regexp.QuoteMeta(sample)
	q = strings.ReplaceAll(q, `\.\.\.`, "\x00A")
	q = sampleCursor.ReplaceAllString(q, "\x00C")
	q = sampleTime.ReplaceAllString(q, "\x00T")
	q = sampleDuration.ReplaceAllString(q, "\x00D")
	q = sampleNumber.ReplaceAllString(q, `\d+(\.\d+)?`)
	q = sampleSpace.ReplaceAllString(q, `\s+`)
	q = strings.NewReplacer("\x00A", ".*", "\x00C", `[0-9a-f]{16}-[0-9a-f]{16}`, "\x00T", `\d\d:\d\d:\d\d\.\d+`,
		"\x00D", `\d+(\.\d+)?(ms|s)`).Replace(q)
	return regexp.MustCompile(`^` + q + `$`)
}

// checkSamples fails the test for each sample of st that no output line
// matches.
func checkSamples(t *testing.T, st walkStep, output string) {
	t.Helper()
	lines := strings.Split(output, "\n")
	for _, s := range st.samples {
		re := sampleRegexp(s)
		found := false
		for _, l := range lines {
			if re.MatchString(strings.TrimSpace(l)) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("README walkthrough: %s\nshows %q, but it printed:\n%s", st.line, s, output)
		}
	}
}

// walkShell runs the walkthrough's commands in one directory and
// environment, as a user's terminals would.
type walkShell struct {
	dir   string
	env   []string
	addrs *strings.Replacer // README addresses to the real ones
}

func (w *walkShell) command(ctx context.Context, line string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-o", "pipefail", "-c", "exec "+line)
	if strings.ContainsAny(line, "|;&$") {
		cmd = exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-o", "pipefail", "-c", line)
	}
	cmd.Dir, cmd.Env = w.dir, w.env
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	return cmd
}

var servingAddrs = regexp.MustCompile(`"grpc_addr": "([^"]+)".*"metrics_addr": "([^"]*)"`)

// startServe starts the walkthrough's serve on port 0 and learns its
// addresses from the "serving" log line.
func (w *walkShell) startServe(t *testing.T, ctx context.Context, line string) {
	t.Helper()
	line = strings.ReplaceAll(line, "127.0.0.1:9090", "127.0.0.1:0") + " --listen 127.0.0.1:0"
	cmd := w.command(context.Background(), line)
	pr, pw := io.Pipe()
	var logs syncBuf
	cmd.Stderr = io.MultiWriter(pw, &logs)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("walkthrough serve after SIGTERM: %v, want exit 0\n%s", err, logs.String())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("walkthrough serve did not exit within 15s of SIGTERM")
		}
	})
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := servingAddrs.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1:]
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case m := <-found:
		w.addrs = strings.NewReplacer("127.0.0.1:7070", m[0], "127.0.0.1:9090", m[1])
	case <-ctx.Done():
		t.Fatalf("walkthrough serve never logged its addresses:\n%s", logs.String())
	}
	// The key file is written just after the serving line.
	if _, f, ok := strings.Cut(line, "--public-key-file "); ok {
		f, _, _ = strings.Cut(f, " ")
		waitFile(t, ctx, filepath.Join(w.dir, f))
	}
}

func waitFile(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never appeared", path)
		case <-tick.C:
		}
	}
}

// runUntilOutput runs a command that only Ctrl-C ends until it has printed
// a line, then interrupts it as the README says, and returns everything it
// printed.
func (w *walkShell) runUntilOutput(t *testing.T, ctx context.Context, line string) string {
	t.Helper()
	cmd := w.command(ctx, line)
	var out syncBuf
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = io.MultiWriter(pw, &out), &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	first := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			close(first)
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case <-first:
	case <-ctx.Done():
		t.Fatalf("README walkthrough: %s printed nothing before the deadline:\n%s", line, out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	pw.Close()
	if err != nil {
		t.Errorf("README walkthrough: %s ended by Ctrl-C: %v, want exit 0\n%s", line, err, out.String())
	}
	return out.String()
}

// endless says whether line is a tail that only Ctrl-C ends.
func endless(line string) bool {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "galaxyctl" || f[1] != "tail" {
		return false
	}
	for _, a := range f {
		if a == "-n" || a == "--count" || a == "--timeout" || strings.HasPrefix(a, "--count=") || strings.HasPrefix(a, "--timeout=") {
			return false
		}
	}
	return true
}

func TestReadmeWalkthrough(t *testing.T) {
	ctx := testCtx(t)
	steps := walkthroughSteps(t)
	w := &walkShell{dir: t.TempDir()}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GALAXYCTL_") && !strings.HasPrefix(kv, "PATH=") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "PATH="+filepath.Dir(binPath)+":"+os.Getenv("PATH"))
	_, grpcurlErr := exec.LookPath("grpcurl")
	for _, st := range steps {
		if w.addrs == nil && !strings.HasPrefix(st.line, "galaxyctl serve") {
			t.Fatalf("README walkthrough: %s comes before serve", st.line)
		}
		if w.addrs == nil {
			w.startServe(t, ctx, st.line)
			continue
		}
		st.line = w.addrs.Replace(st.line)
		if name, value, ok := strings.Cut(strings.TrimPrefix(st.line, "export "), "="); ok && strings.HasPrefix(st.line, "export ") {
			w.env = append(w.env, name+"="+value)
			continue
		}
		if strings.HasPrefix(st.line, "grpcurl ") && grpcurlErr != nil {
			t.Logf("grpcurl is not on PATH (.ci/run installs it): skipping %s", st.line)
			continue
		}
		var output string
		if endless(st.line) {
			output = w.runUntilOutput(t, ctx, st.line)
		} else {
			cmd := w.command(ctx, st.line)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			output = out.String()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("%s: %v", st.line, err)
			}
			if err != nil {
				t.Errorf("README walkthrough: %s exited %d, want 0:\n%s", st.line, ee.ExitCode(), output)
			}
		}
		checkSamples(t, st, output)
	}
}

// syncBuf is a buffer a command's output goroutines and the test share.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSampleRegexp pins what a README sample line stands for.
func TestSampleRegexp(t *testing.T) {
	for _, c := range []struct {
		sample, line string
		match        bool
	}{
		{"13:04:06.124  gateway.heartbeat     (1.0s since the last message)", "03:33:06.961  gateway.heartbeat     (997.4ms since the last message)", true},
		{"13:04:06.124  gateway.heartbeat     (1.0s since the last message)", "03:33:06.961  gateway.heartbeat     (1.0s since the stream started)", false},
		{"synthetic.tick  user-4  0.4ms  5f1c0b7e9a3d2c11-0000000000000009  signature=valid  {\"seq\":4,...}",
			"synthetic.tick  user-4  1.4ms  5eb56e3bef1a53bc-0000000000000008  signature=valid  {\"seq\":4,\"at\":\"x\"}", true},
		{"all 2 events verified", "all 3 events verified", true},
		{"all 2 events verified", "1 of 2 events failed verification", false},
	} {
		if got := sampleRegexp(c.sample).MatchString(c.line); got != c.match {
			t.Errorf("sampleRegexp(%q).MatchString(%q) = %v, want %v", c.sample, c.line, got, c.match)
		}
	}
}
