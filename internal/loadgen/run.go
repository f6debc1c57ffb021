package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/clock"
	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// runner is one run: its configuration and the parts the run goroutine,
// the clients and the snapshot goroutine share, each with its own file.
type runner struct {
	cfg  Config
	echo report.ConfigEcho
	inst instruments

	eng    clientEngine // lean or grpc-go (engine_lean.go, engine_grpc.go)
	pool   *clientPool  // the clients and their connections (pool.go, client.go)
	tally  *tally       // how the clients fare (tally.go)
	col    *collector   // bytes and TCP_INFO of their sockets (collector.go, sockets.go)
	gaps   *gapRecorder // heartbeat gaps (gaps.go)
	phases phases       // where the run is (phase.go)
	feed   feed         // the live snapshots (snapshot.go)
	live   live         // the live report, rebuilt at most every LiveEvery (live.go)

	started   time.Time
	memBefore report.MemSample
	srvBefore *report.ServerSample
}

// Run simulates cfg.Clients idle clients against cfg.Addr and measures
// their heartbeats: it ramps the clients up, warms up, measures for
// cfg.Duration, closes every stream and returns the report.
//
// An invalid cfg is a *ConfigError. With the default dialer, Run first
// checks that the connections fit under the open-file limit
// (CheckFileLimit, a *FileLimitError); raising it is the caller's choice
// (probe.RaiseFileLimit). When ctx ends, Run stops and returns the report
// of the run so far (Interrupted set) together with ctx's error: in the
// measurement it covers the part measured; in the ramp or the warm-up it
// has the clients and durations so far and no per-heartbeat figures. A run
// in which no client connects, and that was not interrupted, is an error
// and has no report.
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Dial == nil {
		cfg.Dial = netDial
		if soft, ok := probe.FileLimit(); ok {
			if err := CheckFileLimit(cfg.Clients, cfg.StreamsPerConn, soft); err != nil {
				return nil, err
			}
		}
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	return r.run(ctx)
}

// newRunner builds the parts of a run of cfg, which has its defaults.
func newRunner(cfg Config) (*runner, error) {
	inst, err := newInstruments(cfg.Meter)
	if err != nil {
		return nil, err
	}
	interval, source := cfg.ExpectedInterval, ""
	if interval > 0 {
		source = report.IntervalExpected
	}
	r := &runner{
		cfg:    cfg,
		echo:   cfg.echo(),
		inst:   inst,
		tally:  newTally(cfg.Clients),
		col:    newCollector(cfg.TLS != nil, cfg.HTTP == HTTP1),
		gaps:   newGapRecorder(interval, source),
		phases: phases{log: cfg.Logger},
	}
	if r.gaps.observe, err = newGapMetric(cfg.Meter, cfg.ExpectedInterval); err != nil {
		return nil, err
	}
	if cfg.Engine == EngineGRPCGo {
		r.eng = grpcEngine{r}
	} else if r.eng, err = newLeanEngine(r); err != nil {
		return nil, err
	}
	r.pool = newClientPool(cfg, r.eng.newConn)
	return r, nil
}

// run goes through the phases in order: ramp, warm-up, window, finish.
func (r *runner) run(ctx context.Context) (*report.Report, error) {
	m, err := r.begin(ctx)
	if err != nil {
		r.eng.close()
		return nil, err
	}
	// The clients outlive ctx: when ctx ends the window is closed first,
	// and only then are the streams torn down, so their RST_STREAM and
	// GOAWAY frames stay out of the figures.
	clientCtx, stopClients := context.WithCancel(context.WithoutCancel(ctx))
	r.feed.start(r)
	r.live.start(r)
	stop := sync.OnceFunc(func() {
		stopClients()
		r.pool.wg.Wait()
		r.eng.close()
		r.pool.closeConns()
		r.live.stop()
	})
	defer func() {
		stop()
		r.feed.stop(nil) // a run that ends without a report
	}()

	if err := r.rampUp(ctx, clientCtx, &m); err != nil {
		if ctx.Err() == nil {
			return nil, err
		}
		return r.interruptedEarly(&m, PhaseRamp, stop, fmt.Errorf("bench interrupted during the ramp: %w", err))
	}
	if err := r.warmUp(ctx, &m); err != nil {
		return r.interruptedEarly(&m, PhaseWarmup, stop, fmt.Errorf("bench interrupted during the warm-up: %w", err))
	}
	winErr := r.measure(ctx, &m)
	rep := r.finish(&m, stop)
	if winErr != nil {
		return rep, fmt.Errorf("bench interrupted during the measurement: %w", winErr)
	}
	return rep, nil
}

