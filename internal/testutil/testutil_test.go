package testutil

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitFor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n atomic.Int32
	go func() {
		for i := 0; i < 3; i++ {
			n.Add(1)
		}
	}()
	WaitFor(ctx, t, "three increments", func() bool { return n.Load() == 3 })
	if n.Load() != 3 {
		t.Errorf("WaitFor returned with n = %d, want 3", n.Load())
	}
}
