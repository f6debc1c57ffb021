package loadgen

import (
	"testing"
	"time"
)

func TestHistIndexBounds(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, 49_999, 50_000, 1 << 20, 15_000_000, 1 << 35, histMaxValue} {
		i := histIndex(us)
		lo, hi := histBounds(i)
		if us < lo || us >= hi {
			t.Errorf("histIndex(%d) = %d with bounds [%d, %d), want them to hold the value", us, i, lo, hi)
		}
		if i < prev {
			t.Errorf("histIndex(%d) = %d, want >= %d (monotonic)", us, i, prev)
		}
		if us >= 128 && float64(hi-lo)/float64(lo) > 1.0/64 {
			t.Errorf("histBounds(%d) = [%d, %d), want width within 1/64", i, lo, hi)
		}
		prev = i
	}
	if i := histIndex(histMaxValue + 1000); i != histBuckets-1 {
		t.Errorf("histIndex(over max) = %d, want last bucket %d", i, histBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for ms := 1; ms <= 1000; ms++ {
		h.record(time.Duration(ms) * time.Millisecond)
	}
	s := h.snapshot()
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
		got := s.quantile(tt.q)
		if d := got - tt.want; d < -tt.want/64 || d > tt.want/64 {
			t.Errorf("quantile(%v) = %v, want %v within 1/64", tt.q, got, tt.want)
		}
	}
	if s.count != 1000 || s.max() != time.Second {
		t.Errorf("count %d max %v, want 1000 1s", s.count, s.max())
	}
	if got, want := s.mean(), 500500*time.Microsecond; got != want {
		t.Errorf("mean() = %v, want %v", got, want)
	}
	var empty histogram
	if got := empty.snapshot().quantile(0.5); got != 0 {
		t.Errorf("empty quantile(0.5) = %v, want 0", got)
	}
}

func TestHistogramSingleValue(t *testing.T) {
	var h histogram
	for range 10 {
		h.record(15 * time.Second)
	}
	s := h.snapshot()
	// The bucket's middle is above 15s; the answer never exceeds the max.
	if got := s.quantile(0.5); got != 15*time.Second {
		t.Errorf("quantile(0.5) of ten 15s = %v, want 15s", got)
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
		late, missed := judgeGap(tt.gap, iv)
		if late != tt.late || missed != tt.missed {
			t.Errorf("judgeGap(%v, %v) = %d, %d, want %d, %d", tt.gap, iv, late, missed, tt.late, tt.missed)
		}
	}
}

func TestGapPeriodStats(t *testing.T) {
	gaps := []time.Duration{100, 100, 100, 100, 100, 160, 250, 420}
	for _, exact := range []bool{true, false} {
		var p gapPeriod
		if exact {
			p.interval, p.source = 100*time.Millisecond, IntervalExpected
		}
		r := &gapRecorder{}
		r.cur.Store(&p)
		for _, g := range gaps {
			r.record(g * time.Millisecond)
		}
		s := p.stats()
		// Late: 160, 250, 420. Missed: 250 -> 1, 420 -> 3.
		if s.Late != 3 || s.Missed != 4 || s.Count != 8 {
			t.Errorf("stats(exact=%v) late %d missed %d count %d, want 3 4 8", exact, s.Late, s.Missed, s.Count)
		}
		if d := s.Interval - 100*time.Millisecond; d < -2*time.Millisecond || d > 2*time.Millisecond {
			t.Errorf("stats(exact=%v) interval = %v, want 100ms", exact, s.Interval)
		}
		wantSource := IntervalLearnedWindow
		if exact {
			wantSource = IntervalExpected
		}
		if s.IntervalSource != wantSource {
			t.Errorf("stats(exact=%v) source = %q, want %q", exact, s.IntervalSource, wantSource)
		}
	}
}

func TestCoarseBuckets(t *testing.T) {
	var h histogram
	h.record(40 * time.Millisecond)
	h.record(45 * time.Millisecond)
	h.record(15 * time.Second)
	got := h.snapshot().coarse()
	// 50ms holds two; then 100ms .. 10s empty; 20s holds one.
	if len(got) == 0 || got[0].Upper != 50*time.Millisecond || got[0].Count != 2 ||
		got[len(got)-1].Upper != 20*time.Second || got[len(got)-1].Count != 1 {
		t.Errorf("coarse() = %v, want [50ms:2 ... 20s:1]", got)
	}
}

// Around a known interval, healthy gaps a few ms over it fall in the
// bar around 1x, not in a bar that reads "up to 2x".
func TestCoarseBucketsAroundInterval(t *testing.T) {
	var h histogram
	for i := 0; i < 10; i++ {
		h.record(1003 * time.Millisecond)
	}
	h.record(1600 * time.Millisecond)
	got := h.snapshot().coarseAround(time.Second)
	if len(got) != 4 || got[0].Upper != 1020*time.Millisecond || got[0].Count != 10 ||
		got[3].Upper != 2*time.Second || got[3].Count != 1 {
		t.Errorf("coarseAround(1s) = %v, want [1.02s:10 1.1s:0 1.5s:0 2s:1]", got)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h histogram
	b.ReportAllocs()
	for b.Loop() {
		h.record(15 * time.Second)
	}
}
