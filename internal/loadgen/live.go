package loadgen

import (
	"context"
	"sync/atomic"
	"time"

	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// liveCostShare caps the live report's cost: the next rebuild waits at
// least this many times as long as the last one took, so the sweep of
// every socket's TCP_INFO takes at most a tenth of a core however many
// sockets there are.
const liveCostShare = 10

// liveReport is the live report of one phase so far.
type liveReport struct {
	phase Phase
	rep   *report.Report
}

// live rebuilds the report of the current phase so far, from the same
// counters, TCP_INFO sweep and report.Build as the final one, at most
// every LiveEvery, in a goroutine of its own so a slow sweep or scrape
// never holds up a snapshot.
type live struct {
	latest  atomic.Pointer[liveReport]
	builds  atomic.Int64 // reports built, for tests
	stopCh  chan struct{}
	done    chan struct{}
	stopped atomic.Bool
}

// start starts the loop when someone watches the snapshots.
func (l *live) start(r *runner) {
	l.stopCh, l.done = make(chan struct{}), make(chan struct{})
	if r.cfg.OnSnapshot == nil {
		close(l.done)
		return
	}
	go r.liveLoop(l.stopCh, l.done)
}

// stop ends the loop and waits for it; later calls do nothing.
func (l *live) stop() {
	if l.stopped.CompareAndSwap(false, true) {
		close(l.stopCh)
		<-l.done
	}
}

// liveLoop rebuilds the live report until stop closes. The server's
// metrics, when known, are scraped with each rebuild.
func (r *runner) liveLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var server *report.ServerSample
	wait := r.cfg.LiveEvery
	for {
		select {
		case <-stop:
			return
		case <-r.cfg.Clock.After(wait):
		}
		// The cost is wall-clock time whatever Clock says: it is what the
		// sweep takes from the machine.
		began := time.Now()
		if r.cfg.ServerMetricsURL != "" {
			if s, err := probe.ScrapeServer(ctx, r.cfg.HTTPClient, r.cfg.ServerMetricsURL); err == nil {
				server = &s
			}
		}
		if mark := r.phases.current(); mark.phase != PhaseDone {
			if m, ok := r.liveMeasurement(mark, server); ok {
				r.live.latest.Store(&liveReport{phase: mark.phase, rep: report.Build(m)})
				r.live.builds.Add(1)
			}
		}
		wait = nextLiveWait(r.cfg.LiveEvery, time.Since(began))
	}
}

// nextLiveWait is the wait before the next rebuild: every, or longer when
// the last rebuild cost more than a tenth of it.
func nextLiveWait(every, cost time.Duration) time.Duration {
	return max(every, liveCostShare*cost)
}

// liveMeasurement is the measurement of mark's phase so far, as if the
// phase were the window; ok is false when the phase has just ended.
func (r *runner) liveMeasurement(mark phaseMark, server *report.ServerSample) (report.Measurement, bool) {
	cur, tcp, ok := r.col.sample(mark.period)
	if !ok {
		return report.Measurement{}, false
	}
	now := r.cfg.Clock.Now()
	m := report.Measurement{
		Config:             r.echo,
		ConnectMaxAttempts: r.cfg.ConnectBackoff.MaxAttempts,
		TCPInfoSupported:   probe.TCPInfoSupported,
		StartedAt:          r.started,
		Ramp:               mark.ramp,
		Warmup:             mark.warmup,
		Window:             now.Sub(mark.start),
		Total:              now.Sub(r.started),
		Counters:           cur.Sub(mark.base),
		TCP:                tcp,
		Heartbeats:         r.tally.heartbeats.Load() - mark.hbBase,
		OtherMessages:      r.tally.otherMessages.Load() - mark.otherBase,
		Gaps:               r.gaps.current().gaps(),
		MemBefore:          r.memBefore,
		MemAfter:           probe.ReadMemory(false),
		ServerBefore:       r.srvBefore,
		ServerAfter:        server,
	}
	switch mark.phase {
	case PhaseRamp:
		m.Ramp = m.Window
	case PhaseWarmup:
		m.Warmup = m.Window
	case PhaseMeasure:
		m.OverdueAtEnd, m.Stalled, m.Silent = r.pool.tails(now, m.Gaps.Stats().Interval)
	}
	r.totals(&m)
	return m, true
}
