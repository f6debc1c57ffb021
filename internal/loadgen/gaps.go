package loadgen

import (
	"sync/atomic"
	"time"
)

// Where the interval behind late and missed counts came from.
const (
	IntervalExpected      = "expected"       // Config.ExpectedInterval
	IntervalLearnedWarmup = "learned_warmup" // median gap of the warm-up
	IntervalLearnedWindow = "learned_window" // median gap of the window
)

// gapPeriod collects the gaps of one period (before the window, the
// window, after it). When its interval is known up front, late and missed
// are counted exactly per gap; otherwise they are estimated from the
// histogram once the interval is learned.
type gapPeriod struct {
	hist     histogram
	interval time.Duration
	source   string
	late     atomic.Uint64
	missed   atomic.Uint64
}

// gapRecorder routes each gap to the current period; swapping the period
// is how the window starts and ends without stopping the clients.
type gapRecorder struct {
	cur atomic.Pointer[gapPeriod]
}

func newGapRecorder(interval time.Duration, source string) *gapRecorder {
	r := &gapRecorder{}
	r.cur.Store(&gapPeriod{interval: interval, source: source})
	return r
}

func (r *gapRecorder) record(gap time.Duration) {
	p := r.cur.Load()
	p.hist.record(gap)
	if p.interval > 0 {
		late, missed := judgeGap(gap, p.interval)
		if late != 0 {
			p.late.Add(late)
		}
		if missed != 0 {
			p.missed.Add(missed)
		}
	}
}

// next starts a new period and returns the one it ends. A zero interval
// leaves late and missed to be estimated when the period is summarised.
func (r *gapRecorder) next(interval time.Duration, source string) *gapPeriod {
	return r.cur.Swap(&gapPeriod{interval: interval, source: source})
}

func (r *gapRecorder) current() *gapPeriod { return r.cur.Load() }

// gapStats is what a period's gaps say.
type gapStats struct {
	Count          uint64
	P50, P99, Max  time.Duration
	Mean           time.Duration
	Interval       time.Duration
	IntervalSource string
	Late, Missed   uint64
	Buckets        []GapBucket
}

// stats summarises p. Without an interval of its own, p's median gap
// becomes the interval.
func (p *gapPeriod) stats() gapStats {
	s := p.hist.snapshot()
	g := gapStats{
		Count:   s.count,
		P50:     s.quantile(0.50),
		P99:     s.quantile(0.99),
		Max:     s.max(),
		Mean:    s.mean(),
		Buckets: s.coarseAround(p.interval),
	}
	if p.interval > 0 {
		g.Interval, g.IntervalSource = p.interval, p.source
		g.Late, g.Missed = p.late.Load(), p.missed.Load()
		return g
	}
	if g.Count > 0 {
		g.Interval, g.IntervalSource = g.P50, IntervalLearnedWindow
		g.Late, g.Missed = s.lateMissed(g.Interval)
		g.Buckets = s.coarseAround(g.Interval)
	}
	return g
}
