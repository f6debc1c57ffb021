package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// runner is one run's state, shared by the run goroutine, the clients and
// the snapshot goroutine.
type runner struct {
	cfg  Config
	col  *collector
	gaps *gapRecorder
	inst instruments

	clients      []clientState
	groups       []connGroup
	connectSlots chan struct{}
	wg           sync.WaitGroup
	randMu       sync.Mutex

	started   time.Time
	memBefore memSample

	connected, failed, ended atomic.Int64
	resolved                 atomic.Int64
	allResolved              chan struct{}
	connectFailures          atomic.Uint64
	heartbeats               atomic.Uint64
	otherMessages            atomic.Uint64

	errMu             sync.Mutex
	connectErrs       map[string]uint64
	connectErrSamples map[string]string
	streamErrs        map[string]uint64

	phaseMu sync.Mutex
	mark    phaseMark
}

// Run simulates cfg.Clients idle clients against cfg.Addr and measures
// their heartbeats: it ramps the clients up, warms up, measures for
// cfg.Duration, closes every stream and returns the report.
//
// An invalid cfg is a *ConfigError. With the default dialer, Run first
// checks that the connections fit under the open-file limit
// (CheckFileLimit); raising it is the caller's choice (RaiseFileLimit).
// When ctx ends, Run stops and returns the report of the run so far
// (Interrupted set) together with ctx's error: in the measurement it
// covers the part measured; in the ramp or the warm-up it has the clients
// and durations so far and no per-heartbeat figures. A run in which no
// client connects, and that was not interrupted, is an error and has no
// report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Dial == nil {
		cfg.Dial = netDial
		if soft, ok := fileLimit(); ok {
			if err := CheckFileLimit(cfg.Clients, cfg.StreamsPerConn, soft); err != nil {
				return nil, err
			}
		}
	}
	inst, err := newInstruments(cfg.Meter)
	if err != nil {
		return nil, err
	}
	interval, source := cfg.ExpectedInterval, ""
	if interval > 0 {
		source = IntervalExpected
	}
	r := &runner{
		cfg:               cfg,
		col:               newCollector(cfg.TLS != nil),
		gaps:              newGapRecorder(interval, source),
		inst:              inst,
		clients:           make([]clientState, cfg.Clients),
		groups:            make([]connGroup, cfg.connections()),
		connectSlots:      make(chan struct{}, cfg.ConnectParallel),
		allResolved:       make(chan struct{}),
		connectErrs:       make(map[string]uint64),
		connectErrSamples: make(map[string]string),
		streamErrs:        make(map[string]uint64),
	}
	return r.run(ctx)
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	cfg := r.cfg
	clock := cfg.Clock
	r.started = clock.Now()

	m := measurement{cfg: cfg, started: r.started}
	if cfg.ServerMetricsURL != "" {
		s, err := scrapeServer(ctx, cfg.HTTPClient, cfg.ServerMetricsURL)
		if err != nil {
			return nil, fmt.Errorf("server metrics before the ramp: %w", err)
		}
		m.srvBefore = &s
	}
	r.memBefore = readMemory(true)
	m.memBefore = r.memBefore

	clientCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	snapStop, snapDone := make(chan struct{}), make(chan struct{})
	r.setPhase(phaseMark{phase: PhaseRamp, start: r.started})
	if cfg.OnSnapshot != nil {
		go r.snapshotLoop(snapStop, snapDone)
	} else {
		close(snapDone)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		stopClients()
		r.wg.Wait()
		r.closeConns()
		close(snapStop)
		<-snapDone
	}
	defer stop()

	// Ramp.
	r.ramp(clientCtx)
	select {
	case <-r.allResolved:
	case <-ctx.Done():
		m.ramp = clock.Now().Sub(r.started)
		return r.interruptedEarly(&m, PhaseRamp, stop, fmt.Errorf("bench interrupted during the ramp: %w", ctx.Err()))
	}
	rampEnd := clock.Now()
	m.ramp = rampEnd.Sub(r.started)
	if r.connected.Load() == 0 {
		r.errMu.Lock()
		summary := errSummary(r.connectErrs, r.connectErrSamples)
		r.errMu.Unlock()
		return nil, fmt.Errorf("no client connected to %s: all %d failed after %d attempts each (%s)",
			cfg.Addr, cfg.Clients, cfg.ConnectBackoff.MaxAttempts, summary)
	}

	// Warm-up.
	r.setPhase(phaseMark{phase: PhaseWarmup, start: rampEnd, length: cfg.Warmup, base: r.col.load()})
	if err := sleepCtx(ctx, clock, cfg.Warmup); err != nil {
		m.warmup = clock.Now().Sub(rampEnd)
		return r.interruptedEarly(&m, PhaseWarmup, stop, fmt.Errorf("bench interrupted during the warm-up: %w", err))
	}
	m.memAfter = readMemory(true)
	if cfg.ServerMetricsURL != "" {
		s, err := scrapeServer(ctx, cfg.HTTPClient, cfg.ServerMetricsURL)
		if err != nil {
			m.srvErr = err.Error()
			cfg.Logger.Warn("server metrics after the warm-up", zap.Error(err))
		} else {
			m.srvAfter = &s
		}
	}
	warmEnd := clock.Now()
	m.warmup = warmEnd.Sub(rampEnd)

	// Measurement window.
	interval, source := r.windowInterval()
	base := r.col.startWindow()
	hbBase, otherBase := r.heartbeats.Load(), r.otherMessages.Load()
	for i := range r.clients {
		r.clients[i].windowStart = r.clients[i].heartbeats.Load()
	}
	r.gaps.next(interval, source)
	winStart := clock.Now()
	r.setPhase(phaseMark{phase: PhaseMeasure, start: winStart, length: cfg.Duration, base: base})
	winErr := sleepCtx(ctx, clock, cfg.Duration)
	end, tcp := r.col.endWindow()
	winEnd := clock.Now()
	window := r.gaps.next(0, "")
	m.window = winEnd.Sub(winStart)
	if winErr != nil {
		m.interrupted = PhaseMeasure
	}
	m.win = end.sub(base)
	m.tcp = tcp
	m.appHeartbeats = r.heartbeats.Load() - hbBase
	m.appOther = r.otherMessages.Load() - otherBase
	m.gaps = window.stats()
	m.overdueAtEnd, m.stalled, m.silent = r.tails(winEnd, m.gaps.Interval)

	r.setPhase(phaseMark{phase: PhaseDone, start: winEnd, length: winEnd.Sub(winStart), base: base, end: &end, gaps: window})
	rep := r.finish(&m, stop)
	if winErr != nil {
		return rep, fmt.Errorf("bench interrupted during the measurement: %w", winErr)
	}
	return rep, nil
}

