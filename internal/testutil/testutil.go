// Package testutil holds the helpers that several packages' tests share: a
// bounded wait for a condition. (The manual clock is clocktest.Fake.) It is
// imported only by _test.go files.
package testutil

import (
	"context"
	"testing"
	"time"
)

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
