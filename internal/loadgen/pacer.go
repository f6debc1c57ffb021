package loadgen

import "time"

// Pacer shapes the ramp: how fast clients are started. It is asked before
// each client starts, so a ramp can be constant, stepped or anything else
// without touching the engine's loops.
type Pacer interface {
	// Pace returns how long to wait before starting the next client, given
	// the time since the ramp began and how many clients have started.
	Pace(elapsed time.Duration, started int) time.Duration
}

// ConstantPacer starts Rate clients per second; a Rate of 0 or less starts
// them as fast as possible.
type ConstantPacer struct {
	Rate float64
}

// Pace waits until client number started is due at Rate per second.
func (p ConstantPacer) Pace(elapsed time.Duration, started int) time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	due := time.Duration(float64(started) / p.Rate * float64(time.Second))
	if due <= elapsed {
		return 0
	}
	return due - elapsed
}
