package loadgen

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock fires every After at once and moves Now forward by its
// duration, recording what was asked.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestRampPacesWithClock(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	var dials atomic.Int64
	cfg := Config{
		Addr:           "127.0.0.1:7070",
		Clients:        5,
		RampRate:       10,
		Clock:          clock,
		ConnectBackoff: BackoffConfig{Base: time.Second, Multiplier: 1, Max: time.Second, MaxAttempts: 1},
		Dial: func(ctx context.Context, local netip.Addr, addr string) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("refused by test")
		},
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
	clock.mu.Lock()
	defer clock.mu.Unlock()
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}
	if len(clock.waits) != len(want) {
		t.Fatalf("ramp waits = %v, want %v", clock.waits, want)
	}
	for i := range want {
		if clock.waits[i] != want[i] {
			t.Errorf("ramp waits = %v, want %v", clock.waits, want)
			break
		}
	}
}
