// Package clock is the one seam through which galaxyctl's engines read time,
// wait and arm timers, so that tests move time by hand (see clocktest)
// instead of waiting on it.
package clock

import (
	"context"
	"time"
)

// Clock is the time source of an engine. Config fields of this type take nil
// for System.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed,
	// like time.After.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f in its own goroutine once d has passed, like
	// time.AfterFunc, and returns the Timer that controls the call.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer (made by time.AfterFunc) that callers
// use. Reset and Stop report, as for *time.Timer, whether the timer was still
// pending: false means f has already been started (or the timer was
// stopped), which is how a caller recognises a firing it has overtaken.
type Timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// System is the Clock of real time. Its zero value is ready to use.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (System) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AfterFunc returns time.AfterFunc(d, f).
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Or returns c, or System when c is nil, for filling Config defaults.
func Or(c Clock) Clock {
	if c == nil {
		return System{}
	}
	return c
}

// Sleep waits d on c, or until ctx is done, and then returns ctx.Err(). A
// non-positive d returns at once. The timer is stopped when ctx ends first,
// so a cancelled sleep leaves nothing armed, on a fake clock either.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	done := make(chan struct{})
	t := c.AfterFunc(d, func() { close(done) })
	select {
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	case <-done:
		return nil
	}
}
