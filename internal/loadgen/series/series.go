// Package series keeps a bench run's live figures over time for the HTML
// report and --timeseries: a point per snapshot until there are
// report.MaxSeriesPoints, then evenly thinned, so a run of any length
// fits and every part of it is equally covered. It writes the series as
// CSV.
package series

import (
	"math"
	"sort"
	"time"

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

// NewRecorder keeps at most limit points (report.MaxSeriesPoints when
// limit is below 2).
func NewRecorder(limit int) *Recorder {
	if limit < 2 {
		limit = report.MaxSeriesPoints
	}
	return &Recorder{max: limit, stride: 1}
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

// Series returns the kept points and the latest sample, each with its
// rates averaged over the span of time before it (over the time since the
// previous point when that is longer; from the first point, for points
// closer to it than span). A span of whole heartbeat intervals
// (SmoothingSpan) keeps the rates steady when clients that connected
// together receive their heartbeats in bursts one interval apart.
func (r *Recorder) Series(span time.Duration) report.Timeseries {
	pts := append([]report.SeriesPoint{}, r.kept...)
	if r.seen > 0 && !r.lastKept {
		pts = append(pts, r.last)
	}
	w := float64(span) / float64(time.Millisecond)
	for i := range pts {
		p := &pts[i]
		p.HeartbeatsPerS, p.BytesInPerS, p.BytesOutPerS = report.Missing, report.Missing, report.Missing
		if i == 0 {
			continue
		}
		from := max(min(p.TMS-w, pts[i-1].TMS), pts[0].TMS)
		dt := (p.TMS - from) / 1000
		if dt <= 0 {
			continue
		}
		hb := func(q *report.SeriesPoint) float64 { return float64(q.Heartbeats) }
		in := func(q *report.SeriesPoint) float64 { return float64(q.BytesIn) }
		out := func(q *report.SeriesPoint) float64 { return float64(q.BytesOut) }
		p.HeartbeatsPerS = report.Figure((hb(p) - at(pts[:i+1], from, hb)) / dt)
		p.BytesInPerS = report.Figure((in(p) - at(pts[:i+1], from, in)) / dt)
		p.BytesOutPerS = report.Figure((out(p) - at(pts[:i+1], from, out)) / dt)
	}
	return report.Timeseries{Points: pts}
}

// at is a cumulative count at time t (ms), interpolated between the
// points around it; t is within pts.
func at(pts []report.SeriesPoint, t float64, get func(*report.SeriesPoint) float64) float64 {
	j := sort.Search(len(pts), func(k int) bool { return pts[k].TMS >= t })
	switch {
	case j >= len(pts):
		return get(&pts[len(pts)-1])
	case j == 0 || pts[j].TMS == t:
		return get(&pts[j])
	}
	a, b := &pts[j-1], &pts[j]
	f := (t - a.TMS) / (b.TMS - a.TMS)
	return get(a) + f*(get(b)-get(a))
}

// MinSpan is the least span rates are averaged over, as the live view's.
const MinSpan = 2 * time.Second

// SmoothingSpan is the span rates are averaged over: whole heartbeat
// intervals, at least MinSpan; MinSpan when the interval is not known.
func SmoothingSpan(interval time.Duration) time.Duration {
	if interval <= 0 {
		return MinSpan
	}
	n := (MinSpan + interval - 1) / interval
	return n * interval
}

// Point is the series point of a snapshot: the run's counts, the bytes of
// every client socket, and the memory the live report last read. The
// final snapshot (phase done) makes none: it comes after the streams were
// torn down, and their RST_STREAM and GOAWAY frames are no part of the
// run's traffic.
func Point(s loadgen.Snapshot) (report.SeriesPoint, bool) {
	if s.Phase == loadgen.PhaseDone {
		return report.SeriesPoint{}, false
	}
	tls := s.Config.TLS
	p := report.SeriesPoint{
		TMS:              math.Round(float64(s.Elapsed)/1e3) / 1e3, // to the microsecond
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
	if s.Report != nil {
		m := &s.Report.Memory
		if m.ClientRSSAfter > 0 {
			p.ClientRSSBytes = report.Figure(m.ClientRSSAfter)
		}
		if m.ServerAvailable && m.ServerRSSAfter > 0 {
			p.ServerRSSBytes = report.Figure(m.ServerRSSAfter)
		}
	}
	return p, true
}
