package subscribe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backoff"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

func TestOnStartReportsMetadata(t *testing.T) {
	tests := []struct {
		name string
		md   metadata.MD
		want StartInfo
	}{
		{
			"live",
			metadata.Pairs(pushv1.MetadataStart, pushv1.StartLive, pushv1.MetadataIncarnation, "00ab"),
			StartInfo{Start: pushv1.StartLive, Missed: -1, Incarnation: "00ab"},
		},
		{
			"resume",
			metadata.Pairs(pushv1.MetadataStart, pushv1.StartResume, pushv1.MetadataIncarnation, "00ab"),
			StartInfo{Start: pushv1.StartResume, Missed: -1, Incarnation: "00ab"},
		},
		{
			"reset after eviction",
			metadata.Pairs(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataResetReason, pushv1.ReasonExpired,
				pushv1.MetadataMissed, "42", pushv1.MetadataIncarnation, "00ab"),
			StartInfo{Start: pushv1.StartReset, ResetReason: pushv1.ReasonExpired, Missed: 42, Incarnation: "00ab"},
		},
		{
			"reset after restart",
			metadata.Pairs(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataResetReason, pushv1.ReasonIncarnation,
				pushv1.MetadataMissed, pushv1.MissedUnknown, pushv1.MetadataIncarnation, "00cd"),
			StartInfo{Start: pushv1.StartReset, ResetReason: pushv1.ReasonIncarnation, Missed: -1, Incarnation: "00cd"},
		},
		{
			"malformed missed count",
			metadata.Pairs(pushv1.MetadataStart, pushv1.StartReset, pushv1.MetadataMissed, "-3"),
			StartInfo{Start: pushv1.StartReset, Missed: -1},
		},
		{"no metadata", metadata.MD{}, StartInfo{Missed: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := testContext(t)
			opened := make(chan int, 1)
			h := newHarness(t, hold(opened, tt.md))
			rec, sl := &recorder{}, newSleeper(t)
			started := make(chan StartInfo, 1)
			s := newTestSubscriber(t, h, rec, sl, func(c *Config) {
				c.Cursor = "c7"
				c.OnStart = func(info StartInfo) { started <- info }
			})
			done := start(ctx, s)
			got := receive(t, ctx, started, "OnStart")
			cancel()
			if err := receive(t, t.Context(), done, "Run to return"); err != nil {
				t.Fatalf("Run() after cancel = %v, want nil", err)
			}
			want := tt.want
			want.Cursor = "c7"
			if got != want {
				t.Errorf("OnStart(%v) = %+v, want %+v", tt.md, got, want)
			}
		})
	}
}

// TestCancelReturnsPromptly cancels Run in each place it can wait: reading
// the stream, inside the handler, and in the default backoff sleep, whose
// delay is an hour so that only cancellation can end it.
func TestCancelReturnsPromptly(t *testing.T) {
	tests := []struct {
		name      string
		subscribe subscribeFunc
		// edit makes the Subscriber signal waiting once Run waits where
		// the case cancels it.
		edit func(c *Config, waiting chan<- struct{})
	}{
		{
			name:      "reading the stream",
			subscribe: hold(make(chan int, 1), nil),
			edit: func(c *Config, waiting chan<- struct{}) {
				c.OnStart = func(StartInfo) { waiting <- struct{}{} }
			},
		},
		{
			name:      "in the handler",
			subscribe: hold(make(chan int, 1), nil, "c1"),
			edit: func(c *Config, waiting chan<- struct{}) {
				c.Handler = func(ctx context.Context, _ *pushv1.PushEvent) error {
					waiting <- struct{}{}
					<-ctx.Done()
					return ctx.Err()
				}
			},
		},
		{
			name:      "in the backoff sleep",
			subscribe: fail(status.Error(codes.Unavailable, "down")),
			edit: func(c *Config, waiting chan<- struct{}) {
				c.Clock = nil
				c.Backoff = backoff.Config{Base: time.Hour, Multiplier: 2, Max: time.Hour}
				c.OnRetry = func(error, int, time.Duration) { waiting <- struct{}{} }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := testContext(t)
			h := newHarness(t, tt.subscribe)
			rec, sl := &recorder{}, newSleeper(t)
			waiting := make(chan struct{}, 1)
			s := newTestSubscriber(t, h, rec, sl, func(c *Config) { tt.edit(c, waiting) })
			done := start(ctx, s)
			receive(t, ctx, waiting, "Run to wait")

			cancelled := time.Now()
			cancel()
			if err := receive(t, t.Context(), done, "Run to return"); err != nil {
				t.Fatalf("Run() after cancel = %v, want nil", err)
			}
			if d := time.Since(cancelled); d > time.Second {
				t.Errorf("Run returned %v after cancel, want well under 1s", d)
			}
			if got := s.Cursor(); got != "" {
				t.Errorf("Cursor() = %q, want empty: no handler returned nil", got)
			}
		})
	}
}

func TestNoReconnect(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode codes.Code
		wantIs   error
	}{
		{"end of stream", nil, codes.Unknown, ErrStreamClosed},
		{"unavailable", status.Error(codes.Unavailable, "down"), codes.Unavailable, nil},
		{"aborted", status.Error(codes.Aborted, "replaced"), codes.Aborted, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testContext(t)
			h := newHarness(t, fail(tt.err, "c1", "c2"))
			rec, sl := &recorder{}, newSleeper(t)
			retried := false
			err := Run(ctx, Config{
				ClientID:    "gw-tail",
				Client:      h.client,
				Handler:     rec.handle,
				NoReconnect: true,
				Clock:       sl.clk,
				OnRetry:     func(error, int, time.Duration) { retried = true },
			})
			if got := status.Code(err); err == nil || got != tt.wantCode {
				t.Fatalf("Run(NoReconnect) = %v (code %v), want an error with code %v", err, got, tt.wantCode)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Run(NoReconnect) = %v, want it to wrap %v", err, tt.wantIs)
			}
			if errors.Is(tt.wantIs, ErrStreamClosed) && !strings.Contains(err.Error(), "backend closed the stream") {
				t.Errorf("Run(NoReconnect) = %q, want it to say the backend closed the stream", err)
			}
			if n := len(h.stub.requests()); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if retried || len(sl.recorded()) != 0 {
				t.Errorf("OnRetry called = %v, sleeps = %v, want neither", retried, sl.recorded())
			}
			if handled, _, _ := rec.snapshot(); len(handled) != 2 {
				t.Errorf("handled = %q, want c1 and c2", handled)
			}
		})
	}
}

func TestRunTwiceAtOnce(t *testing.T) {
	ctx, cancel := testContext(t)
	opened := make(chan int, 1)
	h := newHarness(t, hold(opened, nil))
	rec, sl := &recorder{}, newSleeper(t)
	s := newTestSubscriber(t, h, rec, sl, nil)
	done := start(ctx, s)
	receive(t, ctx, opened, "the stream")

	if err := s.Run(ctx); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second concurrent Run() = %v, want an already-running error", err)
	}
	cancel()
	if err := receive(t, t.Context(), done, "Run to return"); err != nil {
		t.Fatalf("Run() after cancel = %v, want nil", err)
	}
	if n := len(h.stub.requests()); n != 1 {
		t.Errorf("requests = %d, want 1: the second Run must not subscribe", n)
	}
}
