package backend

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// BenchmarkPublish measures Publish with idle and with busy fan-out. The
// subscribers discard what they are sent, so the numbers are the backend's
// own cost (ring, wake-ups, lock contention), not the network's; the drops
// metric shows whether subscribers kept up on this machine.
func BenchmarkPublish(b *testing.B) {
	for _, subs := range []int{0, 100} {
		b.Run("subscribers="+strconv.Itoa(subs), func(b *testing.B) {
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			defer mp.Shutdown(context.Background())
			srv, err := New(Config{Meter: mp.Meter("bench")})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()

			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for i := range subs {
				wg.Go(func() {
					req := &pushv1.GatewaySubscribeRequest{GatewayClientId: "gw-" + strconv.Itoa(i)}
					_ = srv.SubscribePush(req, &fakeStream{ctx: ctx})
				})
			}
			for srv.Stats().Subscriptions < subs {
				// Subscriptions register on their own goroutines.
				runtime.Gosched()
			}

			req := &pushv1.PublishRequest{EventType: "bench", UserId: "u", Payload: make([]byte, 64)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := srv.Publish(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			cancel()
			wg.Wait()

			var rm metricdata.ResourceMetrics
			if err := reader.Collect(context.Background(), &rm); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(sumOf(rm, dropsName)), "drops")
		})
	}
}

func sumOf(rm metricdata.ResourceMetrics, name string) int64 {
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, p := range s.DataPoints {
					total += p.Value
				}
			}
		}
	}
	return total
}
