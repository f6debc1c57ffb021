//go:build unix

package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeServe writes a shell script that stands in for `galaxyctl serve`.
func fakeServe(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-galaxyctl")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEmbeddedServerErrors checks that a child that fails to serve gives a
// one-line error, with its output apart for Main to print below.
func TestEmbeddedServerErrors(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    string
	}{
		{"exits", "echo 'Error: --listen in use' >&2\necho 'second line' >&2\nexit 3", 5 * time.Second,
			"embedded server exited before serving: exit status 3"},
		{"never ready", "echo 'starting' >&2\necho 'still starting' >&2\nexec sleep 30", time.Second,
			"embedded server not ready after 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := startEmbeddedServer(testContext(t), fakeServe(t, tt.script), nil, tt.timeout)
			var ce *childError
			if srv != nil || !errors.As(err, &ce) || err.Error() != tt.want {
				t.Fatalf("startEmbeddedServer() = %v, %v, want a one-line %q", srv, err, tt.want)
			}
			detail := ce.Detail()
			if !strings.HasPrefix(detail, "the embedded server's output:\n") || strings.Count(detail, "\n") != 3 {
				t.Errorf("Detail() = %q, want a heading and the child's two lines", detail)
			}
			var b bytes.Buffer
			printError(&b, nil, err)
			if got := b.String(); !strings.HasPrefix(got, "Error: "+tt.want+"\nthe embedded server's output:\n") {
				t.Errorf("printError() = %q, want the error line, then the output", got)
			}
		})
	}
}

func TestEmbeddedServerCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	srv, err := startEmbeddedServer(ctx, fakeServe(t, "exec sleep 30"), nil, 5*time.Second)
	if srv != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("startEmbeddedServer(cancelled) = %v, %v, want %v", srv, err, context.Canceled)
	}
}

// TestEmbeddedServerReady serves a ready file and stops the child, which
// drains on the terminate signal.
func TestEmbeddedServerReady(t *testing.T) {
	script := `while [ "$1" != "--ready-file" ]; do shift; done
trap 'exit 0' TERM
echo '{"grpc_addr":"127.0.0.1:7","pid":1}' > "$2"
while :; do sleep 0.05; done`
	srv, err := startEmbeddedServer(testContext(t), fakeServe(t, script), nil, 5*time.Second)
	if err != nil {
		t.Fatalf("startEmbeddedServer() = %v", err)
	}
	if srv.ready.GRPCAddr != "127.0.0.1:7" {
		t.Errorf("ready.GRPCAddr = %q, want 127.0.0.1:7", srv.ready.GRPCAddr)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop() = %v, want nil (the child drains on terminate)", err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop() = %v, want nil", err)
	}
	if _, err := os.Stat(srv.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir after Stop: %v, want it removed", err)
	}
}

func TestPrintErrorDetailOnly(t *testing.T) {
	var b bytes.Buffer
	printError(&b, nil, &childError{msg: "embedded server exited before serving: exit status 1"})
	if got, want := b.String(), "Error: embedded server exited before serving: exit status 1\n"; got != want {
		t.Errorf("printError(no output) = %q, want %q", got, want)
	}
}
