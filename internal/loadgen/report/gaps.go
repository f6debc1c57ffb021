package report

import "time"

// Where the interval behind late and missed counts came from.
const (
	IntervalExpected      = "expected"       // the configured interval
	IntervalLearnedWarmup = "learned_warmup" // median gap of the warm-up
	IntervalLearnedWindow = "learned_window" // median gap of the window
)

// Gaps are the heartbeat gaps of one period of a run (the warm-up, the
// window). When Interval was known as the gaps were counted, Late and
// Missed are exact counts; otherwise Interval is 0 and Stats learns it as
// the median gap and estimates them from the buckets.
type Gaps struct {
	Histogram      Histogram     `json:"histogram"`
	Interval       time.Duration `json:"interval_ns"`
	IntervalSource string        `json:"interval_source"`
	Late           uint64        `json:"late"`
	Missed         uint64        `json:"missed"`
}

// GapStats is what a period's gaps say.
type GapStats struct {
	Count          uint64
	P50, P99, Max  time.Duration
	Mean           time.Duration
	Interval       time.Duration
	IntervalSource string
	Late, Missed   uint64
	Buckets        []GapBucket
}

// Stats summarises g. Without an interval of its own, g's median gap
// becomes the interval.
func (g *Gaps) Stats() GapStats {
	h := &g.Histogram
	s := GapStats{
		Count:   h.Count,
		P50:     h.Quantile(0.50),
		P99:     h.Quantile(0.99),
		Max:     h.Max(),
		Mean:    h.Mean(),
		Buckets: h.Coarse(g.Interval),
	}
	if g.Interval > 0 {
		s.Interval, s.IntervalSource = g.Interval, g.IntervalSource
		s.Late, s.Missed = g.Late, g.Missed
		return s
	}
	if s.Count > 0 {
		s.Interval, s.IntervalSource = s.P50, IntervalLearnedWindow
		s.Late, s.Missed = h.LateMissed(s.Interval)
		s.Buckets = h.Coarse(s.Interval)
	}
	return s
}
