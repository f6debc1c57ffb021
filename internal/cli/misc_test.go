package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestJoinOr(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := joinOr(tt.in); got != tt.want {
			t.Errorf("joinOr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{context.Background(), nil, ExitOK},
		{context.Background(), usagef("--x"), ExitUsage},
		{cancelled, usagef("--x"), ExitUsage},
		{cancelled, errors.New("stream ended"), ExitInterrupted},
		{context.Background(), errors.New("stream ended"), ExitFailure},
		{context.Background(), &thresholdError{failed: []string{"a<1"}, total: 2}, ExitThreshold},
		{context.Background(), fmt.Errorf("bench: %w", &thresholdError{failed: []string{"a<1"}, total: 1}), ExitThreshold},
		{cancelled, &thresholdError{failed: []string{"a<1"}, total: 1}, ExitThreshold},
	} {
		if got := exitCode(tt.ctx, tt.err); got != tt.want {
			t.Errorf("exitCode(ctx err %v, %v) = %d, want %d", tt.ctx.Err(), tt.err, got, tt.want)
		}
	}
}

func TestNewLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := newLogger(&b, "info", "json")
	if err != nil {
		t.Fatalf("newLogger(json) = %v", err)
	}
	l.Info("hello")
	if !strings.HasPrefix(b.String(), "{") || !strings.Contains(b.String(), `"msg":"hello"`) {
		t.Errorf("json log line = %q, want a JSON object", b.String())
	}
	if _, err := newLogger(&b, "info", "xml"); err == nil || !strings.Contains(err.Error(), `--log-format "xml" is not one of console or json`) {
		t.Errorf("newLogger(xml) = %v, want a --log-format usage error", err)
	}
	if l := (&globalOptions{}).Logger(); l == nil {
		t.Error("Logger() before the root's pre-run = nil, want a no-op logger")
	}
}

func TestWriteJSONFileError(t *testing.T) {
	if err := writeJSONFile("/nonexistent-dir/ready.json", readyInfo{}); err == nil {
		t.Error("writeJSONFile into a missing directory = nil, want an error")
	}
	if err := writeJSONFile(t.TempDir()+"/r.json", make(chan int)); err == nil {
		t.Error("writeJSONFile(a channel) = nil, want a marshal error")
	}
}
