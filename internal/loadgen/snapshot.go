package loadgen

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen/probe"
	"galaxy/galaxyctl/internal/loadgen/report"
	"galaxy/galaxyctl/internal/loadgen/wire"
)

// Snapshot is the live state of a run, aggregated over every client, for
// a progress display. It is a value: the receiver may keep it.
type Snapshot struct {
	Phase Phase
	// Elapsed is the time since Run started; PhaseElapsed since the phase
	// did, and PhaseLength the phase's planned length (0 for the ramp;
	// for done, the length the window really had).
	Elapsed      time.Duration
	PhaseElapsed time.Duration
	PhaseLength  time.Duration

	// Config is the run's configuration with its defaults filled in, as
	// the report echoes it; Model is the wire-cost model of its transport.
	Config report.ConfigEcho
	Model  report.Model

	Target          int
	Connected       int // ever connected
	Failed          int // gave up
	Active          int // connected and not ended
	Ended           int
	ConnectFailures uint64 // failed attempts, retried or not
	Connections     int64  // sockets opened so far
	RampRate        float64

	// Heartbeats is every heartbeat received so far; the rates are over
	// the time since the previous snapshot.
	Heartbeats       uint64
	HeartbeatsPerSec float64
	BytesInPerSec    float64
	BytesOutPerSec   float64

	// PerHeartbeat is the byte accounting since the current phase began
	// (the window, once measuring; the final snapshot keeps the window's).
	// TCP figures need TCP_INFO and are only in the Report.
	PerHeartbeat LiveLayers
	// Projection is an estimate from PerHeartbeat: the socket bytes both
	// ways plus one segment's TCP/IP headers of the model.
	Projection report.ProjectionReport

	// Gaps are the heartbeat gaps of the current period: before the window
	// (ramp and warm-up), then the window.
	Gaps GapSnapshot

	Memory MemorySnapshot

	// Errors by gRPC code name.
	ConnectErrors map[string]uint64
	StreamErrors  map[string]uint64
}

// LiveLayers is bytes per heartbeat by layer, in (server to client) and
// out, from the counting connections.
type LiveLayers struct {
	Heartbeats       uint64
	Protobuf         float64
	GRPCPrefix       float64
	HTTP2FrameHeader float64
	HTTP2In          float64
	HTTP2Out         float64
	ClientReplies    float64 // WINDOW_UPDATE, PING and other non-request frames out
	ServerPings      float64
	TLSIn, TLSOut    float64 // record overhead, with TLS
	SocketIn         float64
	SocketOut        float64
	ResidualIn       int64
	ResidualOut      int64
}

// GapSnapshot is the gap histogram so far.
type GapSnapshot struct {
	Interval       time.Duration
	IntervalSource string
	Count          uint64
	P50, P99, Max  time.Duration
	Late, Missed   uint64
	Buckets        []report.GapBucket
}

// MemorySnapshot is bench's own memory now, and per connected stream
// against the reading before the ramp.
type MemorySnapshot struct {
	RSS            uint64
	Heap           uint64
	Goroutines     uint64
	BytesPerStream float64
}

// perHB divides a count by the heartbeats among it, 0 without any.
type perHB float64

func (h perHB) of(n uint64) float64 {
	if h == 0 {
		return 0
	}
	return float64(n) / float64(h)
}