// begin takes the readings before the ramp: the server's metrics, when
// known, and bench's memory.
func (r *runner) begin(ctx context.Context) (report.Measurement, error) {
	r.started = r.cfg.Clock.Now()
	m := report.Measurement{
		Config:             r.echo,
		ConnectMaxAttempts: r.cfg.ConnectBackoff.MaxAttempts,
		TCPInfoSupported:   probe.TCPInfoSupported,
		StartedAt:          r.started,
	}
	if r.cfg.ServerMetricsURL != "" {
		s, err := probe.ScrapeServer(ctx, r.cfg.HTTPClient, r.cfg.ServerMetricsURL)
		if err != nil {
			return m, fmt.Errorf("server metrics before the ramp: %w", err)
		}
		r.srvBefore = &s
		m.ServerBefore = r.srvBefore
	}
	probe.ReleaseMemory() // the baseline, like the reading after the warm-up, without freed pages
	r.memBefore = probe.ReadMemory(true)
	m.MemBefore = r.memBefore
	period, base := r.col.startPeriod()
	r.phases.set(phaseMark{phase: PhaseRamp, start: r.started, period: period, base: base})
	return m, nil
}

// rampUp starts the clients as the pacer allows and waits until each has
// connected or given up. It fails when ctx ends, or when no client
// connected at all.
func (r *runner) rampUp(ctx, clientCtx context.Context, m *report.Measurement) error {
	r.startClients(ctx, clientCtx)
	select {
	case <-r.tally.allResolved:
	case <-ctx.Done():
		m.Ramp = r.cfg.Clock.Now().Sub(r.started)
		return ctx.Err()
	}
	m.Ramp = r.cfg.Clock.Now().Sub(r.started)
	if r.tally.connected.Load() == 0 {
		connect, samples, _ := r.tally.errors()
		return fmt.Errorf("no client connected to %s: all %d failed after %d attempts each (%s)",
			r.cfg.Addr, r.cfg.Clients, r.cfg.ConnectBackoff.MaxAttempts, report.ErrSummary(connect, samples))
	}
	return nil
}

