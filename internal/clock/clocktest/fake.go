// Package clocktest provides Fake, a clock.Clock whose time moves only when a
// test advances it, so tests of timers, backoff and ageing never wait on
// real time.
package clocktest

import (
	"context"
	"sync"
	"time"

	"galaxy/galaxyctl/internal/clock"
)

// Fake is a clock.Clock whose time moves only in Advance. Advance fires each
// timer that falls due, in deadline order (ties in the order they were
// armed): an After channel receives the timer's deadline, an AfterFunc
// callback runs synchronously on the goroutine that called Advance, so a
// test knows every callback has returned when Advance does. A timer armed
// for a non-positive duration is due at once and fires on the next Advance,
// Advance(0) included.
//
// The zero value reads the zero time and is ready to use; New starts
// elsewhere.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending []*timer // armed timers, unordered
	created int
	firing  chan<- struct{}
	// changed is closed, and replaced, whenever the set of armed timers
	// changes, which wakes BlockUntil.
	changed chan struct{}
}

var _ clock.Clock = (*Fake)(nil)

// New returns a Fake that reads start.
func New(start time.Time) *Fake { return &Fake{now: start} }

// timer is one After channel or AfterFunc callback.
type timer struct {
	f    *Fake
	when time.Time
	seq  uint64
	fn   func()         // AfterFunc's callback, or nil
	ch   chan time.Time // After's channel, or nil
	// armed says the timer is in f.pending.
	armed bool
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After returns a channel that receives the fake time once Advance has
// moved it by d.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.arm(&timer{f: f, ch: ch}, d)
	return ch
}

// AfterFunc arranges for fn to run, on the goroutine that calls Advance,
// once Advance has moved the time by d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) clock.Timer {
	t := &timer{f: f, fn: fn}
	f.arm(t, d)
	return t
}

func (f *Fake) arm(t *timer, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created++
	f.armLocked(t, d)
}

func (f *Fake) armLocked(t *timer, d time.Duration) {
	f.seq++
	t.seq = f.seq
	t.when = f.now.Add(max(d, 0))
	if !t.armed {
		t.armed = true
		f.pending = append(f.pending, t)
	}
	f.notifyLocked()
}

func (f *Fake) disarmLocked(t *timer) {
	if !t.armed {
		return
	}
	t.armed = false
	for i, p := range f.pending {
		if p == t {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
			break
		}
	}
	f.notifyLocked()
}

func (f *Fake) notifyLocked() {
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

// Reset re-arms the timer to fire d after the fake now, whether or not it
// has fired, and reports whether it was still pending.
func (t *timer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.armed
	t.f.armLocked(t, d)
	return was
}

// Stop disarms the timer and reports whether it was still pending.
func (t *timer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.armed
	t.f.disarmLocked(t)
	return was
}

// Advance moves the time by d, firing every timer that falls due on the
// way, including those armed or re-armed by callbacks within d. While a
// timer fires, Now reads its deadline.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(max(d, 0))
	for {
		next := f.nextLocked()
		if next == nil || next.when.After(end) {
			break
		}
		f.now = next.when
		f.disarmLocked(next)
		firing := f.firing
		f.mu.Unlock()
		if firing != nil {
			firing <- struct{}{}
		}
		if next.fn != nil {
			next.fn()
		} else {
			next.ch <- next.when // buffered and sent once per arming
		}
		f.mu.Lock()
	}
	f.now = end
	f.mu.Unlock()
}

func (f *Fake) nextLocked() *timer {
	var next *timer
	for _, t := range f.pending {
		if next == nil || t.when.Before(next.when) || t.when.Equal(next.when) && t.seq < next.seq {
			next = t
		}
	}
	return next
}

// Next returns how far the earliest armed timer is from now, and false
// when none is armed.
func (f *Fake) Next() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := f.nextLocked()
	if next == nil {
		return 0, false
	}
	return next.when.Sub(f.now), true
}

// Pending returns how many timers are armed.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// Created returns how many timers were ever made by After and AfterFunc.
func (f *Fake) Created() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created
}

// SetFiring makes Advance send on ch just before each timer fires, so a
// test can act while a fired callback has not yet run; nil turns it off.
func (f *Fake) SetFiring(ch chan<- struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.firing = ch
}

// BlockUntil waits until at least n timers are armed, which is how a test
// knows that code on another goroutine has started to wait, and returns
// ctx.Err() if ctx ends first.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if len(f.pending) >= n {
			f.mu.Unlock()
			return nil
		}
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// AdvanceNext moves the time to the earliest armed timer's deadline, firing
// it and every other timer due by then, and returns how far the time moved;
// false means no timer was armed and the time did not move. A test that
// only needs waits to pass calls it after BlockUntil, and reads the delays.
func (f *Fake) AdvanceNext() (time.Duration, bool) {
	d, ok := f.Next()
	if ok {
		f.Advance(d)
	}
	return d, ok
}

// Drive lets every wait on f pass as soon as it is armed, until ctx ends:
// a goroutine advances f to each timer's deadline in turn, calling record,
// if set, with the delay just before the timer fires, so whatever the
// firing wakes sees the delay already recorded. It suits code that waits on
// one timer at a time, such as a retry loop's backoff. The returned func
// waits for the goroutine to end once ctx has; call it before the test
// returns.
func (f *Fake) Drive(ctx context.Context, record func(time.Duration)) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f.BlockUntil(ctx, 1) == nil {
			d, ok := f.Next()
			if !ok {
				continue
			}
			if record != nil {
				record(d)
			}
			f.Advance(d)
		}
	}()
	return func() { <-done }
}
