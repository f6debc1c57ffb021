package report

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// The gap histogram is log-linear, as HDR histograms are: values in
// microseconds, 64 linear sub-buckets per power of two, so any value is
// within 1/64 (1.6 %) of its bucket's bounds. Values from 1 µs to 2^41 µs
// (25 days) fit; larger ones land in the last bucket.
const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histMaxExp  = 34
	// HistBuckets is the number of buckets of a Histogram.
	HistBuckets = (histMaxExp + 2) * histSub
	// HistMaxValue is the largest value in microseconds a bucket tells
	// apart; larger ones count in the last bucket.
	HistMaxValue = uint64(histSub*2)<<histMaxExp - 1
)

// HistIndex is the bucket of a value in microseconds.
func HistIndex(us uint64) int {
	us = min(us, HistMaxValue)
	if us < histSub*2 {
		return int(us)
	}
	e := bits.Len64(us) - histSubBits - 1
	return (e+1)*histSub + int(us>>e) - histSub
}

// HistBounds returns bucket i's range [lo, hi) in microseconds.
func HistBounds(i int) (lo, hi uint64) {
	if i < histSub*2 {
		return uint64(i), uint64(i) + 1
	}
	e := i/histSub - 1
	sub := uint64(i%histSub + histSub)
	return sub << e, (sub + 1) << e
}

// bucketMid is the value a bucket's counts stand for: its middle.
func bucketMid(i int) time.Duration {
	lo, hi := HistBounds(i)
	return time.Duration(lo+(hi-lo-1)/2) * time.Microsecond
}

// Histogram is durations counted by bucket: plain data, so the gaps of a
// run can be kept and shipped as they were counted. Count is the sum of
// Counts.
type Histogram struct {
	Counts [HistBuckets]uint64
	Count  uint64
	SumUS  uint64
	MaxUS  uint64
}

// Record counts one duration; it is for building histograms by hand (the
// engine records with atomic counters and copies them into a Histogram).
func (h *Histogram) Record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.Counts[HistIndex(us)]++
	h.Count++
	h.SumUS += us
	h.MaxUS = max(h.MaxUS, us)
}

// Quantile returns the value at quantile q in [0, 1]: the middle of the
// bucket holding it, never above the largest value seen.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.Count == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.Count))), 1)
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			return min(bucketMid(i), h.Max())
		}
	}
	return h.Max()
}

// Max is the largest value seen.
func (h *Histogram) Max() time.Duration { return time.Duration(h.MaxUS) * time.Microsecond }

// Mean is the average value.
func (h *Histogram) Mean() time.Duration {
	if h.Count == 0 {
		return 0
	}
	return time.Duration(h.SumUS/h.Count) * time.Microsecond
}

// LateMissed estimates late and missed heartbeats from the buckets, for
// when the interval was only learned after the gaps were counted. Each
// bucket counts at its middle, so only gaps within 1.6 % of a threshold
// can be misjudged.
func (h *Histogram) LateMissed(interval time.Duration) (late, missed uint64) {
	if interval <= 0 {
		return 0, 0
	}
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		l, m := JudgeGap(bucketMid(i), interval)
		late += c * l
		missed += c * m
	}
	return late, missed
}

// JudgeGap says whether a gap is late (longer than 1.5 intervals) and how
// many heartbeats it is missing: gap/interval - 1, rounded down.
func JudgeGap(gap, interval time.Duration) (late, missed uint64) {
	if 2*gap > 3*interval {
		late = 1
	}
	if n := gap/interval - 1; n > 0 {
		missed = uint64(n)
	}
	return late, missed
}

// GapBucket is one bar of the gap histogram: gaps up to Upper. The
// overflow bar's Upper is the largest Duration.
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

// Coarse folds the buckets for display, from the first bar with a count
// to the last: around interval when it is known (not 0), else in 1-2-5
// steps.
func (h *Histogram) Coarse(interval time.Duration) []GapBucket {
	if h.Count == 0 {
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
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		for j < len(bounds) && bucketMid(i) > bounds[j] {
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

// histJSON is a Histogram on the wire: the buckets with a count only, as
// [index, count] pairs, since a run's gaps fill a handful of its 2,304.
type histJSON struct {
	Buckets [][2]uint64 `json:"buckets"`
	Count   uint64      `json:"count"`
	SumUS   uint64      `json:"sum_us"`
	MaxUS   uint64      `json:"max_us"`
}

// MarshalJSON writes the buckets with a count as [index, count] pairs.
func (h Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Buckets: [][2]uint64{}, Count: h.Count, SumUS: h.SumUS, MaxUS: h.MaxUS}
	for i, c := range h.Counts {
		if c != 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes; Count must be the sum of
// the buckets.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var out Histogram
	for _, p := range j.Buckets {
		if p[0] >= HistBuckets {
			return fmt.Errorf("histogram bucket %d: want an index below %d", p[0], HistBuckets)
		}
		out.Counts[p[0]] += p[1]
		out.Count += p[1]
	}
	if out.Count != j.Count {
		return fmt.Errorf("histogram count %d: its buckets sum to %d", j.Count, out.Count)
	}
	out.SumUS, out.MaxUS = j.SumUS, j.MaxUS
	*h = out
	return nil
}
