package loadgen

import (
	"sync"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// Snapshot is the live state of a run, aggregated over every client, for
// a progress display. It is a value: the receiver may keep it, and must
// not change what its Report points to.
type Snapshot struct {
	Phase Phase
	// Elapsed is the time since Run started; PhaseElapsed since the phase
	// did, and PhaseLength the phase's planned length (0 for the ramp;
	// for done, the length the window really had).
	Elapsed      time.Duration
	PhaseElapsed time.Duration
	PhaseLength  time.Duration

	// Config is the run's configuration with its defaults filled in, as
	// the report echoes it.
	Config report.ConfigEcho

	Target          int
	Connected       int // ever connected
	Failed          int // gave up
	Active          int // connected and not ended
	Ended           int
	ConnectFailures uint64 // failed attempts, retried or not
	Connections     int64  // sockets opened so far
	// RampRate is clients connected per second of ramp, by the report's
	// formula (report.RampRate): so far in the ramp, then the ramp's.
	RampRate float64

	// Heartbeats is every heartbeat received so far; the rates are over
	// the last two seconds or so (the final snapshot's over the window).
	Heartbeats       uint64
	HeartbeatsPerSec float64
	BytesInPerSec    float64
	BytesOutPerSec   float64
	// Counters are the byte accounting of every client socket since the
	// run started (report.Counters.SocketIn for the bytes read).
	Counters report.Counters

	// Report is the report of phase ReportPhase so far, built by
	// report.Build from the counting connections, a TCP_INFO sweep of every
	// socket and the memory readings, at most every Config.LiveEvery; nil
	// until the first. The final snapshot carries the report Run returns.
	Report      *report.Report
	ReportPhase Phase

	// Errors by gRPC code name.
	ConnectErrors map[string]uint64
	StreamErrors  map[string]uint64
}

// rates keeps recent readings for per-second rates.
type rates struct {
	// ring holds recent readings; rates are taken against the newest one
	// at least rateSpan old, since heartbeats of clients that connected
	// together arrive in bursts one interval apart, and a rate over one
	// 250 ms snapshot would swing between 0 and a burst.
	ring [rateRing]rateSample
	n    int
}

type rateSample struct {
	at                time.Time
	heartbeats        uint64
	bytesIn, bytesOut uint64
}

const (
	rateRing = 16
	rateSpan = 2 * time.Second
)

// rates returns per-second rates against the best reading available and
// records cur.
func (s *rates) rates(cur rateSample) (hb, in, out float64) {
	var base rateSample
	for i := 1; i <= min(s.n, rateRing); i++ {
		r := s.ring[(s.n-i)%rateRing]
		base = r
		if cur.at.Sub(r.at) >= rateSpan {
			break
		}
	}
	s.ring[s.n%rateRing] = cur
	s.n++
	dt := cur.at.Sub(base.at).Seconds()
	if base.at.IsZero() || dt <= 0 {
		return 0, 0, 0
	}
	return float64(cur.heartbeats-base.heartbeats) / dt, float64(cur.bytesIn-base.bytesIn) / dt, float64(cur.bytesOut-base.bytesOut) / dt
}

// snapshot aggregates the run's state, with final as its report when the
// run is over. Only the snapshot goroutine calls it.
func (r *runner) snapshot(s *rates, final *report.Report) Snapshot {
	now := r.cfg.Clock.Now()
	mark := r.phases.current()
	t := r.tally
	connected, ended := int(t.connected.Load()), int(t.ended.Load())
	snap := Snapshot{
		Phase:           mark.phase,
		Elapsed:         now.Sub(r.started),
		PhaseElapsed:    now.Sub(mark.start),
		PhaseLength:     mark.length,
		Config:          r.echo,
		Target:          r.cfg.Clients,
		Connected:       connected,
		Failed:          int(t.failed.Load()),
		Active:          connected - ended,
		Ended:           ended,
		ConnectFailures: t.connectFailures.Load(),
		Connections:     r.col.opened.Load(),
		Heartbeats:      t.heartbeats.Load(),
		RampRate:        report.RampRate(connected, mark.ramp),
	}
	if mark.phase == PhaseRamp {
		snap.RampRate = report.RampRate(connected, snap.PhaseElapsed)
	}
	snap.ConnectErrors, _, snap.StreamErrors = t.errors()
	if l := r.live.latest.Load(); l != nil {
		snap.Report, snap.ReportPhase = l.rep, l.phase
	}
	tls := r.cfg.TLS != nil
	cur := r.col.load()
	snap.Counters = cur
	if mark.phase == PhaseDone && mark.length > 0 {
		// The final snapshot shows the window's averages: a rate over the
		// few milliseconds since the last snapshot would be noise.
		d := mark.end.Sub(mark.base)
		w := mark.length.Seconds()
		snap.HeartbeatsPerSec = float64(d.Heartbeats()) / w
		snap.BytesInPerSec = float64(d.SocketIn(tls)) / w
		snap.BytesOutPerSec = float64(d.SocketOut(tls)) / w
	} else {
		snap.HeartbeatsPerSec, snap.BytesInPerSec, snap.BytesOutPerSec = s.rates(rateSample{now, snap.Heartbeats, cur.SocketIn(tls), cur.SocketOut(tls)})
	}
	if final != nil {
		snap.Report, snap.ReportPhase = final, mark.phase
		snap.RampRate = final.Clients.RampRateAchieved
	}
	return snap
}

// feed is the live snapshots: a goroutine that calls OnSnapshot every
// SnapshotEvery until stopped, then once more with the final report.
type feed struct {
	stopCh, done chan struct{}
	once         sync.Once
	final        *report.Report // set before stopCh closes
}

func (f *feed) start(r *runner) {
	f.stopCh, f.done = make(chan struct{}), make(chan struct{})
	if r.cfg.OnSnapshot == nil {
		close(f.done)
		return
	}
	go r.snapshotLoop(f.stopCh, f.done)
}

// stop makes the loop send its last snapshot, carrying final (nil for a
// run that ends without a report), and waits for it. Only the first call
// counts.
func (f *feed) stop(final *report.Report) {
	f.once.Do(func() {
		f.final = final
		close(f.stopCh)
		<-f.done
	})
}

// snapshotLoop calls OnSnapshot every SnapshotEvery until stop closes,
// then once more, from this goroutine only.
func (r *runner) snapshotLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	var s rates
	for {
		select {
		case <-stop:
			r.cfg.OnSnapshot(r.snapshot(&s, r.feed.final))
			return
		case <-r.cfg.Clock.After(r.cfg.SnapshotEvery):
			r.cfg.OnSnapshot(r.snapshot(&s, nil))
		}
	}
}
