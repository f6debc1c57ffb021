// Package testutil holds the helpers that several packages' tests share:
// a manual clock and a bounded wait for a condition. It is imported only by
// _test.go files.
package testutil

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Clock is a Now function that moves only when a test says so, so tests of
// age-based behaviour never wait on real time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// WaitFor polls cond every millisecond until it holds, and fails the test
// when ctx ends first; what names the condition in the failure. It is for
// state that changes on another goroutine with nothing to wait on.
func WaitFor(ctx context.Context, t testing.TB, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}
