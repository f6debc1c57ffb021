package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/tui"
	"galaxy/galaxyctl/internal/units"
)

// latest is a one-slot mailbox: the engine never waits on a slow view, and
// the view always gets the newest snapshot.
type latest chan loadgen.Snapshot

func (l latest) put(s loadgen.Snapshot) {
	for {
		select {
		case l <- s:
			return
		default:
			select {
			case <-l:
			default:
			}
		}
	}
}

// runWithView runs the engine with the live view the terminal allows: the
// TUI, progress bars, or log lines.
func (o *benchOptions) runWithView(ctx context.Context, cfg loadgen.Config) (*report.Report, error) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	snaps := make(latest, 1)
	cfg.OnSnapshot = chainSnapshots(cfg.OnSnapshot, snaps.put)

	type result struct {
		r   *report.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := loadgen.Run(runCtx, cfg)
		// Run makes its last OnSnapshot call before it returns, so the
		// mailbox can close now.
		close(snaps)
		done <- result{r, err}
	}()

	s := o.g.streams
	switch {
	case s.ErrTTY && !o.noTUI:
		err := tui.Run(ctx, snaps, s.In, s.ErrOut, tui.Options{
			Title:  "galaxyctl bench",
			Target: describeTarget(o.addr, cfg.Addr),
			Color:  s.Color,
			OnQuit: cancel,
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			cancel()
			o.g.Logger().Sugar().Warnf("live view: %v", err)
			drain(snaps)
		}
	case s.ErrTTY:
		progressBars(snaps, s.ErrOut, o.clients)
	default:
		logLines(snaps, s.ErrOut)
	}
	res := <-done
	return res.r, res.err
}

func drain(ch <-chan loadgen.Snapshot) {
	for range ch {
	}
}

// progressBars shows one aggregate bar for the ramp and one for the
// measurement, mpb style; they are aborted if the run ends early, so Wait
// never hangs.
func progressBars(snaps <-chan loadgen.Snapshot, w io.Writer, target int) {
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(250*time.Millisecond))
	var last loadgen.Snapshot
	ramp := p.AddBar(int64(target),
		mpb.PrependDecorators(decor.Name("ramp    ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("failed %d  %.0f/s", last.Failed, last.RampRate)
		})),
	)
	var measure *mpb.Bar
	for s := range snaps {
		last = s
		ramp.SetCurrent(int64(s.Connected + s.Failed))
		if s.Phase != loadgen.PhaseRamp && !ramp.Completed() {
			ramp.SetTotal(-1, true)
		}
		if s.Phase == loadgen.PhaseMeasure && measure == nil {
			length := s.PhaseLength
			measure = p.AddBar(int64(length/time.Millisecond),
				mpb.PrependDecorators(decor.Name("measure ", decor.WCSyncSpaceR), decor.Elapsed(decor.ET_STYLE_GO)),
				mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return trafficText(last) })),
			)
		}
		if measure != nil && s.Phase == loadgen.PhaseMeasure {
			measure.SetCurrent(int64(s.PhaseElapsed / time.Millisecond))
		}
	}
	for _, b := range []*mpb.Bar{ramp, measure} {
		if b != nil && !b.Completed() {
			if last.Phase == loadgen.PhaseDone && b == measure {
				b.SetTotal(-1, true)
			} else {
				b.Abort(false)
			}
		}
	}
	p.Wait()
}

// logLines reports each phase change and, every five seconds, the state:
// for logs and pipes, where bars would be noise.
func logLines(snaps <-chan loadgen.Snapshot, w io.Writer) {
	var phase loadgen.Phase
	var lastLine time.Duration
	for s := range snaps {
		if s.Phase != phase || s.Elapsed-lastLine >= 5*time.Second {
			_, _ = fmt.Fprintf(w, "bench: %-7s %6.1fs  connected %s/%s  failed %s  %s\n",
				s.Phase, s.Elapsed.Seconds(), units.Count(s.Connected), units.Count(s.Target), units.Count(s.Failed), trafficText(s))
			phase, lastLine = s.Phase, s.Elapsed
		}
	}
}

// trafficText is the heartbeat and byte rates of s, as the live view reads
// them (decimal SI for traffic), and the live report's IP bytes per
// heartbeat once it has them.
func trafficText(s loadgen.Snapshot) string {
	t := "heartbeats " + units.PerSecond(s.HeartbeatsPerSec) + "  in " + units.Rate(s.BytesInPerSec) +
		"  out " + units.Rate(s.BytesOutPerSec)
	if s.Report != nil && s.Report.Bytes.IPPerHeartbeat.OK() {
		t += "  IP " + units.Fixed(float64(s.Report.Bytes.IPPerHeartbeat), 1) + " B/heartbeat"
	}
	return t
}
