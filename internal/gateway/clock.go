package gateway

import "time"

// Clock is the gateway's time: it arms the heartbeat and slow-client timers
// and reads the time that ages the window and measures waits. It is a field
// of Config and HeartbeatConfig so tests move time by hand instead of
// waiting on it; nil means the system clock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed, like
	// time.AfterFunc, and returns the timer that controls the call.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is the part of *time.Timer (made by time.AfterFunc) that a heartbeat
// stream uses. Reset and Stop report, as for *time.Timer, whether the timer
// was still pending: false means f has already been started (or the timer was
// stopped), which is how a stream recognises a firing it has overtaken.
type Timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

// systemClock is the Clock of real time.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
