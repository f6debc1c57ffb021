package loadgen

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// gapSecondsName is the heartbeat gap histogram; Prometheus adds
// _bucket, _sum and _count.
const gapSecondsName = "galaxy_bench_heartbeat_gap_seconds"

// gapFactors are the histogram's bounds as multiples of a known heartbeat
// interval: fine around 1x, where healthy gaps fall, with 1.5x, what the
// report counts as late.
var gapFactors = []float64{0.5, 0.9, 0.95, 0.98, 1, 1.02, 1.05, 1.1, 1.5, 2, 3, 5}

// gapBoundsUnknown are its bounds in seconds when the interval is to be
// learned.
var gapBoundsUnknown = []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300}

// newGapMetric returns what records each heartbeat gap into a histogram
// of seconds on m, with bounds around interval when it is known.
func newGapMetric(m metric.Meter, interval time.Duration) (func(time.Duration), error) {
	bounds := gapBoundsUnknown
	if interval > 0 {
		bounds = make([]float64, len(gapFactors))
		for i, f := range gapFactors {
			bounds[i] = math.Round(f*interval.Seconds()*1e6) / 1e6 // 0.18, not 0.18000000000000002
		}
	}
	h, err := m.Float64Histogram(gapSecondsName,
		metric.WithDescription("Time between consecutive messages on a simulated client's stream."),
		metric.WithExplicitBucketBoundaries(bounds...))
	if err != nil {
		return nil, fmt.Errorf("histogram %s: %w", gapSecondsName, err)
	}
	return func(d time.Duration) { h.Record(context.Background(), d.Seconds()) }, nil
}
