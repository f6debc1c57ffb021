package loadgen

import (
	"testing"
	"time"
)

// Heartbeats that arrive in one burst per second must read as a steady
// rate, not swing between 0 and the burst.
func TestSnapshotRatesSpanBursts(t *testing.T) {
	var s rates
	t0 := time.Unix(1000, 0)
	var hb uint64
	var got float64
	for i := 0; i <= 20; i++ { // 5 s of 250 ms snapshots
		if i%4 == 0 {
			hb += 1000 // one burst per second
		}
		got, _, _ = s.rates(rateSample{at: t0.Add(time.Duration(i) * 250 * time.Millisecond), heartbeats: hb})
	}
	if got < 900 || got > 1100 {
		t.Errorf("rates() after 5 s of 1000-heartbeat bursts each second = %.0f/s, want about 1000/s", got)
	}
	var first rates
	if hb, in, out := first.rates(rateSample{at: t0, heartbeats: 5}); hb != 0 || in != 0 || out != 0 {
		t.Errorf("first rates() = %v %v %v, want zeros", hb, in, out)
	}
}
