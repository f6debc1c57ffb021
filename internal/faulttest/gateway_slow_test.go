package faulttest

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/testutil"
)

// TestGatewayDropsStoppedClient black-holes one client's connection (the
// proxy between it and the gateway drops its bytes both ways, so it reads
// nothing and grants no flow-control window) while events of 2 KiB flow to
// it and 19 others. It must be dropped once its blocked send has lasted
// the slow-client timeout: not before (less early, the time a send may
// already have waited for window when the hole opened), and no later than
// that plus the time to fill its 64 KiB windows and some slack. The
// others must get every event exactly once, none dropped.
func TestGatewayDropsStoppedClient(t *testing.T) {
	t.Parallel()
	const (
		// timeout is long enough that a client still reading is not
		// starved that long when other tests load the two cores.
		timeout = 3 * time.Second
		rate    = 200
		payload = 2 << 10
		// fill covers the stopped client's windows filling (the window and
		// the server's write quota, 128 KiB: 64 events, 0.3 s) and
		// scheduling on a loaded 2-core machine under the race detector.
		fill = 3 * time.Second
		// early: a send waiting for a WINDOW_UPDATE when the hole opens
		// started before it; under load that wait takes tens of ms.
		early = 250 * time.Millisecond
	)
	ctx := testContext(t, 30*time.Second)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	b := startBackend(t, backend.Config{})
	g := startGateway(t, ctx, b.addr, gateway.Config{SlowClientTimeout: timeout, Meter: mp.Meter("gateway")})
	good := startClients(t, ctx, g.addr, catchUpClients-1)
	toStopped := startProxy(t, ctx, g.addr)
	// Fixed 64 KiB windows: no BDP growth, so the stream fills quickly.
	startClients(t, ctx, toStopped.Addr(), 1, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	pub := startPublisherSized(b, rate, payload)
	testutil.WaitFor(ctx, t, "live traffic", func() bool { return pub.count(b) >= rate })

	stopped := time.Now()
	if n := toStopped.BlackHole(true); n != 1 {
		t.Fatalf("BlackHole(true) = %d, want the stopped client's 1 connection", n)
	}
	testutil.WaitFor(ctx, t, "the stopped client's drop", func() bool { return stalledDrops(t, reader) == 1 })
	took := time.Since(stopped)
	published := pub.halt()[b]
	if took < timeout-early || took > timeout+fill {
		t.Errorf("stopped client dropped %v after it stopped reading, want from the timeout %v (less %v) to %v more", took, timeout, early, fill)
	}
	got := g.sub.waitHandled(t, ctx, published[len(published)-1])
	if diff := compareDelivery(published, got.handled); diff != "" {
		t.Fatalf("the gateway's subscriber: %s", diff)
	}
	d := checkClients(t, ctx, good, published)
	t.Logf("stopped client dropped %v after it stopped reading (timeout %v); %d events to %d others: %d dropped, %d lost, %d duplicates",
		took.Round(time.Millisecond), timeout, len(published), len(good), d.dropped, d.lostEvents, d.duplicates)
	if d.dropped != 0 || d.lostEvents != 0 || d.duplicates != 0 {
		t.Errorf("the %d clients still reading: %d dropped, %d events lost, %d duplicates; want none (%s)",
			len(good), d.dropped, d.lostEvents, d.duplicates, d.worst)
	}
}

// stalledDrops reads galaxy_gateway_slow_client_drops{reason="stalled"}.
func stalledDrops(t *testing.T, r *sdkmetric.ManualReader) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect() = %v", err)
	}
	want := attribute.NewSet(attribute.String("reason", "stalled"))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || m.Name != "galaxy_gateway_slow_client_drops" {
				continue
			}
			for _, dp := range sum.DataPoints {
				if dp.Attributes.Equals(&want) {
					return dp.Value
				}
			}
		}
	}
	return 0
}
