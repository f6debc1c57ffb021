package loadgen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/printer"
)

// stallPacer starts the first n clients at once and the rest an hour
// later: a ramp that is still running when the test interrupts it.
type stallPacer struct{ n int }

func (p stallPacer) Pace(_ time.Duration, started int) time.Duration {
	if started < p.n {
		return 0
	}
	return time.Hour
}

// TestRunInterruptedEarly checks that a run cancelled before its
// measurement window still returns a report: the clients so far, the
// phases' durations so far, no per-heartbeat figures, and a note saying
// why, together with ctx's error.
func TestRunInterruptedEarly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		phase   Phase
		pacer   Pacer
		warmup  time.Duration
		clients int
		// wantConnected is how many clients connected before the
		// cancellation; the snapshot that cancels waits for them.
		wantConnected int
		wantNote      string
	}{{
		name:          "ramp",
		phase:         PhaseRamp,
		pacer:         stallPacer{n: 2},
		warmup:        -1,
		clients:       5,
		wantConnected: 2,
		wantNote:      "interrupted during the ramp, before the measurement window: no per-heartbeat figures",
	}, {
		name:          "warm-up",
		phase:         PhaseWarmup,
		warmup:        time.Minute,
		clients:       3,
		wantConnected: 3,
		wantNote:      "interrupted during the warm-up, before the measurement window: no per-heartbeat figures",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startStub(t, testInterval)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cfg := Config{
				Addr:          addr,
				Clients:       tc.clients,
				Pacer:         tc.pacer,
				Warmup:        tc.warmup,
				Duration:      time.Minute,
				SnapshotEvery: 10 * time.Millisecond,
				OnSnapshot: func(s Snapshot) {
					if s.Phase == tc.phase && s.Connected == tc.wantConnected {
						cancel()
					}
				},
			}
			rep, err := Run(ctx, cfg)
			if !errors.Is(err, context.Canceled) || rep == nil {
				t.Fatalf("Run(cancelled in the %s) = %v, %v, want a report and context.Canceled", tc.name, rep, err)
			}
			c := rep.Clients
			if !rep.Interrupted || c.Requested != tc.clients || c.Connected != tc.wantConnected || c.Failed != 0 {
				t.Errorf("Run(cancelled in the %s) interrupted %v clients requested %d connected %d failed %d, want true %d %d 0",
					tc.name, rep.Interrupted, c.Requested, c.Connected, c.Failed, tc.clients, tc.wantConnected)
			}
			d := rep.Durations
			if d.RampMS <= 0 || d.MeasureMS != 0 || d.TotalMS < d.RampMS+d.WarmupMS || d.TotalMS >= 60_000 {
				t.Errorf("Run(cancelled in the %s) durations ramp %vms warm-up %vms measured %vms total %vms, want ramp > 0, measured 0, total >= ramp + warm-up and < 60000",
					tc.name, d.RampMS, d.WarmupMS, d.MeasureMS, d.TotalMS)
			}
			if wantWarmup := tc.phase == PhaseWarmup; (d.WarmupMS > 0) != wantWarmup {
				t.Errorf("Run(cancelled in the %s) warm-up %vms, want more than 0: %v", tc.name, d.WarmupMS, wantWarmup)
			}
			if h := rep.Heartbeats; h.OnWire != 0 || h.Received != 0 || rep.Bytes.IPPerHeartbeat.OK() {
				t.Errorf("Run(cancelled in the %s) heartbeats on wire %d received %d ip bytes/hb %v, want 0 0 missing",
					tc.name, h.OnWire, h.Received, rep.Bytes.IPPerHeartbeat)
			}
			if !hasNote(rep, tc.wantNote) || hasNote(rep, "No heartbeat arrived") {
				t.Errorf("Run(cancelled in the %s) notes = %q, want %q and none on missing heartbeats", tc.name, rep.Notes, tc.wantNote)
			}
			// The CLI prints this report, as text or JSON.
			if err := printer.WriteJSON(io.Discard, rep, nil); err != nil {
				t.Errorf("WriteJSON(report cancelled in the %s) = %v, want nil", tc.name, err)
			}
			var buf bytes.Buffer
			if err := printer.WriteText(&buf, rep, nil); err != nil || !strings.Contains(buf.String(), "measured 0 (interrupted)") || !strings.Contains(buf.String(), "no measurement window") {
				t.Errorf("WriteText(report cancelled in the %s) = %v, want no error, \"measured 0 (interrupted)\" and \"no measurement window\"; got:\n%s", tc.name, err, buf.String())
			}
		})
	}
}
