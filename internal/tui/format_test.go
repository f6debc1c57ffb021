package tui

import (
	"math"
	"slices"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen"
)

func TestCommas(t *testing.T) {
	for _, c := range []struct {
		in   int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {489_600, "489,600"},
		{1_000_000, "1,000,000"}, {-12_345, "-12,345"},
	} {
		if got := commas(c.in); got != c.want {
			t.Errorf("commas(%d) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFcommas(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{489_600, "489,600"}, {1234.5, "1,235"}, {math.NaN(), "-"}, {math.Inf(1), "-"},
	} {
		if got := fcommas(c.in); got != c.want {
			t.Errorf("fcommas(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBytesSI(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0 B"}, {85, "85 B"}, {999.4, "999 B"}, {999.999, "1.00 kB"}, {21_557.25, "21.56 kB"},
		{4.896e9, "4.90 GB"}, {489.6e9, "489.60 GB"}, {2e18, "2000.00 PB"},
	} {
		if got := bytesSI(c.in); got != c.want {
			t.Errorf("bytesSI(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBytesIEC(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{512, "512 B"}, {41_200, "40.2 KiB"}, {412 << 20, "412.00 MiB"}, {3 << 30, "3.00 GiB"}, {-2048, "-2.0 KiB"},
	} {
		if got := loadgen.BytesIEC(c.in); got != c.want {
			t.Errorf("loadgen.BytesIEC(%v) = %q, want %q", c.in, got, c.want)
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
		if got := clock(c.in); got != c.want {
			t.Errorf("clock(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestGapDur(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0"}, {500 * time.Microsecond, "0.50ms"}, {850 * time.Millisecond, "850ms"},
		{15_020 * time.Millisecond, "15.02s"}, {150 * time.Second, "150s"},
	} {
		if got := gapDur(c.in); got != c.want {
			t.Errorf("gapDur(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBucketLabels(t *testing.T) {
	overflow := time.Duration(math.MaxInt64)
	for _, c := range []struct {
		name string
		in   []time.Duration
		want []string
	}{
		{"bounds", []time.Duration{5 * time.Millisecond, time.Second, 20 * time.Second}, []string{"≤5ms", "≤1s", "≤20s"}},
		{"overflow after a bar", []time.Duration{5000 * time.Second, overflow}, []string{"≤5000s", ">5000s"}},
		{"overflow alone", []time.Duration{overflow}, []string{"longer"}},
	} {
		var bs []loadgen.GapBucket
		for _, u := range c.in {
			bs = append(bs, loadgen.GapBucket{Upper: u, Count: 1})
		}
		if got := bucketLabels(bs); !slices.Equal(got, c.want) {
			t.Errorf("bucketLabels(%s) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFullest(t *testing.T) {
	bs := []loadgen.GapBucket{{Count: 5}, {Count: 1}, {Count: 9}, {Count: 5}, {Count: 2}}
	for _, c := range []struct {
		k    int
		want []int
	}{
		{1, []int{2}}, {3, []int{0, 2, 3}}, {5, []int{0, 1, 2, 3, 4}}, {9, []int{0, 1, 2, 3, 4}},
	} {
		if got := fullest(bs, c.k); !slices.Equal(got, c.want) {
			t.Errorf("fullest(%d) = %v, want %v", c.k, got, c.want)
		}
	}
}
