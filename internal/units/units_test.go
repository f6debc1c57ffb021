package units

import (
	"math"
	"testing"
	"time"
)

func TestBytes(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0 B"}, {85, "85 B"}, {999.4, "999 B"}, {999.999, "1.00 kB"}, {21_557.25, "21.56 kB"},
		{100_800, "100.80 kB"}, {1.96e6, "1.96 MB"}, {4.896e9, "4.90 GB"}, {489.6e9, "489.60 GB"},
		{2e18, "2000.00 PB"}, {-1500, "-1.50 kB"}, {math.NaN(), "-"},
	} {
		if got := Bytes(c.in); got != c.want {
			t.Errorf("Bytes(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Rate(100_800); got != "100.80 kB/s" {
		t.Errorf("Rate(100800) = %q, want 100.80 kB/s", got)
	}
	if got := PerDay(19.59e9); got != "19.59 GB/day" {
		t.Errorf("PerDay(19.59e9) = %q, want 19.59 GB/day", got)
	}
	if got := Mbit(1.8137); got != "1.814 Mbit/s" {
		t.Errorf("Mbit(1.8137) = %q, want 1.814 Mbit/s", got)
	}
}

func TestIEC(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{512, "512 B"}, {41_200, "40.2 KiB"}, {412 << 20, "412.00 MiB"}, {3 << 30, "3.00 GiB"},
		{-2048, "-2.0 KiB"}, {math.Inf(1), "-"},
	} {
		if got := IEC(c.in); got != c.want {
			t.Errorf("IEC(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		in   int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {489_600, "489,600"},
		{1_000_000, "1,000,000"}, {-12_345, "-12,345"},
	} {
		if got := Count(c.in); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Count(uint64(math.MaxUint64)); got != "18,446,744,073,709,551,615" {
		t.Errorf("Count(MaxUint64) = %q", got)
	}
}

func TestWhole(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{489_600, "489,600"}, {1234.5, "1,235"}, {math.NaN(), "-"}, {math.Inf(1), "-"}, {1e300, "-"},
	} {
		if got := Whole(c.in); got != c.want {
			t.Errorf("Whole(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0"}, {500 * time.Microsecond, "0.50ms"}, {850 * time.Millisecond, "850ms"},
		{15_020 * time.Millisecond, "15.02s"}, {150 * time.Second, "150s"}, {-2 * time.Second, "-2.00s"},
	} {
		if got := Duration(c.in); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Millis(1130); got != "1.13s" {
		t.Errorf("Millis(1130) = %q, want 1.13s", got)
	}
}

func TestFixed(t *testing.T) {
	for _, c := range []struct {
		in   float64
		n    int
		want string
	}{{33, 2, "33.00"}, {653.25, 1, "653.2"}, {math.NaN(), 2, "-"}, {math.Inf(-1), 1, "-"}} {
		if got := Fixed(c.in, c.n); got != c.want {
			t.Errorf("Fixed(%v, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestClock(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {42*time.Second + 400*time.Millisecond, "42s"},
		{3*time.Minute + 5*time.Second, "3m05s"}, {time.Hour + 2*time.Minute + 3*time.Second, "1h02m03s"},
	} {
		if got := Clock(c.in); got != c.want {
			t.Errorf("Clock(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestInterval(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{{0, "-"}, {15 * time.Second, "15s"}, {90 * time.Second, "1m30s"}} {
		if got := Interval(c.in); got != c.want {
			t.Errorf("Interval(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
