package subscribe

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/internal/backoff"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// testBackoff makes delays easy to read: 10ms doubling to 80ms. With Rand
// fixed at 0.5 the jitter factor is exactly 1.
var testBackoff = backoff.Config{Base: 10 * time.Millisecond, Multiplier: 2, Jitter: 0.2, Max: 80 * time.Millisecond}

// recorder collects what a Subscriber reports through its callbacks.
type recorder struct {
	mu      sync.Mutex
	handled []string
	starts  []StartInfo
	retries []retry
}

type retry struct {
	err     error
	attempt int
	delay   time.Duration
}

func (r *recorder) handle(_ context.Context, ev *pushv1.PushEvent) error {
	r.mu.Lock()
	r.handled = append(r.handled, ev.GetCursor())
	r.mu.Unlock()
	return nil
}

func (r *recorder) onStart(info StartInfo) {
	r.mu.Lock()
	r.starts = append(r.starts, info)
	r.mu.Unlock()
}

func (r *recorder) onRetry(err error, attempt int, delay time.Duration) {
	r.mu.Lock()
	r.retries = append(r.retries, retry{err, attempt, delay})
	r.mu.Unlock()
}

func (r *recorder) snapshot() (handled []string, starts []StartInfo, retries []retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.handled), slices.Clone(r.starts), slices.Clone(r.retries)
}

// newTestSubscriber wires a Subscriber to h with instant, recorded sleeps and
// a centred jitter draw; edit changes the Config before New.
func newTestSubscriber(t *testing.T, h *harness, rec *recorder, sl *sleeper, edit func(*Config)) *Subscriber {
	t.Helper()
	cfg := Config{
		ClientID: "gw-test",
		Client:   h.client,
		Backoff:  testBackoff,
		Handler:  rec.handle,
		OnStart:  rec.onStart,
		OnRetry:  rec.onRetry,
		Clock:    sl.clk,
		Rand:     func() float64 { return 0.5 },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) = %v, want nil error", cfg, err)
	}
	return s
}

func cursors(reqs []*pushv1.GatewaySubscribeRequest) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.GetCursor()
	}
	return out
}

func TestNewValidates(t *testing.T) {
	h := &harness{client: pushv1.NewPushClient(nil)}
	valid := Config{ClientID: "gw-1", Client: h.client, Handler: (&recorder{}).handle}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"empty client id", func(c *Config) { c.ClientID = "" }, "gateway client id"},
		{"no client", func(c *Config) { c.Client = nil }, "push client"},
		{"no handler", func(c *Config) { c.Handler = nil }, "handler"},
		{"bad backoff base", func(c *Config) { c.Backoff = backoff.Config{Multiplier: 2, Max: time.Second} }, "backoff Base"},
		{"bad backoff jitter", func(c *Config) { c.Backoff = backoff.Config{Base: 1, Multiplier: 2, Max: 2, Jitter: 1.5} }, "backoff Jitter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			s, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New(%s) = %v, %v, want an error naming %q", tt.name, s, err, tt.wantErr)
			}
		})
	}

	t.Run("zero backoff means default", func(t *testing.T) {
		s, err := New(valid)
		if err != nil {
			t.Fatalf("New(valid) = %v, want nil", err)
		}
		if s.cfg.Backoff != DefaultBackoff() {
			t.Errorf("New(valid).cfg.Backoff = %+v, want %+v", s.cfg.Backoff, DefaultBackoff())
		}
		if got := s.Cursor(); got != "" {
			t.Errorf("New(valid).Cursor() = %q, want empty", got)
		}
	})
}

