package loadgen

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Each gap lands in the histogram in seconds, in bounds around the
// interval when it is known.
func TestGapMetric(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	observe, err := newGapMetric(mp.Meter("test"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	g := newGapRecorder(time.Second, "expected")
	g.observe = observe
	for _, d := range []time.Duration{time.Second, 1010 * time.Millisecond, 3 * time.Second} {
		g.record(d)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	h, ok := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64])
	if !ok || rm.ScopeMetrics[0].Metrics[0].Name != gapSecondsName {
		t.Fatalf("collected %+v, want the histogram %s", rm.ScopeMetrics[0].Metrics, gapSecondsName)
	}
	dp := h.DataPoints[0]
	if dp.Count != 3 || dp.Sum != 5.01 {
		t.Errorf("%s count %d sum %v, want 3 and 5.01", gapSecondsName, dp.Count, dp.Sum)
	}
	if got := dp.Bounds[4]; got != 1 {
		t.Errorf("%s bound 4 = %v, want the 1 s interval", gapSecondsName, got)
	}
	if g.current().hist.snapshot().Count != 3 {
		t.Errorf("the report's gaps lost a gap to the metric")
	}
}