// liveLayers divides counter deltas by the heartbeats among them.
func liveLayers(d *report.Counters, tls bool) LiveLayers {
	hb := perHB(d.H2In.Heartbeats)
	l := LiveLayers{
		Heartbeats:       d.H2In.Heartbeats,
		Protobuf:         hb.of(d.H2In.MessageBytes),
		GRPCPrefix:       hb.of(d.H2In.GRPCPrefix),
		HTTP2FrameHeader: hb.of(d.H2In.Frames[wire.KindData] * wire.FrameHeaderLen),
		HTTP2In:          hb.of(d.H2In.AllFrameBytes()),
		HTTP2Out:         hb.of(d.H2Out.Preface + d.H2Out.AllFrameBytes()),
		ClientReplies: hb.of(d.H2Out.AllFrameBytes() - d.H2Out.FrameBytes(wire.KindData) -
			d.H2Out.FrameBytes(wire.KindHeaders) - d.H2Out.FrameBytes(wire.KindContinuation)),
		ServerPings: hb.of(d.H2In.FrameBytes(wire.KindPing) + d.H2In.FrameBytes(wire.KindPingAck)),
		SocketIn:    hb.of(d.SocketIn(tls)),
		SocketOut:   hb.of(d.SocketOut(tls)),
		ResidualIn:  d.H2In.Residual(),
		ResidualOut: d.H2Out.Residual(),
	}
	if tls && hb != 0 {
		l.TLSIn = float64(int64(d.TLSIn.Bytes)-int64(d.H2In.Bytes)) / float64(hb)
		l.TLSOut = float64(int64(d.TLSOut.Bytes)-int64(d.H2Out.Bytes)) / float64(hb)
	}
	return l
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

// snapshot aggregates the run's state. Only the snapshot goroutine calls
// it.
func (r *runner) snapshot(s *rates) Snapshot {
	now := r.cfg.Clock.Now()
	mark := r.phases.current()
	cur := mark.end
	if cur == nil {
		c := r.col.load()
		cur = &c
	}
	tls := r.cfg.TLS != nil
	delta := cur.Sub(mark.base)

	t := r.tally
	connected, ended := int(t.connected.Load()), int(t.ended.Load())
	snap := Snapshot{
		Phase:           mark.phase,
		Elapsed:         now.Sub(r.started),
		PhaseElapsed:    now.Sub(mark.start),
		PhaseLength:     mark.length,
		Config:          r.echo,
		Model:           report.ModelFor(tls),
		Target:          r.cfg.Clients,
		Connected:       connected,
		Failed:          int(t.failed.Load()),
		Active:          connected - ended,
		Ended:           ended,
		ConnectFailures: t.connectFailures.Load(),
		Connections:     r.col.opened.Load(),
		Heartbeats:      t.heartbeats.Load(),
		PerHeartbeat:    liveLayers(&delta, tls),
	}
	if mark.phase == PhaseRamp && snap.PhaseElapsed > 0 {
		snap.RampRate = float64(connected) / snap.PhaseElapsed.Seconds()
	}
	if l := snap.PerHeartbeat; l.Heartbeats > 0 {
		snap.Projection = report.Project(report.Figure(l.SocketIn+l.SocketOut+snap.Model.TCPIP), r.cfg.ProjectInterval, r.cfg.Scales, snap.Model)
	}
	in, out := cur.SocketIn(tls), cur.SocketOut(tls)
	if mark.phase == PhaseDone && mark.length > 0 {
		// The final snapshot shows the window's averages: a rate over the
		// few milliseconds since the last snapshot would be noise.
		w := mark.length.Seconds()
		snap.HeartbeatsPerSec = float64(delta.H2In.Heartbeats) / w
		snap.BytesInPerSec = float64(delta.SocketIn(tls)) / w
		snap.BytesOutPerSec = float64(delta.SocketOut(tls)) / w
	} else {
		snap.HeartbeatsPerSec, snap.BytesInPerSec, snap.BytesOutPerSec = s.rates(rateSample{now, snap.Heartbeats, in, out})
	}

	period := mark.gaps
	if period == nil {
		period = r.gaps.current()
	}
	pg := period.gaps()
	g := pg.Stats()
	snap.Gaps = GapSnapshot{
		Interval: g.Interval, IntervalSource: g.IntervalSource,
		Count: g.Count, P50: g.P50, P99: g.P99, Max: g.Max,
		Late: g.Late, Missed: g.Missed, Buckets: g.Buckets,
	}

	mem := probe.ReadMemory(false)
	snap.Memory = MemorySnapshot{RSS: mem.RSS, Heap: mem.HeapBytes, Goroutines: mem.Goroutines}
	if connected > 0 {
		snap.Memory.BytesPerStream = (float64(mem.RSS) - float64(r.memBefore.RSS)) / float64(connected)
	}
	snap.ConnectErrors, _, snap.StreamErrors = t.errors()
	return snap
}

// feed is the live feed: a goroutine that calls OnSnapshot every
// SnapshotEvery until stopped, then once more.
type feed struct {
	stopCh, done chan struct{}
}

func (s *feed) start(r *runner) {
	s.stopCh, s.done = make(chan struct{}), make(chan struct{})
	if r.cfg.OnSnapshot == nil {
		close(s.done)
		return
	}
	go r.snapshotLoop(s.stopCh, s.done)
}

// stop makes the loop send its last snapshot and waits for it.
func (s *feed) stop() {
	close(s.stopCh)
	<-s.done
}

// snapshotLoop calls OnSnapshot every SnapshotEvery until stop closes,
// then once more, from this goroutine only.
func (r *runner) snapshotLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	var s rates
	for {
		select {
		case <-stop:
			r.cfg.OnSnapshot(r.snapshot(&s))
			return
		case <-r.cfg.Clock.After(r.cfg.SnapshotEvery):
			r.cfg.OnSnapshot(r.snapshot(&s))
		}
	}
}
