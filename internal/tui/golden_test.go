package tui

import (
	"context"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"galaxy/galaxyctl/internal/loadgen"
)

// The golden screens are the final model's View at a fixed size, colour
// off, after a fixed snapshot: the raw terminal stream would depend on
// which frames the renderer happened to draw. Regenerate with
// `go test ./internal/tui -run TestGolden -update`.

// feedTwice sends s twice on the unbuffered ch: the second send is only
// taken once Update has handled the first and re-armed the feed, so the
// model then holds s whether or not the second has been handled yet.
func feedTwice(t *testing.T, ctx context.Context, ch chan<- loadgen.Snapshot, s loadgen.Snapshot) {
	t.Helper()
	for range 2 {
		select {
		case ch <- s:
		case <-ctx.Done():
			t.Fatal("the program did not take a snapshot before the deadline")
		}
	}
}

func TestGoldenMeasure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch := make(chan loadgen.Snapshot)
	defer close(ch) // ends the re-armed feed's goroutine
	tm := teatest.NewTestModel(t, New(testOptions(), ch), teatest.WithInitialTermSize(100, 30))

	feedTwice(t, ctx, ch, fullSnapshot())
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	teatest.RequireEqualOutput(t, []byte(fm.View().Content))
}

// rampTLS is a TLS run still ramping: the reduced 80x24 screen.
func rampTLS() loadgen.Snapshot {
	s := withTLS(fullSnapshot())
	s.Phase, s.ReportPhase = loadgen.PhaseRamp, loadgen.PhaseRamp
	s.PhaseElapsed, s.PhaseLength, s.Elapsed = 8*time.Second, 0, 9*time.Second
	s.Connected, s.Active, s.Ended, s.Failed = 4_000, 4_000, 0, 0
	s.Connections = 4_000
	s.RampRate = 500
	s.Heartbeats, s.HeartbeatsPerSec = 2_130, 266.25
	s.BytesInPerSec, s.BytesOutPerSec = 14_643.75, 0
	s.ConnectErrors, s.StreamErrors = nil, nil
	return s
}

func TestGoldenStoppingTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch := make(chan loadgen.Snapshot)
	defer close(ch)
	q := newQuitter()
	o := testOptions()
	o.OnQuit = q.onQuit
	tm := teatest.NewTestModel(t, New(o, ch), teatest.WithInitialTermSize(80, 24))

	feedTwice(t, ctx, ch, rampTLS())
	tm.Type("q")
	q.wait(t, ctx) // OnQuit runs from the Cmd Update returned: q is handled
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if n := q.calls.Load(); n != 1 {
		t.Errorf("OnQuit calls = %d, want 1", n)
	}
	teatest.RequireEqualOutput(t, []byte(fm.View().Content))
}
