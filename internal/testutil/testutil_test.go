package testutil

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClock(start)
	c.Advance(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("Now() after Advance(90s) = %v, want %v", got, want)
	}
}

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
