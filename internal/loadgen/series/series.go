// Package series keeps a bench run's live figures over time for the HTML
// report and --timeseries: a point per snapshot until there are
// report.MaxSeriesPoints, then evenly thinned, so a run of any length
// fits and every part of it is equally covered. It writes the series as
// CSV.
package series

import (
	"galaxy/galaxyctl/internal/loadgen"
	"galaxy/galaxyctl/internal/loadgen/report"
)

// Recorder keeps every stride-th sample it is given. When its kept points
// would exceed the cap it drops every other one and doubles the stride, so
// the kept samples are always those whose index is a multiple of the
// stride: evenly spaced over the run, whatever its length. The latest
// sample is kept aside so that the series always reaches the end of the
// run. Rates are averages between kept points, taken from cumulative
// counts, so thinning never loses traffic from them. A Recorder is not
// safe for concurrent use; bench feeds it from the snapshot goroutine.
type Recorder struct {
	max    int
	stride int
	seen   int
	kept   []report.SeriesPoint
	last   report.SeriesPoint
	// lastKept is whether last is also the newest kept point.
	lastKept bool
}

// NewRecorder keeps at most max points (report.MaxSeriesPoints when max is
// below 2).
func NewRecorder(max int) *Recorder {
	if max < 2 {
		max = report.MaxSeriesPoints
	}
	return &Recorder{max: max, stride: 1}
}

// Add records the run at one moment; its rates are ignored, Series
// computes them.
func (r *Recorder) Add(p report.SeriesPoint) {
	r.last, r.lastKept = p, false
	if r.seen%r.stride == 0 {
		r.kept = append(r.kept, p)
		r.lastKept = true
		// One place stays free for the latest sample.
		if len(r.kept) > r.max-1 {
			r.thin()
		}
	}
	r.seen++
}

// thin keeps every other point, from the first, and doubles the stride.
func (r *Recorder) thin() {
	n := 0
	for i := 0; i < len(r.kept); i += 2 {
		r.kept[n] = r.kept[i]
		n++
	}
	r.lastKept = r.lastKept && len(r.kept)%2 == 1
	clear(r.kept[n:])
	r.kept = r.kept[:n]
	r.stride *= 2
}

// Series returns the kept points and the latest sample, with each point's
// rates over the time since the one before it.
func (r *Recorder) Series() report.Timeseries {
	pts := append([]report.SeriesPoint{}, r.kept...)
	if r.seen > 0 && !r.lastKept {
		pts = append(pts, r.last)
	}
	for i := range pts {
		p := &pts[i]
		p.HeartbeatsPerS, p.BytesInPerS, p.BytesOutPerS = report.Missing, report.Missing, report.Missing
		if i == 0 {
			continue
		}
		prev := &pts[i-1]
		dt := (p.TMS - prev.TMS) / 1000
		if dt <= 0 {
			continue
		}
		p.HeartbeatsPerS = rate(p.Heartbeats, prev.Heartbeats, dt)
		p.BytesInPerS = rate(p.BytesIn, prev.BytesIn, dt)
		p.BytesOutPerS = rate(p.BytesOut, prev.BytesOut, dt)
	}
	return report.Timeseries{Points: pts}
}

func rate(cur, prev uint64, seconds float64) report.Figure {
	return report.Figure(float64(int64(cur-prev)) / seconds)
}

// Point is the series point of a snapshot: the run's counts, the bytes of
// every client socket, and the memory the live report last read (missing
// in the final snapshot, whose report holds the memory after the
// warm-up, not at the end).
func Point(s loadgen.Snapshot) report.SeriesPoint {
	tls := s.Config.TLS
	p := report.SeriesPoint{
		TMS:              float64(s.Elapsed) / 1e6,
		Phase:            s.Phase,
		ClientsActive:    s.Active,
		ClientsConnected: s.Connected,
		ClientsFailed:    s.Failed,
		Heartbeats:       s.Heartbeats,
		BytesIn:          s.Counters.SocketIn(tls),
		BytesOut:         s.Counters.SocketOut(tls),
		ClientRSSBytes:   report.Missing,
		ServerRSSBytes:   report.Missing,
	}
	if s.Report != nil && s.Phase != loadgen.PhaseDone {
		m := &s.Report.Memory
		if m.ClientRSSAfter > 0 {
			p.ClientRSSBytes = report.Figure(m.ClientRSSAfter)
		}
		if m.ServerAvailable && m.ServerRSSAfter > 0 {
			p.ServerRSSBytes = report.Figure(m.ServerRSSAfter)
		}
	}
	return p
}