// TestReconnects checks that each retryable ending of a stream leads to a
// reconnect after Delay(0) that resends the cursor of the handled event.
func TestReconnects(t *testing.T) {
	tests := []struct {
		name     string
		err      error // returned by the first stream after one event
		wantCode codes.Code
	}{
		{"end of stream", nil, codes.OK},
		{"unavailable", status.Error(codes.Unavailable, "backend draining"), codes.Unavailable},
		{"aborted", status.Error(codes.Aborted, "replaced by a newer subscription"), codes.Aborted},
		{"resource exhausted", status.Error(codes.ResourceExhausted, "subscriber too slow"), codes.ResourceExhausted},
		{"internal", status.Error(codes.Internal, "oops"), codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := testContext(t)
			opened := make(chan int, 1)
			h := newHarness(t, script(fail(tt.err, "c1"), hold(opened, nil)))
			rec, sl := &recorder{}, newSleeper(t)
			s := newTestSubscriber(t, h, rec, sl, nil)
			done := start(ctx, s)

			if call := receive(t, ctx, opened, "reconnect"); call != 1 {
				t.Fatalf("held call = %d, want 1", call)
			}
			cancel()
			if err := receive(t, t.Context(), done, "Run to return"); err != nil {
				t.Fatalf("Run() after cancel = %v, want nil", err)
			}

			if got, want := cursors(h.stub.requests()), []string{"", "c1"}; !slices.Equal(got, want) {
				t.Errorf("request cursors = %q, want %q", got, want)
			}
			if got, want := sl.recorded(), []time.Duration{10 * time.Millisecond}; !slices.Equal(got, want) {
				t.Errorf("backoff delays = %v, want %v", got, want)
			}
			handled, _, retries := rec.snapshot()
			if want := []string{"c1"}; !slices.Equal(handled, want) {
				t.Errorf("handled = %q, want %q", handled, want)
			}
			if len(retries) != 1 {
				t.Fatalf("OnRetry calls = %d, want 1", len(retries))
			}
			if got := codeOf(retries[0].err); got != tt.wantCode {
				t.Errorf("OnRetry err = %v (code %v), want code %v", retries[0].err, got, tt.wantCode)
			}
			if tt.err == nil && !errors.Is(retries[0].err, ErrStreamClosed) {
				t.Errorf("OnRetry err = %v, want ErrStreamClosed", retries[0].err)
			}
			if retries[0].attempt != 0 || retries[0].delay != 10*time.Millisecond {
				t.Errorf("OnRetry(attempt, delay) = %d, %v, want 0, 10ms", retries[0].attempt, retries[0].delay)
			}
			if got := s.Cursor(); got != "c1" {
				t.Errorf("Cursor() = %q, want c1", got)
			}
		})
	}
}

// TestReconnectAfterTransportError cuts the connection under a live stream,
// as a network failure or a backend crash would.
func TestReconnectAfterTransportError(t *testing.T) {
	ctx, cancel := testContext(t)
	opened := make(chan int, 2)
	h := newHarness(t, script(hold(opened, nil, "c1", "c2"), hold(opened, nil)))
	rec, sl := &recorder{}, newSleeper(t)
	handledC2 := make(chan struct{}, 1)
	s := newTestSubscriber(t, h, rec, sl, func(c *Config) {
		c.Handler = func(ctx context.Context, ev *pushv1.PushEvent) error {
			if ev.GetCursor() == "c2" {
				handledC2 <- struct{}{}
			}
			return rec.handle(ctx, ev)
		}
	})
	done := start(ctx, s)

	receive(t, ctx, opened, "first stream")
	receive(t, ctx, handledC2, "c2 to be handled")
	h.breakTransport()
	receive(t, ctx, opened, "stream after the transport broke")
	cancel()
	if err := receive(t, t.Context(), done, "Run to return"); err != nil {
		t.Fatalf("Run() after cancel = %v, want nil", err)
	}

	reqs := h.stub.requests()
	if got := reqs[len(reqs)-1].GetCursor(); got != "c2" {
		t.Errorf("cursor after the transport broke = %q, want c2", got)
	}
	_, _, retries := rec.snapshot()
	if len(retries) == 0 {
		t.Fatal("OnRetry calls = 0, want at least 1")
	}
	if got := status.Code(retries[0].err); got != codes.Unavailable {
		t.Errorf("first OnRetry err = %v (code %v), want code Unavailable", retries[0].err, got)
	}
	if retries[0].attempt != 0 {
		t.Errorf("first OnRetry attempt = %d, want 0 (the stream had delivered events)", retries[0].attempt)
	}
}

