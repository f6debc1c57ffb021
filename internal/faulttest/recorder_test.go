package faulttest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// recorder is one subscriber's handler, OnStart and OnRetry: it records
// every call with its time, and wakes waiters after each.
type recorder struct {
	mu      sync.Mutex
	handled []string // cursors, in the order the handler saw them
	starts  []started
	retries []retried
	changed chan struct{}
}

type started struct {
	at   time.Time
	info subscribe.StartInfo
}

type retried struct {
	at      time.Time
	err     error
	attempt int
	delay   time.Duration
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) handle(_ context.Context, ev *pushv1.PushEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handled = append(r.handled, ev.GetCursor())
	r.notifyLocked()
	return nil
}

func (r *recorder) onStart(info subscribe.StartInfo) {
	at := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts = append(r.starts, started{at, info})
	r.notifyLocked()
}

func (r *recorder) onRetry(err error, attempt int, delay time.Duration) {
	at := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, retried{at, err, attempt, delay})
	r.notifyLocked()
}

func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// snapshot is a copy of what r has recorded.
type snapshot struct {
	handled []string
	starts  []started
	retries []retried
}

func (r *recorder) snapshot() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return snapshot{slices.Clone(r.handled), slices.Clone(r.starts), slices.Clone(r.retries)}
}

// wait waits until cond holds for what r has recorded, or fails the test
// when ctx ends first.
func (r *recorder) wait(t *testing.T, ctx context.Context, what string, cond func(snapshot) bool) snapshot {
	t.Helper()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		s := r.snapshot()
		if cond(s) {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v (handled %d events, %d starts, %d retries)", what, ctx.Err(), len(s.handled), len(s.starts), len(s.retries))
		case <-changed:
		}
	}
}

// waitHandled waits until the handler has seen the cursor last.
func (r *recorder) waitHandled(t *testing.T, ctx context.Context, last string) snapshot {
	t.Helper()
	return r.wait(t, ctx, "event "+last, func(s snapshot) bool { return slices.Contains(s.handled, last) })
}

// configure sets cfg's handler and callbacks to r's.
func (r *recorder) configure(cfg subscribe.Config) subscribe.Config {
	cfg.Handler = r.handle
	cfg.OnStart = r.onStart
	cfg.OnRetry = r.onRetry
	return cfg
}

// runSubscriber runs a subscriber for cfg until stop is called or the test
// ends; stop returns what Run returned.
func runSubscriber(t *testing.T, ctx context.Context, cfg subscribe.Config) (stop func() error) {
	t.Helper()
	s, err := subscribe.New(cfg)
	if err != nil {
		t.Fatalf("subscribe.New(%+v) = %v, want no error", cfg, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// compareDelivery describes how got, the cursors a handler saw, differs
// from want, the cursors published: events seen more than once, events
// never seen, and places where the order broke. It returns "" when got is
// exactly want.
func compareDelivery(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	seen := make(map[string]int, len(got))
	for _, c := range got {
		seen[c]++
	}
	dups, gaps, unknown := 0, 0, 0
	for c, n := range seen {
		dups += n - 1
		if !slices.Contains(want, c) {
			unknown++
		}
	}
	for _, c := range want {
		if seen[c] == 0 {
			gaps++
		}
	}
	disorder := 0
	for i := 1; i < len(got); i++ {
		if slices.Index(want, got[i]) < slices.Index(want, got[i-1]) {
			disorder++
		}
	}
	return fmt.Sprintf("handled %d events for %d published: %d duplicates, %d never handled, %d never published, %d out of order",
		len(got), len(want), dups, gaps, unknown, disorder)
}
