package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// syncBuffer is a bytes.Buffer safe for a server's log goroutines and the
// test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// inprocServer is `galaxyctl serve` run through Main in this process, so a
// test can watch its goroutines and stop it as SIGTERM would: by cancelling
// the context main's signal.NotifyContext hands it.
type inprocServer struct {
	addr   string
	info   readyInfo
	stop   context.CancelFunc
	exit   chan int
	stderr *syncBuffer
	ready  string // the --ready-file path
}

// startInproc runs serve with args on 127.0.0.1:0 and returns once its
// ready file is written. Cleanup stops it if the test did not.
func startInproc(ctx context.Context, t *testing.T, args ...string) *inprocServer {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready.json")
	sctx, stop := context.WithCancel(context.Background())
	s := &inprocServer{stop: stop, exit: make(chan int, 1), stderr: &syncBuffer{}, ready: ready}
	streams := IOStreams{In: strings.NewReader(""), Out: &syncBuffer{}, ErrOut: s.stderr}
	argv := append([]string{"serve", "--listen", "127.0.0.1:0", "--ready-file", ready, "--log-level", "warn"}, args...)
	go func() { s.exit <- Main(sctx, argv, streams) }()
	t.Cleanup(func() {
		stop()
		select {
		case code := <-s.exit:
			s.exit <- code
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop within 15s of its context ending")
		}
	})
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(ready); err == nil && json.Unmarshal(b, &s.info) == nil && s.info.GRPCAddr != "" {
			s.addr = s.info.GRPCAddr
			return s
		}
		select {
		case code := <-s.exit:
			s.exit <- code // for Cleanup
			t.Fatalf("serve %v exited with %d before it was ready:\n%s", args, code, s.stderr)
		case <-ctx.Done():
			t.Fatalf("serve %v not ready: %v\n%s", args, ctx.Err(), s.stderr)
		case <-tick.C:
		}
	}
}

// shutdown ends serve as SIGTERM does and returns its exit code and how
// long it took.
func (s *inprocServer) shutdown(ctx context.Context, t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	s.stop()
	select {
	case code := <-s.exit:
		s.exit <- code
		return code, time.Since(start)
	case <-ctx.Done():
		t.Fatalf("serve did not exit after its context ended: %v\n%s", ctx.Err(), s.stderr)
		return 0, 0
	}
}

// dial opens a plaintext client connection of its own to s.
func (s *inprocServer) dial(t *testing.T, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatalf("grpc.NewClient(%s) = %v", s.addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
