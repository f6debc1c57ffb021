package gateway

import (
	"sync"
	"time"
)

// fakeClock is a Clock whose time moves only in Advance, which calls due
// timer callbacks synchronously, in deadline order, on the caller's
// goroutine; Now reads fakeEpoch plus the time advanced.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Duration
	timers []*fakeTimer
	// firing, if set, receives each callback just before it runs, so a test
	// can act while a fired callback waits for a lock.
	firing chan struct{}
}

type fakeTimer struct {
	c       *fakeClock
	f       func()
	when    time.Duration
	pending bool
}

// fakeEpoch is what a fakeClock reads before any Advance.
var fakeEpoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fakeEpoch.Add(c.now)
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, f: f, when: c.now + d, pending: true}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.pending
	t.pending = true
	t.when = t.c.now + d
	return was
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.pending
	t.pending = false
	return was
}

// Advance moves the clock by d, firing every timer that falls due,
// including those re-armed by callbacks within d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now + d
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if t.pending && t.when <= end && (next == nil || t.when < next.when) {
				next = t
			}
		}
		if next == nil {
			break
		}
		c.now = next.when
		next.pending = false
		firing := c.firing
		c.mu.Unlock()
		if firing != nil {
			firing <- struct{}{}
		}
		next.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// pending returns how many timers are armed.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.pending {
			n++
		}
	}
	return n
}

// created returns how many timers were ever made.
func (c *fakeClock) created() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
