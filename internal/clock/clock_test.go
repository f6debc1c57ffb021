package clock

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSystem(t *testing.T) {
	var c Clock = System{}
	before := time.Now()
	if got := c.Now(); got.Before(before) {
		t.Errorf("System.Now() = %v, before time.Now() %v", got, before)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	select {
	case <-c.After(time.Nanosecond):
	case <-ctx.Done():
		t.Fatal("System.After(1ns) did not fire")
	}
	fired := make(chan struct{})
	tm := c.AfterFunc(time.Nanosecond, func() { close(fired) })
	select {
	case <-fired:
	case <-ctx.Done():
		t.Fatal("System.AfterFunc(1ns) did not fire")
	}
	if tm.Stop() {
		t.Error("Stop() on a fired System timer = true, want false")
	}
}

func TestOr(t *testing.T) {
	if _, ok := Or(nil).(System); !ok {
		t.Errorf("Or(nil) = %T, want System", Or(nil))
	}
	c := &stopClock{}
	if got := Or(c); got != Clock(c) {
		t.Errorf("Or(c) = %v, want c", got)
	}
}

// stopClock is a Clock whose timers never fire, so Sleep can only end by
// cancellation; it counts how many of its timers were stopped.
type stopClock struct{ stopped int }

func (*stopClock) Now() time.Time                       { return time.Time{} }
func (*stopClock) After(time.Duration) <-chan time.Time { return nil }
func (c *stopClock) AfterFunc(time.Duration, func()) Timer {
	return stopTimer{c}
}

type stopTimer struct{ c *stopClock }

func (stopTimer) Reset(time.Duration) bool { return true }
func (t stopTimer) Stop() bool             { t.c.stopped++; return true }

func TestSleep(t *testing.T) {
	t.Run("returns after the duration", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := Sleep(ctx, System{}, time.Millisecond); err != nil {
			t.Errorf("Sleep(1ms) = %v, want nil", err)
		}
	})
	t.Run("non-positive returns ctx.Err at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		if err := Sleep(ctx, &stopClock{}, 0); err != nil {
			t.Errorf("Sleep(live ctx, 0) = %v, want nil", err)
		}
		cancel()
		if err := Sleep(ctx, &stopClock{}, -time.Second); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep(cancelled ctx, -1s) = %v, want %v", err, context.Canceled)
		}
	})
	t.Run("cancel stops the timer", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		c := &stopClock{}
		done := make(chan error, 1)
		go func() { done <- Sleep(ctx, c, time.Hour) }()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep(1h) cancelled = %v, want %v", err, context.Canceled)
		}
		if c.stopped != 1 {
			t.Errorf("timers stopped by a cancelled Sleep = %d, want 1", c.stopped)
		}
	})
}
