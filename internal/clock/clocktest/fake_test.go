package clocktest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"galaxy/galaxyctl/internal/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNowAndAdvance(t *testing.T) {
	f := New(start)
	f.Advance(90 * time.Second)
	if got, want := f.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("Now() after Advance(90s) = %v, want %v", got, want)
	}
	f.Advance(-time.Hour)
	if got, want := f.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("Now() after Advance(-1h) = %v, want %v (time never goes back)", got, want)
	}
	var zero Fake
	if got := zero.Now(); !got.IsZero() {
		t.Errorf("Fake{}.Now() = %v, want the zero time", got)
	}
}

// TestFiringOrder arms timers out of order, one of them re-arming itself
// from its callback, and checks that Advance fires them by deadline, ties
// in arming order, with Now reading each deadline.
func TestFiringOrder(t *testing.T) {
	f := New(start)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+f.Now().Sub(start).String()) }
	}
	f.AfterFunc(3*time.Second, at("c"))
	f.AfterFunc(time.Second, at("a"))
	f.AfterFunc(3*time.Second, at("d"))
	var again clock.Timer
	again = f.AfterFunc(2*time.Second, func() {
		at("b")()
		if len(got) < 4 {
			again.Reset(2 * time.Second)
		}
	})
	f.AfterFunc(10*time.Second, at("late"))
	f.Advance(5 * time.Second)
	want := []string{"a@1s", "b@2s", "c@3s", "d@3s", "b@4s"}
	if !slices.Equal(got, want) {
		t.Errorf("fired = %q, want %q", got, want)
	}
	if n := f.Pending(); n != 1 {
		t.Errorf("Pending() = %d, want 1 (late)", n)
	}
	if n := f.Created(); n != 5 {
		t.Errorf("Created() = %d, want 5", n)
	}
}

func TestTimerResetAndStop(t *testing.T) {
	f := New(start)
	fired := 0
	tm := f.AfterFunc(time.Second, func() { fired++ })
	if !tm.Reset(2 * time.Second) {
		t.Errorf("Reset() on a pending timer = false, want true")
	}
	f.Advance(time.Second)
	if fired != 0 {
		t.Fatalf("fired after 1s of a reset to 2s = %d, want 0", fired)
	}
	f.Advance(time.Second)
	if fired != 1 {
		t.Fatalf("fired after 2s = %d, want 1", fired)
	}
	if tm.Stop() {
		t.Errorf("Stop() on a fired timer = true, want false")
	}
	if tm.Reset(time.Second) {
		t.Errorf("Reset() on a fired timer = true, want false")
	}
	if !tm.Stop() {
		t.Errorf("Stop() on a re-armed timer = false, want true")
	}
	f.Advance(time.Hour)
	if fired != 1 || f.Pending() != 0 {
		t.Errorf("after Stop and 1h: fired = %d, Pending() = %d, want 1, 0", fired, f.Pending())
	}
}

func TestAfter(t *testing.T) {
	f := New(start)
	ch := f.After(time.Second)
	now := f.After(0)
	f.Advance(0)
	select {
	case got := <-now:
		if !got.Equal(start) {
			t.Errorf("After(0) received %v, want %v", got, start)
		}
	default:
		t.Fatal("After(0) did not fire on Advance(0)")
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-ch:
		t.Fatal("After(1s) fired after 999ms")
	default:
	}
	f.Advance(time.Millisecond)
	select {
	case got := <-ch:
		if want := start.Add(time.Second); !got.Equal(want) {
			t.Errorf("After(1s) received %v, want %v", got, want)
		}
	default:
		t.Fatal("After(1s) did not fire after 1s")
	}
}

// TestBlockUntilAndSleep runs clock.Sleep on another goroutine, waits for
// it to arm its timer, and checks that it returns exactly when the time
// has moved by its duration.
func TestBlockUntilAndSleep(t *testing.T) {
	ctx := testContext(t)
	f := New(start)
	done := make(chan error, 1)
	go func() { done <- clock.Sleep(ctx, f, time.Minute) }()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("BlockUntil(1) = %v, want nil", err)
	}
	f.Advance(time.Minute - time.Nanosecond)
	select {
	case err := <-done:
		t.Fatalf("Sleep(1m) returned %v after 1m-1ns", err)
	default:
	}
	if d, ok := f.AdvanceNext(); !ok || d != time.Nanosecond {
		t.Errorf("AdvanceNext() = %v, %v, want 1ns, true", d, ok)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Sleep(1m) = %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("Sleep(1m) did not return after 1m")
	}
	if d, ok := f.AdvanceNext(); ok {
		t.Errorf("AdvanceNext() with nothing armed = %v, true, want false", d)
	}
}

func TestBlockUntilContext(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	if err := New(start).BlockUntil(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("BlockUntil(cancelled, 1) = %v, want %v", err, context.Canceled)
	}
}

// TestSetFiring checks that the firing signal is sent before each
// callback runs, and not at all once turned off.
func TestSetFiring(t *testing.T) {
	f := New(start)
	firing := make(chan struct{}, 2)
	f.SetFiring(firing)
	var signalled []int
	f.AfterFunc(time.Second, func() { signalled = append(signalled, len(firing)) })
	f.AfterFunc(2*time.Second, func() { signalled = append(signalled, len(firing)) })
	f.Advance(2 * time.Second)
	if want := []int{1, 2}; !slices.Equal(signalled, want) {
		t.Errorf("signals queued when each callback ran = %v, want %v", signalled, want)
	}
	<-firing
	<-firing
	f.SetFiring(nil)
	f.AfterFunc(time.Second, func() {})
	f.Advance(time.Second)
	if n := len(firing); n != 0 {
		t.Errorf("signals after SetFiring(nil) = %d, want 0", n)
	}
}

// TestDrive sleeps three times on a driven clock and checks that each
// delay was recorded before its sleep returned.
func TestDrive(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	f := New(start)
	var mu sync.Mutex
	var delays []time.Duration
	wait := f.Drive(ctx, func(d time.Duration) {
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
	})
	for i, d := range []time.Duration{time.Second, time.Minute, time.Hour} {
		if err := clock.Sleep(ctx, f, d); err != nil {
			t.Fatalf("Sleep(%v) on a driven clock = %v, want nil", d, err)
		}
		mu.Lock()
		n := len(delays)
		mu.Unlock()
		if n != i+1 {
			t.Errorf("delays recorded when Sleep(%v) returned = %d, want %d", d, n, i+1)
		}
	}
	cancel()
	wait()
	if want := []time.Duration{time.Second, time.Minute, time.Hour}; !slices.Equal(delays, want) {
		t.Errorf("recorded delays = %v, want %v", delays, want)
	}
	if got, want := f.Now(), start.Add(time.Hour+time.Minute+time.Second); !got.Equal(want) {
		t.Errorf("Now() after driving = %v, want %v", got, want)
	}
}
