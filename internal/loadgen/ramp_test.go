package loadgen

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/backoff"
	"galaxy/galaxyctl/internal/clock/clocktest"
)

// driveClock returns a fake clock on which every wait passes as soon as it
// is armed, and a function returning the waits asked so far. The clock
// stops when the test ends.
func driveClock(t *testing.T) (*clocktest.Fake, func() []time.Duration) {
	t.Helper()
	clk := clocktest.New(time.Unix(1_700_000_000, 0))
	var mu sync.Mutex
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	wait := clk.Drive(ctx, func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
	})
	t.Cleanup(func() { cancel(); wait() })
	return clk, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(waits)
	}
}

// refuse is a Dial that always fails, counting its calls.
func refuse(dials *atomic.Int64) func(context.Context, netip.Addr, string) (net.Conn, error) {
	return func(context.Context, netip.Addr, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("refused by test")
	}
}

func TestRampPacesWithClock(t *testing.T) {
	clk, waits := driveClock(t)
	var dials atomic.Int64
	cfg := Config{
		Addr:           "127.0.0.1:7070",
		Clients:        5,
		RampRate:       10,
		Clock:          clk,
		ConnectBackoff: BackoffConfig{Config: backoff.Config{Base: time.Second, Multiplier: 1, Max: time.Second}, MaxAttempts: 1},
		Dial:           refuse(&dials),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if rep != nil || err == nil || !strings.Contains(err.Error(), "all 5 failed after 1 attempts each (Unavailable 5") {
		t.Fatalf("Run(every dial fails) = %v, %v, want no report and an error counting 5 Unavailable", rep, err)
	}
	if n := dials.Load(); n < 5 {
		t.Errorf("dials = %d, want at least one per client", n)
	}
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if got := waits(); !slices.Equal(got, want) {
		t.Errorf("ramp waits = %v, want %v", got, want)
	}
}

// TestConnectBacksOff checks the retry loop of one client: the wait after
// failed attempt n is the backoff's delay for attempt n-1 (Base first),
// on the configured clock, and the client gives up after MaxAttempts
// without a last wait.
func TestConnectBacksOff(t *testing.T) {
	clk, waits := driveClock(t)
	var dials atomic.Int64
	cfg := Config{
		Addr:    "127.0.0.1:7070",
		Clients: 1,
		Clock:   clk,
		Rand:    func() float64 { return 0.75 }, // +10 % with Jitter 0.2
		ConnectBackoff: BackoffConfig{
			Config:      backoff.Config{Base: time.Second, Multiplier: 2, Jitter: 0.2, Max: 3 * time.Second},
			MaxAttempts: 4,
		},
		Dial: refuse(&dials),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if rep != nil || err == nil || !strings.Contains(err.Error(), "all 1 failed after 4 attempts each") {
		t.Fatalf("Run(every dial fails) = %v, %v, want no report and an error after 4 attempts", rep, err)
	}
	if n := dials.Load(); n != 4 {
		t.Errorf("dials = %d, want 4", n)
	}
	want := []time.Duration{1100 * time.Millisecond, 2200 * time.Millisecond, 3300 * time.Millisecond}
	if got := waits(); !slices.Equal(got, want) {
		t.Errorf("connect backoff waits = %v, want %v", got, want)
	}
}