// interruptedEarly ends a run whose ctx ended in phase, before the
// measurement window: the report has the clients and durations so far and
// an empty window, so the caller can still show what the run got to.
// bench's memory is read while the streams are still held.
func (r *runner) interruptedEarly(m *measurement, phase Phase, stop func(), err error) (*Report, error) {
	m.interrupted = phase
	m.memAfter = readMemory(true)
	return r.finish(m, stop), err
}

// finish stops the clients, adds the run's totals to m and builds the
// report.
func (r *runner) finish(m *measurement, stop func()) *Report {
	stop()
	m.total = r.cfg.Clock.Now().Sub(r.started)
	m.connected = int(r.connected.Load())
	m.failed = int(r.failed.Load())
	m.ended = int(r.ended.Load())
	m.connectFailures = r.connectFailures.Load()
	m.connectionsOpened = r.col.opened.Load()
	r.errMu.Lock()
	m.connectErrs = r.connectErrs
	m.connectErrSamples = r.connectErrSamples
	m.streamErrs = r.streamErrs
	r.errMu.Unlock()
	return buildReport(*m)
}

// ramp starts the clients as the pacer allows. Connects run in the
// clients' goroutines, so a slow server slows the ramp only through
// ConnectParallel.
func (r *runner) ramp(ctx context.Context) {
	clock := r.cfg.Clock
	for i := range r.cfg.Clients {
		if wait := r.cfg.Pacer.Pace(clock.Now().Sub(r.started), i); wait > 0 {
			if sleepCtx(ctx, clock, wait) != nil {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		r.wg.Add(1)
		go r.runClient(ctx, i)
	}
}

// windowInterval is the interval late and missed are judged by in the
// window: the expected one, else the median gap seen so far, else none
// yet (learned from the window's own gaps at the end).
func (r *runner) windowInterval() (time.Duration, string) {
	if r.cfg.ExpectedInterval > 0 {
		return r.cfg.ExpectedInterval, IntervalExpected
	}
	if s := r.gaps.current().hist.snapshot(); s.count > 0 {
		return s.quantile(0.5), IntervalLearnedWarmup
	}
	return 0, ""
}

// tails looks at every open stream at the window's end: heartbeats
// overdue by more than half an interval, streams so stalled, and streams
// that received nothing in the window.
func (r *runner) tails(end time.Time, interval time.Duration) (overdue uint64, stalled, silent int) {
	endNS := end.UnixNano()
	for i := range r.clients {
		st := &r.clients[i]
		if st.state.Load() != clientConnected {
			continue
		}
		if st.heartbeats.Load() == st.windowStart {
			silent++
		}
		if interval <= 0 {
			continue
		}
		last := st.last.Load()
		if last == 0 {
			last = st.connectedAt.Load()
		}
		since := time.Duration(endNS - last)
		if 2*since > 3*interval {
			stalled++
			overdue += uint64((since - interval/2) / interval)
		}
	}
	return overdue, stalled, silent
}
