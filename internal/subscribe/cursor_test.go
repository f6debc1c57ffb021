package subscribe

import (
	"context"
	"errors"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// TestCursorResend checks that a reconnect resends the cursor of the last
// handled event, that a failing handler neither advances the cursor nor
// counts its event, and that a later Run resumes at that event.
func TestCursorResend(t *testing.T) {
	ctx, _ := testContext(t)
	errBoom := errors.New("boom")
	h := newHarness(t, script(
		fail(status.Error(codes.Aborted, "replaced"), "c1", "c2", "c3"),
		fail(nil, "c4", "c5", "c6"),
		fail(nil, "c5", "c6"),
	))
	rec, sl := &recorder{}, newSleeper(t)
	// handled is appended without a lock: the race detector fails the test
	// if the handler is ever called from two goroutines.
	var handled []string
	failC5 := true
	runCtx, stop := context.WithCancel(ctx)
	s := newTestSubscriber(t, h, rec, sl, func(c *Config) {
		c.Cursor = "c0"
		c.Handler = func(_ context.Context, ev *pushv1.PushEvent) error {
			if ev.GetCursor() == "c5" && failC5 {
				return errBoom
			}
			handled = append(handled, ev.GetCursor())
			if ev.GetCursor() == "c6" {
				stop()
			}
			return nil
		}
	})

	// Cursor must be safe to read while Run updates it.
	polled := make(chan struct{})
	pollCtx, stopPolling := context.WithCancel(ctx)
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			_ = s.Cursor()
		}
	}()
	defer func() { stopPolling(); <-polled }()

	err := s.Run(runCtx)
	if !errors.Is(err, errBoom) {
		t.Fatalf("Run() = %v, want an error wrapping %v", err, errBoom)
	}
	if got := s.Cursor(); got != "c4" {
		t.Errorf("Cursor() after the handler failed on c5 = %q, want c4", got)
	}
	if got, want := cursors(h.stub.requests()), []string{"c0", "c3"}; !slices.Equal(got, want) {
		t.Errorf("request cursors = %q, want %q", got, want)
	}

	// The next Run resumes after c4, so c5 is offered again.
	failC5 = false
	if err := s.Run(runCtx); err != nil {
		t.Fatalf("second Run() = %v, want nil once the handler cancelled", err)
	}
	if got, want := cursors(h.stub.requests()), []string{"c0", "c3", "c4"}; !slices.Equal(got, want) {
		t.Errorf("request cursors = %q, want %q", got, want)
	}
	if want := []string{"c1", "c2", "c3", "c4", "c5", "c6"}; !slices.Equal(handled, want) {
		t.Errorf("handled = %q, want %q", handled, want)
	}
	if got := s.Cursor(); got != "c6" {
		t.Errorf("Cursor() = %q, want c6", got)
	}
}

// TestFirstRequest checks how Config.Cursor and Config.FromStart shape the
// requests: honoured until an event is handled, then the handled cursor.
func TestFirstRequest(t *testing.T) {
	type req struct {
		cursor    string
		fromStart bool
	}
	tests := []struct {
		name      string
		cursor    string
		fromStart bool
		want      []req
	}{
		{"live", "", false, []req{{"", false}, {"", false}, {"c1", false}}},
		{"from start", "", true, []req{{"", true}, {"", true}, {"c1", false}}},
		{"cursor", "c9", false, []req{{"c9", false}, {"c9", false}, {"c1", false}}},
		{"cursor wins over from start", "c9", true, []req{{"c9", false}, {"c9", false}, {"c1", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := testContext(t)
			opened := make(chan int, 1)
			h := newHarness(t, script(
				fail(status.Error(codes.Unavailable, "down")),
				fail(status.Error(codes.Unavailable, "down"), "c1"),
				hold(opened, nil),
			))
			rec, sl := &recorder{}, newSleeper(t)
			s := newTestSubscriber(t, h, rec, sl, func(c *Config) {
				c.Cursor, c.FromStart = tt.cursor, tt.fromStart
			})
			if got := s.Cursor(); got != tt.cursor {
				t.Errorf("Cursor() before Run = %q, want %q", got, tt.cursor)
			}
			done := start(ctx, s)
			receive(t, ctx, opened, "the held stream")
			cancel()
			if err := receive(t, t.Context(), done, "Run to return"); err != nil {
				t.Fatalf("Run() after cancel = %v, want nil", err)
			}

			var got []req
			for _, r := range h.stub.requests() {
				if r.GetGatewayClientId() != "gw-test" {
					t.Errorf("request gateway_client_id = %q, want gw-test", r.GetGatewayClientId())
				}
				got = append(got, req{r.GetCursor(), r.GetFromStart()})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("requests = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A stream that breaks before its first event must resume from the point
// the backend named in its header, not start live again and lose the gap.
func TestAdoptsResumeCursorFromHeader(t *testing.T) {
	ctx, cancel := testContext(t)
	opened := make(chan int, 1)
	header := metadata.Pairs(pushv1.MetadataStart, pushv1.StartLive, pushv1.MetadataResumeCursor, "head-7")
	h := newHarness(t, script(
		func(_ int, _ *pushv1.GatewaySubscribeRequest, st pushStream) error {
			if err := st.SendHeader(header); err != nil {
				return err
			}
			return status.Error(codes.Unavailable, "down")
		},
		hold(opened, nil),
	))
	rec, sl := &recorder{}, newSleeper(t)
	s := newTestSubscriber(t, h, rec, sl, nil)
	done := start(ctx, s)
	receive(t, ctx, opened, "the held stream")
	cancel()
	if err := receive(t, t.Context(), done, "Run to return"); err != nil {
		t.Fatalf("Run() after cancel = %v, want nil", err)
	}
	reqs := h.stub.requests()
	if len(reqs) != 2 || reqs[1].GetCursor() != "head-7" || reqs[1].GetFromStart() {
		t.Errorf("requests = %v, want the second to resume from cursor head-7", reqs)
	}
	if got := s.Cursor(); got != "head-7" {
		t.Errorf("Cursor() = %q, want head-7", got)
	}
}

// A handler that cancels the context (tail --count) must not be called
// again for events the stream had already buffered.
func TestNoEventAfterHandlerCancels(t *testing.T) {
	ctx, cancel := testContext(t)
	h := newHarness(t, script(fail(nil, "c1", "c2", "c3", "c4", "c5")))
	var calls int
	s, err := New(Config{
		ClientID: "gw-test",
		Client:   h.client,
		Backoff:  testBackoff,
		Clock:    newSleeper(t).clk,
		Handler: func(context.Context, *pushv1.PushEvent) error {
			calls++
			cancel()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run() = %v, want nil after the handler cancelled", err)
	}
	if calls != 1 || s.Cursor() != "c1" {
		t.Errorf("handler calls = %d, Cursor() = %q; want 1 call and c1", calls, s.Cursor())
	}
}
