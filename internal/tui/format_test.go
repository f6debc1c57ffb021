package tui

import (
	"math"
	"slices"
	"testing"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

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
		var bs []report.GapBucket
		for _, u := range c.in {
			bs = append(bs, report.GapBucket{Upper: u, Count: 1})
		}
		if got := bucketLabels(bs); !slices.Equal(got, c.want) {
			t.Errorf("bucketLabels(%s) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFullest(t *testing.T) {
	bs := []report.GapBucket{{Count: 5}, {Count: 1}, {Count: 9}, {Count: 5}, {Count: 2}}
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
