package gateway

import "time"

// Clock arms the silence timers of heartbeat streams. It is a field of
// Config and HeartbeatConfig so tests fire timers by hand instead of waiting
// on real time; nil means the system clock.
type Clock interface {
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

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
