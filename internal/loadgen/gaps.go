package loadgen

import (
	"sync/atomic"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// gapPeriod collects the gaps of one period (before the window, the
// window, after it). When its interval is known up front, late and missed
// are counted exactly per gap; otherwise report.Gaps estimates them from
// the buckets once the interval is learned.
type gapPeriod struct {
	hist     histRecorder
	interval time.Duration
	source   string
	late     atomic.Uint64
	missed   atomic.Uint64
}

// gaps copies p's counts into the report's plain form.
func (p *gapPeriod) gaps() report.Gaps {
	return report.Gaps{
		Histogram:      p.hist.snapshot(),
		Interval:       p.interval,
		IntervalSource: p.source,
		Late:           p.late.Load(),
		Missed:         p.missed.Load(),
	}
}

// gapRecorder routes each gap to the current period; swapping the period
// is how the window starts and ends without stopping the clients.
type gapRecorder struct {
	cur atomic.Pointer[gapPeriod]
	// observe, if set, also sees every gap (the live metrics' histogram).
	observe func(time.Duration)
}

func newGapRecorder(interval time.Duration, source string) *gapRecorder {
	r := &gapRecorder{}
	r.cur.Store(&gapPeriod{interval: interval, source: source})
	return r
}

func (r *gapRecorder) record(gap time.Duration) {
	if r.observe != nil {
		r.observe(gap)
	}
	p := r.cur.Load()
	p.hist.record(gap)
	if p.interval > 0 {
		late, missed := report.JudgeGap(gap, p.interval)
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