func TestTerminalCodesStopRun(t *testing.T) {
	tests := []struct {
		name      string
		subscribe subscribeFunc // nil: the stub answers Unimplemented
		want      codes.Code
	}{
		{"invalid argument", fail(status.Error(codes.InvalidArgument, "malformed cursor"), "c1"), codes.InvalidArgument},
		{"unauthenticated", fail(status.Error(codes.Unauthenticated, "no token")), codes.Unauthenticated},
		{"permission denied", fail(status.Error(codes.PermissionDenied, "not a gateway")), codes.PermissionDenied},
		{"unimplemented", nil, codes.Unimplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := testContext(t)
			h := newHarness(t, tt.subscribe)
			rec, sl := &recorder{}, newSleeper(t)
			s := newTestSubscriber(t, h, rec, sl, nil)

			err := s.Run(ctx)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("Run() = %v (code %v), want code %v", err, got, tt.want)
			}
			if !strings.Contains(err.Error(), "not retrying") {
				t.Errorf("Run() = %q, want it to say it is not retrying", err)
			}
			if n := len(h.stub.requests()); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
			if d := sl.recorded(); len(d) != 0 {
				t.Errorf("backoff delays = %v, want none", d)
			}
		})
	}
}

// TestBackoffGrowsAndResets fails five streams, serves one event, fails
// twice more, and checks the delays double to the cap and restart at the
// base once an event arrived.
func TestBackoffGrowsAndResets(t *testing.T) {
	ctx, cancel := testContext(t)
	unavailable := fail(status.Error(codes.Unavailable, "down"))
	opened := make(chan int, 1)
	h := newHarness(t, script(
		unavailable, unavailable, unavailable, unavailable, unavailable,
		fail(status.Error(codes.Unavailable, "down"), "c1"),
		unavailable,
		hold(opened, nil),
	))
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	rec, sl := &recorder{}, newSleeper(t)
	started := make(chan struct{}, 2)
	s := newTestSubscriber(t, h, rec, sl, func(c *Config) {
		c.Meter = provider.Meter("test")
		c.OnStart = func(info StartInfo) {
			rec.onStart(info)
			started <- struct{}{}
		}
	})
	done := start(ctx, s)

	if call := receive(t, ctx, opened, "the held stream"); call != 7 {
		t.Fatalf("held call = %d, want 7", call)
	}
	receive(t, ctx, started, "the start of the stream that delivered c1")
	receive(t, ctx, started, "the start of the held stream")
	cancel()
	if err := receive(t, t.Context(), done, "Run to return"); err != nil {
		t.Fatalf("Run() after cancel = %v, want nil", err)
	}

	ms := time.Millisecond
	if got, want := sl.recorded(), []time.Duration{10 * ms, 20 * ms, 40 * ms, 80 * ms, 80 * ms, 10 * ms, 20 * ms}; !slices.Equal(got, want) {
		t.Errorf("backoff delays = %v, want %v", got, want)
	}
	_, starts, retries := rec.snapshot()
	var attempts []int
	for _, r := range retries {
		attempts = append(attempts, r.attempt)
	}
	if want := []int{0, 1, 2, 3, 4, 0, 1}; !slices.Equal(attempts, want) {
		t.Errorf("OnRetry attempts = %v, want %v", attempts, want)
	}
	// Streams that failed before sending a header never started, so only
	// the one that delivered c1 and the held one report a start.
	var startAttempts []int
	for _, st := range starts {
		startAttempts = append(startAttempts, st.Attempt)
	}
	if want := []int{5, 2}; !slices.Equal(startAttempts, want) {
		t.Errorf("StartInfo attempts = %v, want %v", startAttempts, want)
	}
	if got, want := cursors(h.stub.requests()), []string{"", "", "", "", "", "", "c1", "c1"}; !slices.Equal(got, want) {
		t.Errorf("request cursors = %q, want %q", got, want)
	}

	got := counters(t, reader)
	want := map[string]int64{
		"galaxy_subscriber_reconnects{code=Unavailable}": 7,
		"galaxy_subscriber_events":                       1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("metrics = %v, want %v", got, want)
	}
}

// counters reads every int64 sum as name{k=v,...} -> value.
func counters(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect() = %v, want nil", err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				key := m.Name
				if dp.Attributes.Len() > 0 {
					var kv []string
					for _, a := range dp.Attributes.ToSlice() {
						kv = append(kv, fmt.Sprintf("%s=%s", a.Key, a.Value.String()))
					}
					key += "{" + strings.Join(kv, ",") + "}"
				}
				out[key] = dp.Value
			}
		}
	}
	return out
}