// startClients starts each client, with clientCtx, when the pacer says,
// until ctx ends. Connects run in the clients' goroutines, so a slow
// server slows the ramp only through ConnectParallel. grpc-go's clients
// keep their goroutine to receive; the lean engine's return once
// connected, so they run on ConnectParallel workers instead: the runtime
// never frees a goroutine's descriptor (about 430 bytes), and one per
// client would stay as memory per client.
func (r *runner) startClients(ctx, clientCtx context.Context) {
	clk := r.cfg.Clock
	var next chan int
	if r.cfg.Engine == EngineLean {
		next = make(chan int)
		defer close(next)
		for range min(r.cfg.ConnectParallel, r.cfg.Clients) {
			r.pool.wg.Add(1)
			go func() {
				defer r.pool.wg.Done()
				for i := range next {
					r.pool.wg.Add(1)
					r.runClient(clientCtx, i)
				}
			}()
		}
	}
	for i := range r.cfg.Clients {
		if wait := r.cfg.Pacer.Pace(clk.Now().Sub(r.started), i); wait > 0 {
			if clock.Sleep(ctx, clk, wait) != nil {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		if next != nil {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
			continue
		}
		r.pool.wg.Add(1)
		go r.runClient(clientCtx, i)
	}
}

// warmUp waits out the warm-up, then reads bench's memory and the
// server's with the streams established.
func (r *runner) warmUp(ctx context.Context, m *report.Measurement) error {
	clk := r.cfg.Clock
	rampEnd := r.started.Add(m.Ramp)
	period, base := r.col.startPeriod()
	r.phases.set(phaseMark{phase: PhaseWarmup, start: rampEnd, length: r.cfg.Warmup, period: period, base: base,
		hbBase: r.tally.heartbeats.Load(), otherBase: r.tally.otherMessages.Load(), ramp: m.Ramp})
	// What the ramp freed goes back to the system now, as the scavenger
	// would in time; what the warm-up's heartbeats allocate stays, so the
	// reading after it is the steady state at default GOGC.
	probe.ReleaseMemory()
	if err := clock.Sleep(ctx, clk, r.cfg.Warmup); err != nil {
		m.Warmup = clk.Now().Sub(rampEnd)
		return err
	}
	m.MemAfter = probe.ReadMemory(true)
	if r.cfg.ServerMetricsURL != "" {
		s, err := probe.ScrapeServer(ctx, r.cfg.HTTPClient, r.cfg.ServerMetricsURL)
		if err != nil {
			m.ServerError = err.Error()
			r.cfg.Logger.Warn("server metrics after the warm-up", zap.Error(err))
		} else {
			m.ServerAfter = &s
		}
	}
	m.Warmup = clk.Now().Sub(rampEnd)
	return nil
}

// measure runs the measurement window and reduces the counters to their
// deltas over it. The error is ctx's, when it ended the window early.
func (r *runner) measure(ctx context.Context, m *report.Measurement) error {
	clk := r.cfg.Clock
	interval, source := r.windowInterval()
	period, base := r.col.startPeriod()
	hbBase, otherBase := r.tally.heartbeats.Load(), r.tally.otherMessages.Load()
	r.pool.markWindowStart()
	r.gaps.next(interval, source)
	winStart := clk.Now()
	r.phases.set(phaseMark{phase: PhaseMeasure, start: winStart, length: r.cfg.Duration, period: period, base: base,
		hbBase: hbBase, otherBase: otherBase, ramp: m.Ramp, warmup: m.Warmup})

	winErr := clock.Sleep(ctx, clk, r.cfg.Duration)

	end, tcp := r.col.endWindow()
	winEnd := clk.Now()
	window := r.gaps.next(0, "")
	m.Window = winEnd.Sub(winStart)
	if winErr != nil {
		m.Interrupted = PhaseMeasure
	}
	m.Counters, m.TCP = end.Sub(base), tcp
	m.Heartbeats = r.tally.heartbeats.Load() - hbBase
	m.OtherMessages = r.tally.otherMessages.Load() - otherBase
	m.Gaps = window.gaps()
	m.OverdueAtEnd, m.Stalled, m.Silent = r.pool.tails(winEnd, m.Gaps.Stats().Interval)
	r.phases.set(phaseMark{phase: PhaseDone, start: winEnd, length: m.Window, base: base,
		hbBase: hbBase, otherBase: otherBase, ramp: m.Ramp, warmup: m.Warmup, end: &end, gaps: window})
	return winErr
}

// windowInterval is the interval late and missed are judged by in the
// window: the expected one, else the median gap seen so far, else none
// yet (learned from the window's own gaps at the end).
func (r *runner) windowInterval() (time.Duration, string) {
	if r.cfg.ExpectedInterval > 0 {
		return r.cfg.ExpectedInterval, report.IntervalExpected
	}
	if h := r.gaps.current().hist.snapshot(); h.Count > 0 {
		return h.Quantile(0.5), report.IntervalLearnedWarmup
	}
	return 0, ""
}

// interruptedEarly ends a run whose ctx ended in phase, before the
// measurement window: the report has the clients and durations so far and
// an empty window, so the caller can still show what the run got to.
// bench's memory is read while the streams are still held.
func (r *runner) interruptedEarly(m *report.Measurement, phase Phase, stop func(), err error) (*report.Report, error) {
	m.Interrupted = phase
	m.MemAfter = probe.ReadMemory(true)
	return r.finish(m, stop), err
}

// finish stops the clients, adds the run's totals to m, builds the report
// and sends it with the last snapshot, so the live view's last frame is
// the report.
func (r *runner) finish(m *report.Measurement, stop func()) *report.Report {
	stop()
	m.Total = r.cfg.Clock.Now().Sub(r.started)
	r.totals(m)
	rep := report.Build(*m)
	r.feed.stop(rep)
	return rep
}

// totals adds what the clients came to so far: counts, sockets, errors.
func (r *runner) totals(m *report.Measurement) {
	m.Connected = int(r.tally.connected.Load())
	m.Failed = int(r.tally.failed.Load())
	m.Ended = int(r.tally.ended.Load())
	m.ConnectFailures = r.tally.connectFailures.Load()
	m.ConnectionsOpened = r.col.opened.Load()
	m.ConnectErrors, m.ConnectErrorSamples, m.StreamErrors = r.tally.errors()
}
