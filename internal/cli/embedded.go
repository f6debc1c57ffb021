package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// embeddedServer is a `galaxyctl serve` child process that bench measures.
// It runs as its own process so its memory and sockets are its own, apart
// from the simulated clients'.
type embeddedServer struct {
	cmd    *exec.Cmd
	ready  readyInfo
	dir    string
	stderr *lockedBuffer
	exited chan struct{}
	err    error // the child's exit status, once exited is closed
	once   sync.Once
}

// startEmbeddedServer starts `exe serve` with args plus a port-0 listener,
// metrics and a ready file, and waits until the child says it is serving.
func startEmbeddedServer(ctx context.Context, exe string, args []string, timeout time.Duration) (*embeddedServer, error) {
	dir, err := os.MkdirTemp("", "galaxyctl-bench-")
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	readyPath := filepath.Join(dir, "ready.json")
	full := append([]string{"serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
		"--ready-file", readyPath, "--log-level", "warn"}, args...)
	// Not CommandContext: stopping is ours to do (SIGTERM, then a deadline).
	cmd := exec.Command(exe, full...)
	s := &embeddedServer{cmd: cmd, dir: dir, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = s.stderr
	cmd.Stderr = s.stderr
	// Its own process group keeps a terminal's Ctrl-C from reaching it
	// before bench has closed its clients; see childProcAttr per platform.
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir) // best effort: the start error is the one to report
		return nil, fmt.Errorf("embedded server: start %s: %w", exe, err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	// On the way out, Stop's own error is dropped: why the server never
	// served is the one to report.
	for {
		b, err := os.ReadFile(readyPath)
		if err == nil && json.Unmarshal(b, &s.ready) == nil && s.ready.GRPCAddr != "" {
			return s, nil
		}
		select {
		case <-ctx.Done():
			_ = s.Stop()
			return nil, ctx.Err()
		case <-s.exited:
			_ = s.Stop()
			return nil, &childError{msg: fmt.Sprintf("embedded server exited before serving: %v", s.err), output: s.stderr.String()}
		case <-deadline.C:
			_ = s.Stop()
			return nil, &childError{msg: fmt.Sprintf("embedded server not ready after %s", timeout), output: s.stderr.String()}
		case <-poll.C:
		}
	}
}

// Stop ends the child: asked to drain (terminate), killed after a deadline. It is
// idempotent and always waits for the child, so no process is left behind.
func (s *embeddedServer) Stop() error {
	var stopErr error
	s.once.Do(func() {
		select {
		case <-s.exited:
		default:
			_ = terminate(s.cmd.Process)
			t := time.NewTimer(15 * time.Second)
			select {
			case <-s.exited:
			case <-t.C:
				_ = s.cmd.Process.Kill()
				<-s.exited
				stopErr = errors.New("embedded server did not drain in 15s; killed")
			}
			t.Stop()
		}
		if err := os.RemoveAll(s.dir); err != nil {
			stopErr = errors.Join(stopErr, fmt.Errorf("embedded server: %w", err))
		}
	})
	return stopErr
}

// childError is a failure of the embedded server: a one-line message, and
// what the child wrote, which Main prints below the error.
type childError struct {
	msg    string
	output string
}

func (e *childError) Error() string { return e.msg }

// Detail is the child's output, for Main to print after the error line.
func (e *childError) Detail() string {
	if strings.TrimSpace(e.output) == "" {
		return ""
	}
	return "the embedded server's output:\n" + e.output
}

// Output is what the child wrote, for error messages.
func (s *embeddedServer) Output() string { return s.stderr.String() }

// lockedBuffer is a bytes.Buffer safe for the child's writer goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep the tail bounded: only the end matters
		l.b.Reset()
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
