package backoff

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"galaxy/galaxyctl/internal/clock/clocktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testConfig makes delays easy to read: 10ms doubling to 40ms; with the
// draw fixed at 0.5 the jitter factor is exactly 1.
var testConfig = Config{Base: 10 * time.Millisecond, Multiplier: 2, Jitter: 0.2, Max: 40 * time.Millisecond}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var errDown = errors.New("down")

// outcome is what one scripted try returns.
type outcome struct {
	progressed bool
	err        error
}

// script returns a Try that plays outcomes in order and records each n it
// was called with; past the end it cancels the loop's context.
func script(cancel context.CancelFunc, ns *[]int, outcomes ...outcome) Try {
	return func(_ context.Context, n int) (bool, error) {
		*ns = append(*ns, n)
		if len(*ns) > len(outcomes) {
			cancel()
			return false, errDown
		}
		o := outcomes[len(*ns)-1]
		return o.progressed, o.err
	}
}

// TestRunGrowsAndResets fails three tries, makes progress on the fourth,
// fails once more, and checks the waits, the attempts OnRetry sees and the
// n each try gets.
func TestRunGrowsAndResets(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	clk := clocktest.New(time.Time{})
	var delays []time.Duration
	wait := clk.Drive(ctx, func(d time.Duration) { delays = append(delays, d) })
	var ns, attempts []int
	r := Retry{
		Config:  testConfig,
		Rand:    func() float64 { return 0.5 },
		Clock:   clk,
		OnRetry: func(_ error, attempt int, _ time.Duration) { attempts = append(attempts, attempt) },
	}
	err := r.Run(ctx, script(cancel, &ns,
		outcome{false, errDown}, outcome{false, errDown}, outcome{false, errDown}, outcome{false, errDown},
		outcome{true, errDown}, outcome{false, errDown}))
	wait()
	if err != nil {
		t.Fatalf("Run() ended by cancel = %v, want nil", err)
	}
	ms := time.Millisecond
	if got, want := delays, []time.Duration{10 * ms, 20 * ms, 40 * ms, 40 * ms, 10 * ms, 20 * ms}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if want := []int{0, 1, 2, 3, 0, 1}; !slices.Equal(attempts, want) {
		t.Errorf("OnRetry attempts = %v, want %v", attempts, want)
	}
	if want := []int{0, 1, 2, 3, 4, 1, 2}; !slices.Equal(ns, want) {
		t.Errorf("try n = %v, want %v", ns, want)
	}
}

func TestRunEnds(t *testing.T) {
	errBad := errors.New("bad request")
	tests := []struct {
		name    string
		outcome outcome
		want    error
	}{
		{"nil error", outcome{true, nil}, nil},
		{"permanent error", outcome{false, Permanent(errBad)}, errBad},
		{"wrapped permanent error", outcome{true, errors.Join(errors.New("ctx"), Permanent(errBad))}, errBad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			clk := clocktest.New(time.Time{})
			retried := false
			r := Retry{Config: testConfig, Clock: clk, OnRetry: func(error, int, time.Duration) { retried = true }}
			calls := 0
			err := r.Run(ctx, func(context.Context, int) (bool, error) {
				calls++
				return tt.outcome.progressed, tt.outcome.err
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("Run() = %v, want %v", err, tt.want)
			}
			if calls != 1 || retried || clk.Created() != 0 {
				t.Errorf("tries, retried, timers = %d, %v, %d, want 1, false, 0", calls, retried, clk.Created())
			}
		})
	}
	if Permanent(nil) != nil {
		t.Errorf("Permanent(nil) = %v, want nil", Permanent(nil))
	}
}

// TestRunCancel cancels the loop in a try and in a wait; both end Run with
// nil, whatever the try returned, and leave no timer armed.
func TestRunCancel(t *testing.T) {
	t.Run("in a try", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testContext(t))
		clk := clocktest.New(time.Time{})
		err := Retry{Config: testConfig, Clock: clk}.Run(ctx, func(context.Context, int) (bool, error) {
			cancel()
			return false, Permanent(errDown)
		})
		if err != nil || clk.Created() != 0 {
			t.Errorf("Run() cancelled in a try = %v with %d timers, want nil, 0", err, clk.Created())
		}
	})
	t.Run("in a wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testContext(t))
		clk := clocktest.New(time.Time{})
		done := make(chan error, 1)
		calls := 0
		go func() {
			done <- Retry{Config: testConfig, Clock: clk}.Run(ctx, func(context.Context, int) (bool, error) {
				calls++
				return false, errDown
			})
		}()
		if err := clk.BlockUntil(testContext(t), 1); err != nil {
			t.Fatalf("waiting for the backoff wait: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() cancelled in a wait = %v, want nil", err)
		}
		if calls != 1 || clk.Pending() != 0 {
			t.Errorf("tries, armed timers = %d, %d, want 1, 0", calls, clk.Pending())
		}
	})
}

// TestRunWaitsOnItsClock checks that the next try starts exactly when the
// fake time reaches the delay, not before.
func TestRunWaitsOnItsClock(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t))
	clk := clocktest.New(time.Time{})
	tries := make(chan int, 2)
	done := make(chan error, 1)
	go func() {
		done <- Retry{Config: testConfig, Rand: func() float64 { return 0 }, Clock: clk}.Run(ctx,
			func(_ context.Context, n int) (bool, error) {
				tries <- n
				return false, errDown
			})
	}()
	<-tries
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(8*time.Millisecond - time.Nanosecond) // Delay(0, 0) is 8ms
	select {
	case n := <-tries:
		t.Fatalf("try %d started before the 8ms wait was over", n)
	default:
	}
	clk.Advance(time.Nanosecond)
	if n := <-tries; n != 1 {
		t.Errorf("second try n = %d, want 1", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

func TestRunInvalidConfig(t *testing.T) {
	err := Retry{}.Run(testContext(t), func(context.Context, int) (bool, error) {
		t.Error("try called with an invalid Config")
		return false, nil
	})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "Base" {
		t.Errorf("Retry{}.Run() = %v, want a *ConfigError for Base", err)
	}
}

// TestRunDefaults runs with the system clock and the global random source:
// one short real wait.
func TestRunDefaults(t *testing.T) {
	ctx := testContext(t)
	cfg := Config{Base: time.Millisecond, Multiplier: 1, Jitter: 0.5, Max: time.Millisecond}
	var delay time.Duration
	calls := 0
	err := Retry{Config: cfg, OnRetry: func(_ error, _ int, d time.Duration) { delay = d }}.Run(ctx,
		func(context.Context, int) (bool, error) {
			calls++
			if calls == 2 {
				return false, nil
			}
			return false, errDown
		})
	if err != nil || calls != 2 {
		t.Fatalf("Run() = %v after %d tries, want nil after 2", err, calls)
	}
	if delay < 500*time.Microsecond || delay > 1500*time.Microsecond {
		t.Errorf("delay = %v, want within ±50%% of 1ms", delay)
	}
}
