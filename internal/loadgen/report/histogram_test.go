package report_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

func TestHistIndexBounds(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, 49_999, 50_000, 1 << 20, 15_000_000, 1 << 35, report.HistMaxValue} {
		i := report.HistIndex(us)
		lo, hi := report.HistBounds(i)
		if us < lo || us >= hi {
			t.Errorf("HistIndex(%d) = %d with bounds [%d, %d), want them to hold the value", us, i, lo, hi)
		}
		if i < prev {
			t.Errorf("HistIndex(%d) = %d, want >= %d (monotonic)", us, i, prev)
		}
		if us >= 128 && float64(hi-lo)/float64(lo) > 1.0/64 {
			t.Errorf("HistBounds(%d) = [%d, %d), want width within 1/64", i, lo, hi)
		}
		prev = i
	}
	if i := report.HistIndex(report.HistMaxValue + 1000); i != report.HistBuckets-1 {
		t.Errorf("HistIndex(over max) = %d, want last bucket %d", i, report.HistBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h report.Histogram
	for ms := 1; ms <= 1000; ms++ {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 500 * time.Millisecond},
		{0.99, 990 * time.Millisecond},
		{0.01, 10 * time.Millisecond},
		{1.00, 1000 * time.Millisecond},
	}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if d := got - tt.want; d < -tt.want/64 || d > tt.want/64 {
			t.Errorf("Quantile(%v) = %v, want %v within 1/64", tt.q, got, tt.want)
		}
	}
	if h.Count != 1000 || h.Max() != time.Second {
		t.Errorf("Count %d Max() %v, want 1000 1s", h.Count, h.Max())
	}
	if got, want := h.Mean(), 500500*time.Microsecond; got != want {
		t.Errorf("Mean() = %v, want %v", got, want)
	}
	var empty report.Histogram
	if got := empty.Quantile(0.5); got != 0 {
		t.Errorf("empty Quantile(0.5) = %v, want 0", got)
	}
}

func TestHistogramSingleValue(t *testing.T) {
	var h report.Histogram
	for range 10 {
		h.Record(15 * time.Second)
	}
	// The bucket's middle is above 15s; the answer never exceeds the max.
	if got := h.Quantile(0.5); got != 15*time.Second {
		t.Errorf("Quantile(0.5) of ten 15s = %v, want 15s", got)
	}
}

func TestJudgeGap(t *testing.T) {
	iv := 100 * time.Millisecond
	tests := []struct {
		gap          time.Duration
		late, missed uint64
	}{
		{100 * time.Millisecond, 0, 0},
		{150 * time.Millisecond, 0, 0},
		{151 * time.Millisecond, 1, 0},
		{199 * time.Millisecond, 1, 0},
		{200 * time.Millisecond, 1, 1},
		{350 * time.Millisecond, 1, 2},
		{10 * time.Millisecond, 0, 0},
	}
	for _, tt := range tests {
		late, missed := report.JudgeGap(tt.gap, iv)
		if late != tt.late || missed != tt.missed {
			t.Errorf("JudgeGap(%v, %v) = %d, %d, want %d, %d", tt.gap, iv, late, missed, tt.late, tt.missed)
		}
	}
}

// Without an interval of their own, gaps learn it as the median and
// estimate late and missed from the buckets; with one, the exact counts
// stand.
func TestGapsStats(t *testing.T) {
	var g report.Gaps
	for _, ms := range []time.Duration{100, 100, 100, 100, 100, 160, 250, 420} {
		g.Histogram.Record(ms * time.Millisecond)
	}
	s := g.Stats()
	// Late: 160, 250, 420. Missed: 250 -> 1, 420 -> 3.
	if s.Late != 3 || s.Missed != 4 || s.Count != 8 || s.IntervalSource != report.IntervalLearnedWindow {
		t.Errorf("Stats() late %d missed %d count %d source %q, want 3 4 8 %q", s.Late, s.Missed, s.Count, s.IntervalSource, report.IntervalLearnedWindow)
	}
	if d := s.Interval - 100*time.Millisecond; d < -2*time.Millisecond || d > 2*time.Millisecond {
		t.Errorf("Stats() interval = %v, want 100ms", s.Interval)
	}
	g.Interval, g.IntervalSource, g.Late, g.Missed = 100*time.Millisecond, report.IntervalExpected, 7, 9
	if s := g.Stats(); s.Late != 7 || s.Missed != 9 || s.Interval != 100*time.Millisecond || s.IntervalSource != report.IntervalExpected {
		t.Errorf("Stats(expected 100ms) = late %d missed %d interval %v %q, want the exact 7 9 100ms expected", s.Late, s.Missed, s.Interval, s.IntervalSource)
	}
}

func TestCoarseBuckets(t *testing.T) {
	var h report.Histogram
	h.Record(40 * time.Millisecond)
	h.Record(45 * time.Millisecond)
	h.Record(15 * time.Second)
	got := h.Coarse(0)
	// 50ms holds two; then 100ms .. 10s empty; 20s holds one.
	if len(got) == 0 || got[0].Upper != 50*time.Millisecond || got[0].Count != 2 ||
		got[len(got)-1].Upper != 20*time.Second || got[len(got)-1].Count != 1 {
		t.Errorf("Coarse(0) = %v, want [50ms:2 ... 20s:1]", got)
	}
}

// Around a known interval, healthy gaps a few ms over it fall in the
// bar around 1x, not in a bar that reads "up to 2x".
func TestCoarseBucketsAroundInterval(t *testing.T) {
	var h report.Histogram
	for range 10 {
		h.Record(1003 * time.Millisecond)
	}
	h.Record(1600 * time.Millisecond)
	got := h.Coarse(time.Second)
	if len(got) != 4 || got[0].Upper != 1020*time.Millisecond || got[0].Count != 10 ||
		got[3].Upper != 2*time.Second || got[3].Count != 1 {
		t.Errorf("Coarse(1s) = %v, want [1.02s:10 1.1s:0 1.5s:0 2s:1]", got)
	}
}

// A histogram travels as its non-empty buckets and comes back whole, so a
// report can be rebuilt from a shipped Measurement.
func TestHistogramJSON(t *testing.T) {
	var h report.Histogram
	for _, d := range []time.Duration{time.Millisecond, 15 * time.Second, 15 * time.Second, time.Hour} {
		h.Record(d)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "["); n != 4 { // the list and three buckets
		t.Errorf("json.Marshal(histogram) = %s, want three [index, count] pairs", b)
	}
	var back report.Histogram
	if err := json.Unmarshal(b, &back); err != nil || back != h {
		t.Errorf("json round trip = %v (equal %v), want the histogram back", err, back == h)
	}
	for _, bad := range []string{`{"buckets":[[99999,1]],"count":1}`, `{"buckets":[[3,1]],"count":2}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("json.Unmarshal(%s) = nil, want an error", bad)
		}
	}
}
