package tui

import (
	"math"
	"strconv"
	"time"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// bucketLabels name a histogram's bars by their upper bounds. The
// report's bars are contiguous and the last may be the overflow (upper
// bound -1): it is named after the bar before it.
func bucketLabels(bs []report.GapBucketReport) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		switch {
		case b.UpperMS >= 0:
			out[i] = "≤" + bound(b.UpperMS)
		case i > 0:
			out[i] = ">" + bound(bs[i-1].UpperMS)
		default:
			out[i] = "longer"
		}
	}
	return out
}

// Bars sit at fractions of the interval (0.98, 1.02, ...), so keep the
// digits that tell them apart: "1.02s", not "1s".
func bound(ms float64) string {
	if ms < 1000 {
		return strconv.FormatFloat(math.Floor(ms), 'f', -1, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', -1, 64) + "s"
}

// secondsDur converts seconds to a Duration, saturating rather than
// overflowing for an absurd estimate.
func secondsDur(s float64) time.Duration {
	if s >= float64(1<<62)/float64(time.Second) {
		return 1 << 62
	}
	return time.Duration(s * float64(time.Second))
}
