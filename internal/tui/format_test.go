package tui

import (
	"slices"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
)

func TestBucketLabels(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []float64
		want []string
	}{
		{"bounds", []float64{5, 980, 1020, 20_000}, []string{"≤5ms", "≤980ms", "≤1.02s", "≤20s"}},
		{"overflow after a bar", []float64{5_000_000, -1}, []string{"≤5000s", ">5000s"}},
		{"overflow alone", []float64{-1}, []string{"longer"}},
	} {
		var bs []report.GapBucketReport
		for _, u := range c.in {
			bs = append(bs, report.GapBucketReport{UpperMS: u, Count: 1})
		}
		if got := bucketLabels(bs); !slices.Equal(got, c.want) {
			t.Errorf("bucketLabels(%s) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFullest(t *testing.T) {
	bs := []report.GapBucketReport{{Count: 5}, {Count: 1}, {Count: 9}, {Count: 5}, {Count: 2}}
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
