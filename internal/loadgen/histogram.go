package loadgen

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear, as HDR histograms are: values in
// microseconds, 64 linear sub-buckets per power of two, so any value is
// within 1/64 (1.6 %) of its bucket's bounds. Values from 1 µs to 2^41 µs
// (25 days) fit; larger ones land in the last bucket.
const (
	histSubBits  = 6
	histSub      = 1 << histSubBits
	histMaxExp   = 34
	histBuckets  = (histMaxExp + 2) * histSub
	histMaxValue = uint64(histSub*2)<<histMaxExp - 1
)

// histogram counts durations with atomic counters and no lock, so every
// client goroutine records its heartbeat gaps into one shared histogram.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	count  atomic.Uint64
	sumUS  atomic.Uint64
	maxUS  atomic.Uint64
}

func histIndex(us uint64) int {
	us = min(us, histMaxValue)
	if us < histSub*2 {
		return int(us)
	}
	e := bits.Len64(us) - histSubBits - 1
	return (e+1)*histSub + int(us>>e) - histSub
}

// histBounds returns bucket i's range [lo, hi) in microseconds.
func histBounds(i int) (lo, hi uint64) {
	if i < histSub*2 {
		return uint64(i), uint64(i) + 1
	}
	e := i/histSub - 1
	sub := uint64(i%histSub + histSub)
	return sub << e, (sub + 1) << e
}

func (h *histogram) record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[histIndex(us)].Add(1)
	h.count.Add(1)
	h.sumUS.Add(us)
	for {
		m := h.maxUS.Load()
		if us <= m || h.maxUS.CompareAndSwap(m, us) {
			return
		}
	}
}

// histSnap is a copy of a histogram's counters, read without stopping the
// writers; its count is the sum of its buckets, so it is self-consistent.
type histSnap struct {
	counts [histBuckets]uint64
	count  uint64
	sumUS  uint64
	maxUS  uint64
}

func (h *histogram) snapshot() *histSnap {
	s := &histSnap{sumUS: h.sumUS.Load(), maxUS: h.maxUS.Load()}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] = c
		s.count += c
	}
	return s
}

// quantile returns the value at quantile q in [0, 1]: the middle of the
// bucket holding it, never above the largest value seen.
func (s *histSnap) quantile(q float64) time.Duration {
	if s.count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.count)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			lo, hi := histBounds(i)
			mid := lo + (hi-lo-1)/2
			return time.Duration(min(mid, s.maxUS)) * time.Microsecond
		}
	}
	return time.Duration(s.maxUS) * time.Microsecond
}

func (s *histSnap) max() time.Duration { return time.Duration(s.maxUS) * time.Microsecond }

func (s *histSnap) mean() time.Duration {
	if s.count == 0 {
		return 0
	}
	return time.Duration(s.sumUS/s.count) * time.Microsecond
}

// lateMissed estimates late and missed heartbeats from the buckets, for
// when the interval was only learned after the gaps were recorded. Each
// bucket counts at its middle, so only gaps within 1.6 % of a threshold
// can be misjudged.
func (s *histSnap) lateMissed(interval time.Duration) (late, missed uint64) {
	if interval <= 0 {
		return 0, 0
	}
	for i, c := range s.counts {
		if c == 0 {
			continue
		}
		lo, hi := histBounds(i)
		gap := time.Duration(lo+(hi-lo-1)/2) * time.Microsecond
		l, m := judgeGap(gap, interval)
		late += c * l
		missed += c * m
	}
	return late, missed
}

// judgeGap says whether a gap is late (longer than 1.5 intervals) and how
// many heartbeats it is missing: gap/interval - 1, rounded down.
func judgeGap(gap, interval time.Duration) (late, missed uint64) {
	if 2*gap > 3*interval {
		late = 1
	}
	if n := gap/interval - 1; n > 0 {
		missed = uint64(n)
	}
	return late, missed
}

// GapBucket is one bar of the gap histogram: gaps up to Upper.
type GapBucket struct {
	Upper time.Duration `json:"upper_ns"`
	Count uint64        `json:"count"`
}

// coarseBounds are display bounds: 1-2-5 steps from 1 ms to 1000 s.
var coarseBounds = func() []time.Duration {
	var b []time.Duration
	for d := time.Millisecond; d <= 1000*time.Second; d *= 10 {
		b = append(b, d, 2*d, 5*d)
	}
	return b
}()

// intervalFactors are display bounds around a known heartbeat interval:
// fine around 1x, where healthy gaps fall, coarse beyond. With 1-2-5 steps
// a healthy 1.003 s gap at a 1 s interval would land in "up to 2 s" and
// look late.
var intervalFactors = []float64{0.5, 0.9, 0.98, 1.02, 1.1, 1.5, 2, 3, 5}

// coarse folds the buckets for a live display, from the first bar with a
// count to the last: around interval when it is known, else in 1-2-5 steps.
func (s *histSnap) coarse() []GapBucket { return s.coarseAround(0) }

func (s *histSnap) coarseAround(interval time.Duration) []GapBucket {
	if s.count == 0 {
		return nil
	}
	bounds := coarseBounds
	if interval > 0 {
		bounds = make([]time.Duration, len(intervalFactors))
		for i, f := range intervalFactors {
			bounds[i] = time.Duration(f * float64(interval))
		}
	}
	out := make([]GapBucket, len(bounds)+1)
	for i, b := range bounds {
		out[i].Upper = b
	}
	out[len(bounds)].Upper = time.Duration(math.MaxInt64)
	j := 0
	for i, c := range s.counts {
		if c == 0 {
			continue
		}
		lo, hi := histBounds(i)
		mid := time.Duration(lo+(hi-lo-1)/2) * time.Microsecond
		for j < len(bounds) && mid > bounds[j] {
			j++
		}
		out[j].Count += c
	}
	first, last := 0, len(out)-1
	for out[first].Count == 0 {
		first++
	}
	for out[last].Count == 0 {
		last--
	}
	return out[first : last+1]
}
